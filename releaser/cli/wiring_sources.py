"""Builds the chart sources for `check` (and anything else that reads upstream releases),
and the one HTTP client they share.

Everything comes from `releaser.settings.Settings.from_env()`: the HTTP behaviour
(RELEASER_HTTP_TIMEOUT, _DEADLINE, _RETRIES, _BACKOFF, _MAX_BYTES, proxies, CA bundle) and
the cache directories (RELEASER_CACHE_DIR, default the platform's user cache dir).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path

from releaser.adapters.cache import IndexCache
from releaser.adapters.check_memo import CheckMemoFiles
from releaser.adapters.helm_repo import HelmRepoSource
from releaser.adapters.http import HttpClient
from releaser.adapters.mirrors import Mirrors
from releaser.adapters.sources import ChartSource as AdapterChartSource
from releaser.adapters.sources import SchemeSource
from releaser.app.ports import ChartSource
from releaser.app.ports_sources import CheckMemo
from releaser.cli.context import Settings
from releaser.settings import HttpSettings
from releaser.settings import Settings as EnvSettings

_clients: dict[str, HttpClient] = {}
_clients_lock = threading.Lock()


def env_settings(env: Mapping[str, str] | None = None) -> EnvSettings:
    return EnvSettings.from_env(env)


def http_options(env: Mapping[str, str] | None = None) -> HttpSettings:
    """How HTTP behaves in this run (from the environment)."""
    return env_settings(env).http


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    return env_settings(env).cache.root


def http_client(settings: HttpSettings | None = None) -> HttpClient:
    """The run's one HTTP client: every caller with the same settings shares its pools."""
    settings = settings or http_options()
    key = repr(settings)  # HttpSettings holds a mapping: not hashable, but its repr is exact
    with _clients_lock:
        if key not in _clients:
            _clients[key] = HttpClient(settings)
        return _clients[key]


def mirrors(settings: Settings) -> Mirrors:
    return Mirrors.load(settings.mirrors_path)


def oci_source(mirror_map: Mirrors) -> AdapterChartSource:
    """The `oci://` chart source; its module is imported by the first run that needs it."""
    from releaser.adapters.oci import OciChartSource

    env = env_settings()
    return OciChartSource(http_client(env.http), env.cache.oci, rewrite=mirror_map.apply)


def chart_source(settings: Settings, offline: bool = False) -> ChartSource:
    """http(s) and oci repositories behind one `ChartSource`, mirrored and cached."""
    return _scheme_source(settings, offline, env_settings())


def check_sources(settings: Settings, offline: bool = False) -> tuple[ChartSource, CheckMemo]:
    """The chart source for `check`, and the memo of its earlier answers."""
    env = env_settings()
    source = _scheme_source(settings, offline, env)
    return source, CheckMemoFiles(source, env.cache.root)


def _scheme_source(settings: Settings, offline: bool, env: EnvSettings) -> SchemeSource:
    mirror_map = mirrors(settings)
    client = http_client(env.http)
    helm = HelmRepoSource(client, IndexCache(env.cache.root), mirror_map, offline=offline)
    return SchemeSource(helm, lambda: oci_source(mirror_map))

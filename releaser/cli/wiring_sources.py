"""Builds the chart sources for `check` (and anything else that reads upstream releases).

HTTP behaviour can be tuned through the environment (useful on slow links and in tests):
RELEASER_HTTP_TIMEOUT (seconds, connect and read), RELEASER_HTTP_RETRIES,
RELEASER_HTTP_BACKOFF (seconds), RELEASER_HTTP_MAX_BYTES (largest index accepted),
RELEASER_CACHE_DIR (default: the platform's user cache dir, e.g. ~/.cache/releaser).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from releaser.adapters.cache import IndexCache
from releaser.adapters.check_memo import CheckMemoFiles
from releaser.adapters.helm_repo import HelmRepoSource
from releaser.adapters.http import HttpClient, HttpOptions
from releaser.adapters.mirrors import Mirrors
from releaser.adapters.sources import SchemeSource
from releaser.app.ports import ChartSource
from releaser.app.ports_sources import CheckMemo
from releaser.cli.context import Settings
from releaser.domain.errors import UsageError

if TYPE_CHECKING:  # imported by the first OCI registry a run meets, not before
    import requests


def _number(env: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a valid number") from None
    if value < 0:
        raise UsageError(f"{name}={text!r} must not be negative")
    return float(value)


def http_options(env: Mapping[str, str] | None = None) -> HttpOptions:
    env = os.environ if env is None else env
    base = HttpOptions()
    timeout = _number(env, "RELEASER_HTTP_TIMEOUT", base.read_timeout)
    return HttpOptions(
        connect_timeout=min(timeout, base.connect_timeout) if timeout else base.connect_timeout,
        read_timeout=timeout or base.read_timeout,
        retries=int(_number(env, "RELEASER_HTTP_RETRIES", base.retries, int)),
        backoff=_number(env, "RELEASER_HTTP_BACKOFF", base.backoff),
        max_redirects=base.max_redirects,
        max_bytes=int(_number(env, "RELEASER_HTTP_MAX_BYTES", base.max_bytes, int)),
    )


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("RELEASER_CACHE_DIR"):
        return Path(env["RELEASER_CACHE_DIR"])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("releaser"))


def http_client(options: HttpOptions | None = None) -> HttpClient:
    """The client that GETs indexes and chart archives."""
    return HttpClient(options or http_options())


def session_factory(options: HttpOptions | None = None) -> Callable[[], requests.Session]:
    """requests sessions for OCI registries, built (and requests imported) on demand."""
    opts = options or http_options()

    def build() -> requests.Session:
        from releaser.adapters.http_session import build_session

        return build_session(opts)

    return build


def mirrors(settings: Settings) -> Mirrors:
    return Mirrors.load(settings.mirrors_path)


def chart_source(settings: Settings, offline: bool = False) -> ChartSource:
    """http(s) and oci repositories behind one `ChartSource`, mirrored and cached."""
    return _scheme_source(settings, offline, cache_root())


def check_sources(settings: Settings, offline: bool = False) -> tuple[ChartSource, CheckMemo]:
    """The chart source for `check`, and the memo of its earlier answers."""
    root = cache_root()
    source = _scheme_source(settings, offline, root)
    return source, CheckMemoFiles(source, root)


def _scheme_source(settings: Settings, offline: bool, root: Path) -> SchemeSource:
    mirror_map = mirrors(settings)
    helm = HelmRepoSource(http_client(), IndexCache(root), mirror_map, offline=offline)
    return SchemeSource(helm, session_factory(), mirror_map)

"""Builds the compatibility engine (`compat`, `plan`, `bump --latest-compatible`, and the
gates of `cut`, `rollout` and `report`) from concrete adapters.

Chart archives are cached under `<cache root>/charts` (RELEASER_CACHE_DIR, see
wiring_sources); helm renders when one is on PATH or in `<kit>/.tools/bin/helm`.
Verdicts depend on the date (lifecycles): RELEASER_TODAY pins it.
"""

from __future__ import annotations

from datetime import date

from releaser.adapters.chart_archive import ChartArchiveStore
from releaser.adapters.datasets import COMPATIBILITY_FILE, DataStore, load_compatibility
from releaser.adapters.helm_render import HelmRenderer, find_helm
from releaser.adapters.oci import OciChartSource
from releaser.app.compat import CompatService
from releaser.app.plan import Planner
from releaser.app.ports_bump import CompatibleVersionPicker
from releaser.cli.context import Settings
from releaser.cli.output import info
from releaser.cli.wiring import kit_files, kit_root
from releaser.cli.wiring_sources import (
    cache_root,
    chart_source,
    env_settings,
    http_client,
    mirrors,
)
from releaser.domain.compat import CompatData
from releaser.domain.errors import UsageError
from releaser.settings import Settings as RunSettings


def data_store() -> DataStore:
    """The data snapshots, with the user copies `releaser data refresh` wrote."""
    return DataStore(RunSettings.from_env().data_dir)


def compat_data(settings: Settings, ref: str | None = None) -> CompatData:
    """The dated snapshots and the kit's support matrices (at `ref`)."""
    store = data_store()
    try:
        text = kit_files(settings, ref).read_text(COMPATIBILITY_FILE)
    except UsageError:  # no kit checkout here (e.g. a rollout run from the fleet's directory)
        text = None
    if text is None:
        info(f"note: no {COMPATIBILITY_FILE}; the upstream-matrix source stays unknown")
    matrices = load_compatibility(text, COMPATIBILITY_FILE) if text else {}
    return CompatData(
        store.lifecycle(), store.deprecations(), matrices, store.component_lifecycles()
    )


def chart_archives(settings: Settings, offline: bool = False) -> ChartArchiveStore:
    mirror_map = mirrors(settings)
    env = env_settings()

    def oci_download(repo_url: str, chart: str, version: str) -> bytes:
        source = OciChartSource(http_client(env.http), env.cache.oci, rewrite=mirror_map.apply)
        return source.download_chart(repo_url, chart, version)

    return ChartArchiveStore(
        env.cache.charts, http_client(env.http), mirror_map.apply, oci_download, offline=offline
    )


def renderer(settings: Settings) -> HelmRenderer | None:
    helm = find_helm(kit_root(settings))
    return HelmRenderer(helm, cache_root() / "helm") if helm else None


def compat_service(
    settings: Settings, ref: str | None = None, offline: bool = False, render: bool = True
) -> CompatService:
    return CompatService(
        sources=chart_source(settings, offline=offline),
        data=compat_data(settings, ref),
        archives=chart_archives(settings, offline),
        renderer=renderer(settings) if render else None,
    )


def today(settings: Settings) -> date:
    """The real date, or RELEASER_TODAY (YYYY-MM-DD) for reproducible runs and tests."""
    return settings.config.today or date.today()


def planner(settings: Settings, offline: bool = False, render: bool = True) -> Planner:
    return Planner(compat_service(settings, None, offline, render), today(settings))


def compatible_picker(settings: Settings) -> CompatibleVersionPicker:
    """For `bump --latest-compatible` (wiring_bump.compatible_picker should return this)."""
    return planner(settings)

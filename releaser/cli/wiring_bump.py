"""Adapters for `bump`: chart sources per repository kind, the byte-exact values editor."""

from __future__ import annotations

from functools import cache

from releaser.adapters.kit_files import WorktreeFiles
from releaser.adapters.oci import OciChartSource
from releaser.adapters.values_editor import ExactTextFiles, set_scalar
from releaser.app.bump import BumpPorts
from releaser.app.ports import ChartSource
from releaser.app.ports_bump import CompatibleVersionPicker, SourceFor
from releaser.cli.context import Settings
from releaser.cli.wiring import kit_root, yaml_parser


def chart_sources(settings: Settings) -> SourceFor:
    """The source for a repository URL: OCI registries now; HTTP Helm repositories once the
    HTTP source is wired here (None until then). Mirrors (`settings.mirrors_path`) are to be
    applied through `OciChartSource(rewrite=...)` when the mirror map lands."""

    @cache
    def oci() -> ChartSource:
        return OciChartSource()

    def source_for(repo_url: str) -> ChartSource | None:
        return oci() if repo_url.startswith("oci://") else None

    return source_for


def compatible_picker(settings: Settings) -> CompatibleVersionPicker | None:
    """None until the compatibility engine is wired in: --latest-compatible says so."""
    return None


def bump_ports(settings: Settings) -> BumpPorts:
    root = kit_root(settings)
    return BumpPorts(
        files=WorktreeFiles(root),
        parse=yaml_parser,
        text=ExactTextFiles(root),
        edit=set_scalar,
        source_for=chart_sources(settings),
        picker=compatible_picker(settings),
    )

"""Adapters for `bump`: chart sources per repository kind, the byte-exact values editor."""

from __future__ import annotations

from releaser.adapters.kit_files import WorktreeFiles
from releaser.adapters.yaml import ExactTextFiles, set_scalar
from releaser.app.bump import BumpPorts
from releaser.app.ports_bump import CompatibleVersionPicker, SourceFor
from releaser.cli import wiring_compat
from releaser.cli.context import Settings
from releaser.cli.wiring import kit_root, yaml_parser
from releaser.cli.wiring_sources import chart_source


def chart_sources(settings: Settings) -> SourceFor:
    """One mirrored, cached source for every repository kind (http(s) and oci)."""
    source = chart_source(settings)
    return lambda repo_url: source


def compatible_picker(settings: Settings) -> CompatibleVersionPicker:
    """The plan's rule: the newest version not failing on any minor of the kit's range."""
    return wiring_compat.compatible_picker(settings)


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

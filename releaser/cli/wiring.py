"""The one place where use cases meet concrete adapters."""

from __future__ import annotations

from pathlib import Path

from releaser.adapters.kit_files import GitRefFiles, WorktreeFiles, find_repo_root
from releaser.adapters.yaml import parse_document
from releaser.app.kit import load_kit
from releaser.app.ports import KitFiles, YamlParser
from releaser.cli.context import Settings
from releaser.domain.kit import Kit

yaml_parser: YamlParser = parse_document


def kit_root(settings: Settings) -> Path:
    return find_repo_root(settings.kit or Path.cwd())


def kit_files(settings: Settings, ref: str | None = None) -> KitFiles:
    root = kit_root(settings)
    return GitRefFiles(root, ref) if ref else WorktreeFiles(root)


def read_kit(settings: Settings, ref: str | None = None) -> Kit:
    return load_kit(kit_files(settings, ref), yaml_parser)

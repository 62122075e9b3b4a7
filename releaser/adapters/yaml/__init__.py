"""YAML for releaser: one safe loader with positions and limits (`load`, on `compose`) and
one byte-minimal editor (`edit`). Nothing else in releaser imports PyYAML to read a file.

The package exports the loader; the editor (`releaser.adapters.yaml.edit`) and `dump` are
imported from their modules by the few commands that write YAML."""

from releaser.adapters.yaml.compose import MAX_BYTES, MAX_DEPTH, MAX_NODES, compose_all
from releaser.adapters.yaml.load import (
    FastLoadError,
    check_documents,
    compose_document,
    load_fast,
    load_values,
    parse_document,
    parse_manifests,
)

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "FastLoadError",
    "check_documents",
    "compose_all",
    "compose_document",
    "load_fast",
    "load_values",
    "parse_document",
    "parse_manifests",
]

"""YAML for releaser: one safe loader with positions (`load`) and one byte-minimal editor
(`edit`). Nothing else in releaser imports PyYAML to read a file."""

from releaser.adapters.yaml.compose import MAX_BYTES, MAX_DEPTH, MAX_NODES, compose_all
from releaser.adapters.yaml.dump import dump
from releaser.adapters.yaml.edit import ExactTextFiles, ScalarSpan, find_scalar, set_scalar
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
    "ExactTextFiles",
    "FastLoadError",
    "ScalarSpan",
    "check_documents",
    "compose_all",
    "compose_document",
    "dump",
    "find_scalar",
    "load_fast",
    "load_values",
    "parse_document",
    "parse_manifests",
    "set_scalar",
]

"""The interfaces use cases need from the outside world; adapters implement them."""

from __future__ import annotations

from typing import Protocol

from releaser.domain.charts import ChartRelease
from releaser.domain.document import Document


class KitFiles(Protocol):
    """Read-only view of the kit's files at one ref (or the working tree)."""

    @property
    def ref(self) -> str | None:
        """The git ref read, or None for the working tree."""
        ...

    @property
    def label(self) -> str:
        """How to name this view in messages: 'working tree' or 'release/2024.2 (1a2b3c4)'."""
        ...

    def read_text(self, path: str) -> str | None:
        """The file at `path` (relative to the repository root), or None if absent."""
        ...

    def list_dir(self, path: str) -> list[str]:
        """Names of the entries directly under `path` (empty when absent)."""
        ...


class YamlParser(Protocol):
    def __call__(self, text: str, file: str) -> Document: ...


class ChartSource(Protocol):
    """Where chart releases come from: an HTTP Helm repository or an OCI registry."""

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        """Every published release of `chart` at `repo_url` (the upstream URL; mirrors are
        applied inside). Raises `UpstreamError` (exit 4) naming the repository."""
        ...

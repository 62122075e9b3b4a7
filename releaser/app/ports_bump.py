"""What `bump` needs beyond `ports.py`: exact file edits and the compatibility engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from releaser.app.ports import ChartSource
from releaser.domain.charts import ChartRelease
from releaser.domain.document import KeyPath
from releaser.domain.kit import Component, Kit


class TextFiles(Protocol):
    """Working-tree files read and written byte for byte (CRLF and all)."""

    def read_text(self, path: str) -> str | None: ...

    def write_text(self, path: str, text: str) -> None: ...


class ScalarEditor(Protocol):
    """Replace one YAML scalar, leaving every other byte alone (`adapters.yaml.set_scalar`)."""

    def __call__(
        self, text: str, path: KeyPath, new_value: str, *, file: str = ..., document: int = ...
    ) -> str: ...


class CompatibleVersionPicker(Protocol):
    """The compatibility engine's answer to `bump --latest-compatible` (and `plan`)."""

    def newest_compatible(
        self,
        kit: Kit,
        component: Component,
        releases: Sequence[ChartRelease],
        *,
        include_prerelease: bool = False,
    ) -> ChartRelease | None:
        """The newest release compatible with every Kubernetes minor of the kit's range, or
        None when there is none."""
        ...


# The chart source serving `repo_url`, or None when this build has none for its scheme.
SourceFor = Callable[[str], ChartSource | None]

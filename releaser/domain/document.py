"""A parsed YAML document that remembers where each value came from.

Validation reports `file:line: key.path: message`, so every value keeps its line and, for
scalars, the text exactly as written (`1.30` must not become the float 1.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from releaser.domain.splice import Span

KeyPath = tuple[str | int, ...]


def dotted(path: KeyPath) -> str:
    """`("components", "cm", "values", "x", 0)` -> `components.cm.values.x[0]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass(frozen=True)
class Document:
    file: str
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    raw: Mapping[KeyPath, str] = field(default_factory=dict)

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None

    def raw_text(self, path: KeyPath) -> str | None:
        """The scalar at `path` as written in the file (quotes removed)."""
        return self.raw.get(path)


@dataclass(frozen=True)
class ManifestDoc:
    """One YAML document of a manifest file, with the position of each scalar."""

    file: str
    index: int
    data: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)
    spans: Mapping[KeyPath, Span] = field(default_factory=dict)

"""Plain aligned text tables for the terminal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from releaser.render.sanitize import one_line


def show_value(value: Any) -> str:
    """A value of values.yaml as JSON; `(absent)` where the key is missing."""
    return "(absent)" if value is None else json.dumps(value, default=str)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain aligned text table (no borders: copy-pastes cleanly into tickets).
    Each cell is one line: a newline or an escape sequence from upstream cannot break a row."""
    cells = [
        [one_line(str(h)) for h in headers],
        *[["" if c is None else one_line(str(c)) for c in r] for r in rows],
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)

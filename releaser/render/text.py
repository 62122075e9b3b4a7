"""Plain aligned text tables and lines for the terminal, fitted to its width when it has one."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from releaser.render import style
from releaser.render.sanitize import one_line
from releaser.render.style import Styled

GAP = "  "
FLOOR = 8  # a cut column keeps this many characters ("…" included), or its header's
FOLD_INDENT = "    "  # a column left out for want of width shows under its row, indented


def show_value(value: Any) -> str:
    """A value of values.yaml as JSON; `(absent)` where the key is missing."""
    return "(absent)" if value is None else json.dumps(value, default=str)


@dataclass(frozen=True)
class Column:
    """A header, and how its column gives way when a terminal is too narrow for the table."""

    header: str
    cut: bool = False  # its cells may be cut with "…" (never inside a `Styled.keep` prefix)
    leave: int = 0  # it may be left out: 1 first, then 2…; 0: never
    fold: bool = False  # once left out, its cells show under their rows (else a note says so)


def table(
    headers: Sequence[str | Column], rows: Sequence[Sequence[Any]], width: int | None = None
) -> str:
    """A plain aligned text table (no borders: copy-pastes cleanly into tickets).

    Each cell is one line: a newline or an escape sequence from upstream cannot break a row.
    A `Styled` cell is painted after it is sanitized. `width` is the terminal's (None: piped,
    full lines for scripts): until the lines fit, the columns that may be cut are, the widest
    first, each down to a floor; then the columns that may be left out are, one by one.
    """
    columns = [h if isinstance(h, Column) else Column(h) for h in headers]
    head = [one_line(c.header) for c in columns]
    body = [[_cell(c) for c in row] for row in rows]
    natural = [max(style.width(row[i]) for row in [head, *body]) for i in range(len(head))]
    shown = _fit(columns, natural, _floors(head, rows, natural), width)
    folded = [i for i, c in enumerate(columns) if i not in shown and c.fold]
    lines = [_line(head, shown), GAP.join("-" * w for w in shown.values())]
    for row in body:
        lines.append(_line(row, shown))
        lines += [_folded(head[i], row[i], width) for i in folded if row[i]]
    left_out = [h for i, h in enumerate(head) if i not in shown and i not in folded]
    if left_out and width:
        note = f"({', '.join(left_out)}: not shown in {width} columns; a pipe shows every column)"
        lines.append(wrap(note, width, " "))
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, Styled):
        return style.paint(one_line(value.text), value.kind)
    return "" if value is None else one_line(str(value))


def _floors(head: list[str], rows: Sequence[Sequence[Any]], natural: list[int]) -> list[int]:
    """How narrow each column may be cut: its header, FLOOR, and what its cells keep."""
    floors = []
    for i, header in enumerate(head):
        keep = max((c.keep + 2 for row in rows if isinstance(c := row[i], Styled)), default=0)
        floors.append(min(natural[i], max(FLOOR, len(header), keep)))
    return floors


def _fit(
    columns: list[Column], natural: list[int], floors: list[int], width: int | None
) -> dict[int, int]:
    """Column -> width shown, in column order; a column left out is absent."""
    shown = dict(enumerate(natural))
    if width is None:
        return shown
    leaving = [i for _, i in sorted((c.leave, i) for i, c in enumerate(columns) if c.leave)]
    while True:
        cut = [i for i in shown if columns[i].cut]
        fixed = sum(w for i, w in shown.items() if i not in cut)
        room = width - fixed - len(GAP) * (len(shown) - 1)
        fitted = _share([natural[i] for i in cut], [floors[i] for i in cut], room)
        if fitted is not None or not leaving:  # nothing left to leave out: cut to the floors
            shown.update(zip(cut, fitted or [floors[i] for i in cut], strict=True))
            return shown
        del shown[leaving.pop(0)]


def _share(widths: list[int], floors: list[int], room: int) -> list[int] | None:
    """Widths within `room`: the widest columns cut first, none below its floor; None when
    even the floors do not fit."""
    if sum(widths) <= room:
        return widths
    if sum(floors) > room:
        return None
    cap = max(widths)
    while sum(max(min(w, cap), f) for w, f in zip(widths, floors, strict=True)) > room:
        cap -= 1
    return [max(min(w, cap), f) for w, f in zip(widths, floors, strict=True)]


def _line(row: list[str], shown: dict[int, int]) -> str:
    return GAP.join(pad(style.clip(row[i], w), w) for i, w in shown.items()).rstrip()


def _folded(header: str, cell: str, width: int | None) -> str:
    """The cell of a column left out, on its own lines under its row."""
    return wrap(f"{FOLD_INDENT}{header}: {cell}", width, FOLD_INDENT + "  ")


def pad(text: str, room: int) -> str:
    """`text` padded with spaces to `room` characters on the screen (style marks take none)."""
    return text + " " * (room - style.width(text))


def wrap(line: str, width: int | None, indent: str = "") -> str:
    """`line` folded at spaces into lines of at most `width` characters, the next ones indented
    by `indent`; as it is when `width` is None (piped: one line per item for scripts)."""
    if width is None or style.width(line) <= width:
        return line
    wrapper = textwrap.TextWrapper(
        width=width, subsequent_indent=indent, break_on_hyphens=False, replace_whitespace=False
    )
    return "\n".join(wrapper.wrap(line))

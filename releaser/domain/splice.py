"""Byte-minimal text edits: a scalar's exact span replaced by a new value in the same quote
style, every other character untouched. Kit values (`bump`, `plan --apply`, `cut`) and
customer manifests (`rollout`) are both written through `splice`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Span:
    """Where a scalar sits in its file's text: [start, end) and its quote style."""

    start: int
    end: int
    style: str | None  # None (plain), "'" or '"'; anything else cannot be rewritten in place



def splice(text: str, edits: list[tuple[Span, str]]) -> str:
    """`text` with each span replaced by the value, written in the span's quote style."""
    out: list[str] = []
    cursor = 0
    for span, value in sorted(edits, key=lambda e: e[0].start):
        if span.start < cursor:
            raise ValueError("overlapping spans")
        out.append(text[cursor : span.start])
        out.append(quote(value, span.style))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def quote(value: str, style: str | None) -> str:
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"':
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value

"""Colour for verdicts and outcomes: marks a renderer places, resolved at the output boundary.

A renderer paints a piece of its own text (a verdict, an outcome, a change kind) with
`paint(text, kind)` once that text is sanitized. The piece is wrapped in two characters of a
private-use range that `sanitize.strip_controls` removes from every upstream text, so only a
renderer places them. `cli.output.emit` turns them into ANSI colour (`ansi`), which reaches
only a terminal that wants colour, or drops them (`plain`) when the environment refuses colour.
JSON, Markdown and HTML are never painted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Style -> SGR parameters. The styles name a meaning, not a colour.
STYLES = {
    "ok": "32",  # green: compatible, healthy, a patch to take
    "warn": "33",  # yellow: works, but read the reason first
    "fail": "1;31",  # bold red: incompatible, failed, refused
    "unknown": "2",  # faint: not judged
    "major": "35",  # magenta: a major bump, never applied without a person
}
# Verdict levels (ok, warn, fail, unknown) are style names as they are; change kinds map here.
CHANGE_STYLES = {"patch": "ok", "minor": "warn", "major": "major"}
_END = "\ue000"
_START = {kind: chr(0xE001 + n) for n, kind in enumerate(STYLES)}
_KIND = {mark: kind for kind, mark in _START.items()}
MARKS = "\ue000-\ue01f"  # reserved for style marks; a character class body
_MARK = re.compile(f"[{MARKS}]")
_RESET = "\x1b[0m"


@dataclass(frozen=True)
class Styled:
    """A table cell painted `kind` after `text.table` has sanitized it (no style: plain);
    a narrow terminal never cuts its first `keep` characters (a version before its notes)."""

    text: str
    kind: str | None = None
    keep: int = 0


def paint(text: str, kind: str | None) -> str:
    """`text` marked to show in the style `kind` (None: as it is). Marks inside `text` go."""
    bare = plain(text)
    return f"{_START[kind]}{bare}{_END}" if kind and bare else bare


def plain(text: str) -> str:
    """`text` without style marks: what a pipe, a file or a `--no-color` run gets."""
    return _MARK.sub("", text)


def ansi(text: str) -> str:
    """`text` with its style marks as ANSI colour codes, for a colour terminal."""
    return _MARK.sub(_code, text)


def _code(match: re.Match[str]) -> str:
    kind = _KIND.get(match.group())
    return f"\x1b[{STYLES[kind]}m" if kind else _RESET


def width(text: str) -> int:
    """How many characters `text` takes on the screen (marks take none)."""
    return len(plain(text))


def clip(text: str, room: int) -> str:
    """`text` cut to `room` characters, the last one "…", keeping its style."""
    bare = plain(text)
    if len(bare) <= room:
        return text
    cut = bare[: max(room - 1, 0)] + "…"
    return paint(cut, _KIND.get(text[:1]))

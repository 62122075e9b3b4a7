"""The progress port on a terminal: one line on stderr, rewritten in place and erased when
the batch ends; nothing at all when stderr is not a terminal (a pipe, a CI log, a file).

A diagnostic printed while the line is shown (`info`) steps around it through `aside()`,
so a warning never lands in the middle of `judging 5/31 …`.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from releaser.domain.progress import NoProgress, Progress
from releaser.render.output import terminal
from releaser.render.sanitize import one_line

ERASE_LINE = "\r\x1b[2K"
FALLBACK_WIDTH = 120  # a stream that is not a terminal device (tests write to a buffer)

_shown: TerminalProgress | None = None  # the terminal has one progress line at most


class TerminalProgress:
    """`Progress` as `what n/m label: detail` on `stream`; safe to call from any thread."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.RLock()
        self._what = ""
        self._total = 0
        self._done = 0
        self._label = ""
        self._detail = ""
        self._active = False
        self._drawn = False

    def start(self, total: int, what: str) -> None:
        with self._lock:
            self._what, self._total, self._done = what, total, 0
            self._label = self._detail = ""
            self._active = total > 0
            self._draw()

    def advance(self, label: str) -> None:
        with self._lock:
            self._done = min(self._done + 1, self._total)
            self._label, self._detail = label, ""
            self._draw()

    def detail(self, text: str) -> None:
        with self._lock:
            self._detail = text
            self._draw()

    def finish(self) -> None:
        with self._lock:
            self._active = False
            self._erase()

    @contextmanager
    def aside(self) -> Iterator[None]:
        """The line erased while the caller writes a line of its own, then drawn again."""
        with self._lock:
            self._erase()
            try:
                yield
            finally:
                self._draw()

    def line(self) -> str:
        """The text shown: one line of plain text, redacted, no wider than the terminal."""
        count = f"{self._what} {self._done}/{self._total}"
        text = " ".join(part for part in (count, self._label) if part)
        if self._detail:
            text += f": {self._detail}"
        text = one_line(terminal(text))
        width = self._width() - 1  # writing the last column would wrap on some terminals
        return text if len(text) <= width else text[: width - 1] + "…"

    def _draw(self) -> None:
        global _shown
        if not self._active:
            return
        self._write(ERASE_LINE + self.line())
        self._drawn = True
        _shown = self

    def _erase(self) -> None:
        global _shown
        if self._drawn:
            self._write(ERASE_LINE)
            self._drawn = False
        if _shown is self:
            _shown = None

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: the run itself goes on
            self._active = False

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self._stream.fileno()).columns or FALLBACK_WIDTH
        except (OSError, ValueError):
            return FALLBACK_WIDTH


def stderr_progress() -> Progress:
    """A progress line when stderr is a terminal, else progress nobody sees."""
    return TerminalProgress(sys.stderr) if sys.stderr.isatty() else NoProgress()


@contextmanager
def aside() -> Iterator[None]:
    """Around a write to stderr: the progress line shown (if any) makes room for it."""
    shown = _shown
    if shown is None:
        yield
        return
    with shown.aside():
        yield

"""A one-line progress counter on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class TerminalProgress:
    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self._what = what
        self._stream = stream or sys.stderr
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0

    def start(self, total: int) -> None:
        self._total = total

    def advance(self, label: str) -> None:
        with self._lock:
            self._done += 1
            line = f"{self._what} {self._done}/{self._total} {label}"
            self._stream.write("\r\x1b[2K" + line[:120])
            self._stream.flush()

    def finish(self) -> None:
        with self._lock:
            if self._done:
                self._stream.write("\r\x1b[2K")
                self._stream.flush()


def stderr_progress(what: str) -> TerminalProgress | None:
    """A progress line when stderr is a terminal, else None (nothing is printed)."""
    return TerminalProgress(what) if sys.stderr.isatty() else None

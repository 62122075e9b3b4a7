"""What the `check` use case needs besides a `ChartSource`: somewhere to report progress."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Progress of a batch (a terminal line on stderr, or nothing). Called from any thread."""

    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, total: int) -> None:
        return

    def advance(self, label: str) -> None:
        return

    def finish(self) -> None:
        return

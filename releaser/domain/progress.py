"""The progress port: where long loops say how far they are (`judging 5/31 cert-manager`).

Use cases and adapters both count work (components judged, indexes and archives fetched,
helm renders), so the port lives here, below both layers; the CLI plugs in a terminal line
or nothing. It is pure: only the shape of the calls and the do-nothing implementation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    """How far a batch is: `what n/m label: detail`. Called from any thread; one batch at a
    time (a loop inside a batch reports details, it does not start its own batch)."""

    def start(self, total: int, what: str) -> None:
        """A batch of `total` items begins; `what` says what is done to them ("checking")."""
        ...

    def advance(self, label: str) -> None:
        """One more item of the batch (n of m); `label` names it (a component, a URL)."""
        ...

    def detail(self, text: str) -> None:
        """What the current item is waiting on (an index, an archive, a helm render)."""
        ...

    def finish(self) -> None:
        """The batch is over (or failed): whatever was shown goes away."""
        ...


class NoProgress:
    """Progress nobody sees: stderr is not a terminal, or a library caller."""

    def start(self, total: int, what: str) -> None:
        return

    def advance(self, label: str) -> None:
        return

    def detail(self, text: str) -> None:
        return

    def finish(self) -> None:
        return


@contextmanager
def batch(progress: Progress, total: int, what: str) -> Iterator[Progress]:
    """`progress` started for `total` items, finished however the block ends (an error
    message must not be printed after a half-drawn line)."""
    progress.start(total, what)
    try:
        yield progress
    finally:
        progress.finish()

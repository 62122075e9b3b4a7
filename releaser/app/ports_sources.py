"""What the `check` use case needs besides a `ChartSource`: somewhere to report progress, and
optionally a memo of answers worked out on earlier runs."""

from __future__ import annotations

from typing import Protocol

from releaser.domain.kit import Component
from releaser.domain.releases_select import Upgrades


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


class CheckMemo(Protocol):
    """Upgrades found on earlier runs, valid only while the chart's releases are unchanged.

    `recall` may ask the repository whether it changed (a conditional GET) and then raises
    `UpstreamError` like `ChartSource.releases`. Called from any thread."""

    def recall(self, component: Component, include_prerelease: bool) -> Upgrades | None: ...

    def remember(
        self, component: Component, include_prerelease: bool, upgrades: Upgrades
    ) -> None: ...

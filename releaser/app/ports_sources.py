"""What the `check` use case needs besides a `ChartSource` and its progress: optionally a
memo of answers worked out on earlier runs."""

from __future__ import annotations

from typing import Protocol

from releaser.domain.kit import Component
from releaser.domain.releases_select import Upgrades


class CheckMemo(Protocol):
    """Upgrades found on earlier runs, valid only while the chart's releases are unchanged.

    `recall` may ask the repository whether it changed (a conditional GET) and then raises
    `UpstreamError` like `ChartSource.releases`. Called from any thread."""

    def recall(self, component: Component, include_prerelease: bool) -> Upgrades | None: ...

    def remember(
        self, component: Component, include_prerelease: bool, upgrades: Upgrades
    ) -> None: ...

"""What use cases need besides a `ChartSource` and its progress: optionally a memo of
answers worked out on earlier runs, and which cached copies stood in for failing upstreams."""

from __future__ import annotations

from typing import Protocol

from releaser.domain.kit import Component
from releaser.domain.releases_select import Upgrades
from releaser.domain.unverified import StaleCopy


class CheckMemo(Protocol):
    """Upgrades found on earlier runs, valid only while the chart's releases are unchanged.

    `recall` may ask the repository whether it changed (a conditional GET) and then raises
    `UpstreamError` like `ChartSource.releases`. Called from any thread."""

    def recall(self, component: Component, include_prerelease: bool) -> Upgrades | None: ...

    def remember(
        self, component: Component, include_prerelease: bool, upgrades: Upgrades
    ) -> None: ...


class StaleCopies(Protocol):
    """The cached copies that stood in for failing upstreams this run (RELEASER_STALE_MAX).
    Ask after reading a chart's releases. Called from any thread."""

    def used(self, repo_url: str, chart: str) -> StaleCopy | None: ...

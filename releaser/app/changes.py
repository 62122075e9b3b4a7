"""Upstream release notes between two versions of a component, from its chart source."""

from __future__ import annotations

from releaser.app.ports import ChartSource
from releaser.domain.charts import ChartChange
from releaser.domain.kit import Component
from releaser.domain.releases_select import releases_between


class UpstreamChanges:
    """`ChangesLookup` over any `ChartSource`: the `artifacthub.io/changes` of every release
    after `from_version` up to `to_version`, newest first."""

    def __init__(self, source: ChartSource) -> None:
        self.source = source

    def changes(
        self, component: Component, from_version: str, to_version: str
    ) -> list[ChartChange]:
        releases = self.source.releases(component.repo_url, component.chart)
        target = next((r for r in releases if r.version == to_version), None)
        if target is None:
            return []
        between = releases_between(from_version, target, releases, include_prerelease=True)
        return [change for release in between for change in release.changes]

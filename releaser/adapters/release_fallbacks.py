"""Stand-ins used by the CLI until the real compatibility engine and upstream notes are wired
(see releaser/cli/wiring_releases.py): they report nothing."""

from __future__ import annotations

from datetime import date

from releaser.domain.charts import ChartChange
from releaser.domain.kit import Component, Kit


class NoCompatGate:
    def failures(self, kit: Kit) -> list[str]:
        return []

    def warnings(self, kit: Kit) -> list[str]:
        return []


class NoChanges:
    def changes(
        self, component: Component, from_version: str, to_version: str
    ) -> list[ChartChange]:
        return []


class SystemClock:
    def today(self) -> date:
        return date.today()

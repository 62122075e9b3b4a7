"""`releaser plan` and `bump --latest-compatible`: the newest release each component can take.

A candidate is judged on the kit's own range with the same verdicts as `compat`. The cheap
sources (kubeVersion, matrix, lifecycle) are asked first; the chart archive is only fetched
for a candidate they do not already reject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from releaser.app.bump import BumpPorts, BumpRequest, BumpResult, bump
from releaser.app.compat import CompatService
from releaser.domain.charts import ChartRelease
from releaser.domain.compat import kit_targets
from releaser.domain.compat_sources import Target
from releaser.domain.errors import UpstreamError
from releaser.domain.kit import Component, Kit
from releaser.domain.plan import (
    Held,
    Judgement,
    Plan,
    Proposal,
    build_plan,
    newest_compatible,
    plan_component,
)
from releaser.domain.progress import batch
from releaser.domain.unverified import Unverified, unique
from releaser.domain.verdict import Verdict


def _summary(verdicts: dict[str, Verdict], kit: Kit) -> Judgement:
    failing = [(label, v) for label, v in verdicts.items() if v.level == "fail"]
    if failing:
        label, verdict = failing[0]
        first = next(f for f in verdict.reasons if f.level == "fail")
        return Judgement(False, f"fails on {label}: {first.message} ({first.source})")
    warned = [label for label, v in verdicts.items() if v.level == "warn"]
    note = f"; warnings on {', '.join(warned)}" if warned else ""
    return Judgement(True, f"newest release not failing on Kubernetes {kit.kubernetes}{note}")


@dataclass
class Planner:
    """Implements `CompatibleVersionPicker` for `bump`, and builds the plan."""

    service: CompatService
    today: date

    def judge(self, kit: Kit, component: Component, release: ChartRelease) -> Judgement:
        self.service.progress.detail(f"judging {release.version}")
        targets = _range(kit)
        cheap = CompatService(self.service.sources, self.service.data)
        quick = cheap.release_verdicts(kit, component, release, targets, self.today)
        if any(v.level == "fail" for v in quick.values()) or self.service.archives is None:
            return _summary(quick, kit)
        full = self.service.release_verdicts(kit, component, release, targets, self.today)
        return _summary(full, kit)

    def newest_compatible(
        self, kit: Kit, component: Component, releases: Sequence[ChartRelease], *,
        include_prerelease: bool = False,
    ) -> ChartRelease | None:
        """Same rule as `plan`: a major bump is never picked silently (use --to for one)."""
        return newest_compatible(
            component.version, releases, lambda r: self.judge(kit, component, r),
            include_prerelease, allow_major=False,
        )

    def plan(self, kit: Kit, include_prerelease: bool = False) -> Plan:
        """Proposals for every component whose releases could be read; the others are
        `unverified` (the plan is partial)."""
        items, unverified, stale = [], [], []
        with batch(self.service.progress, len(kit.components), "planning") as bar:
            for component in kit:
                bar.advance(f"{component.name} {component.version}")
                try:
                    releases = self.service.releases(component)
                except UpstreamError as exc:
                    unverified.append(
                        Unverified.of(component.name, component.repo_url, exc.message)
                    )
                    continue
                stale.append(self.service.stale(component))
                items.append(self._plan_one(kit, component, releases, include_prerelease))
        return replace(
            build_plan(items),
            unverified=unique(unverified),
            stale=unique(s for s in stale if s is not None),
        )

    def _plan_one(
        self, kit: Kit, component: Component, releases: Sequence[ChartRelease],
        include_prerelease: bool,
    ) -> tuple[Proposal | None, list[Held]]:
        def judge(release: ChartRelease) -> Judgement:
            return self.judge(kit, component, release)

        return plan_component(component, releases, judge, include_prerelease)


def _range(kit: Kit) -> list[Target]:
    return kit_targets(kit, above=0)


def apply_plan(plan: Plan, ports: BumpPorts) -> list[BumpResult]:
    """Writes every proposal (never a held major) with `bump`'s byte-minimal edit; a partial
    plan writes nothing (fail closed: the unread components were never weighed)."""
    if plan.unverified:
        return []
    return [bump(BumpRequest(p.name, to=p.to_version), ports) for p in plan.proposals]

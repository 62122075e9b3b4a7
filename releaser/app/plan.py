"""`releaser plan` and `bump --latest-compatible`: the newest release each component can take.

A candidate is judged on the kit's own range with the same verdicts as `compat`, against the
current version's verdicts on the same targets. The cheap sources (kubeVersion, matrix,
lifecycle) are asked first; the chart archive is only fetched for a candidate they do not
already reject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
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
    SharedFailure,
    build_plan,
    judge_change,
    newest_compatible,
    plan_component,
    plan_notes,
)
from releaser.domain.progress import batch
from releaser.domain.unverified import Unverified, unique
from releaser.domain.verdict import Verdict


@dataclass
class Planner:
    """Implements `CompatibleVersionPicker` for `bump`, and builds the plan.

    A candidate is judged against the current version on the same targets (`judge_change`):
    what both fail for is the kit's problem, not the candidate's."""

    service: CompatService
    today: date
    _cheap: CompatService = field(init=False, repr=False)
    _current: dict[tuple[int, str], tuple[Kit, dict[str, Verdict]]] = field(
        init=False, repr=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        self._cheap = CompatService(self.service.sources, self.service.data)

    def judge(self, kit: Kit, component: Component, release: ChartRelease) -> Judgement:
        self.service.progress.detail(f"judging {release.version}")
        quick = self._judge_with(self._cheap, kit, component, release)
        if not quick.ok or self.service.archives is None:
            return quick
        return self._judge_with(self.service, kit, component, release)

    def _judge_with(
        self, service: CompatService, kit: Kit, component: Component, release: ChartRelease
    ) -> Judgement:
        targets = _range(kit)
        verdicts = service.release_verdicts(kit, component, release, targets, self.today)
        current = self._verdicts_now(service, kit, component, targets)
        return judge_change(verdicts, current, f"Kubernetes {kit.kubernetes}")

    def _verdicts_now(
        self, service: CompatService, kit: Kit, component: Component, targets: list[Target]
    ) -> dict[str, Verdict]:
        """The current version's verdicts, once per engine and kit. A version missing from
        the index (or an unreadable index) is judged from what needs no index entry."""
        key = (id(service), component.name)
        found = self._current.get(key)
        if found is not None and found[0] is kit:
            return found[1]
        release = self._published(component)
        if release is None:
            service, release = self._cheap, ChartRelease(component.chart, component.version)
        verdicts = service.release_verdicts(kit, component, release, targets, self.today)
        self._current[key] = (kit, verdicts)
        return verdicts

    def _published(self, component: Component) -> ChartRelease | None:
        try:
            releases = self.service.releases(component)
        except UpstreamError:
            return None
        return next((r for r in releases if r.version == component.version), None)

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
        `unverified` (the plan is partial). Failures shared with the current versions are
        notes, once each."""
        items, unverified, stale = [], [], []
        shared: dict[str, list[SharedFailure]] = {}
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
                items.append(
                    self._plan_one(kit, component, releases, include_prerelease, shared)
                )
        plan = build_plan(items, plan_notes(shared))
        return replace(
            plan, unverified=unique(unverified), stale=unique(s for s in stale if s is not None)
        )

    def _plan_one(
        self, kit: Kit, component: Component, releases: Sequence[ChartRelease],
        include_prerelease: bool, shared: dict[str, list[SharedFailure]],
    ) -> tuple[Proposal | None, list[Held]]:
        def judge(release: ChartRelease) -> Judgement:
            judgement = self.judge(kit, component, release)
            shared.setdefault(component.name, []).extend(judgement.shared)
            return judgement

        return plan_component(component, releases, judge, include_prerelease)


def _range(kit: Kit) -> list[Target]:
    return kit_targets(kit, above=0)


def apply_plan(plan: Plan, ports: BumpPorts) -> list[BumpResult]:
    """Writes every proposal (never a held major) with `bump`'s byte-minimal edit; a partial
    plan writes nothing (fail closed: the unread components were never weighed)."""
    if plan.unverified:
        return []
    return [bump(BumpRequest(p.name, to=p.to_version), ports) for p in plan.proposals]

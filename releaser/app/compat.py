"""`releaser compat`, and the verdict engine `cut`, `rollout` and `report` share.

`CompatService` gathers, per component, the index entry of its release (ChartSource), the
apiVersions its chart produces with the values it is installed with (rendered by helm when
there is one, else scanned from the archive: the chart's defaults under the kit's values,
and in the rollout preflight the customer's overrides) and hands them to the pure verdict
code. Nothing here raises for one broken
component: an unreachable repository or archive becomes an `unknown` source with its reason.
A component whose release could not be read is `Unverified` in the result (the answer is
partial: exit 4); an unreadable archive only costs the API source (`archive_problems`).
A component read from a cached copy standing in for its failing upstream is `Stale`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from releaser.app.ports import ChartSource
from releaser.app.ports_compat import ChartArchives, ChartRenderer
from releaser.app.ports_sources import StaleCopies
from releaser.domain.api_scan import ApiChoice, ChartScan, scan_rendered
from releaser.domain.charts import ChartRelease
from releaser.domain.compat import (
    CompatData,
    CompatMatrix,
    ComponentRow,
    Fact,
    ReleaseFacts,
    component_part,
    evaluate_cell,
    in_kit_range,
    kit_targets,
    lifecycle_providers,
    minor_lifecycle,
)
from releaser.domain.compat_sources import ApiEvidence, Target
from releaser.domain.errors import ReleaserError, UpstreamError, UsageError
from releaser.domain.fleet import Customer
from releaser.domain.helm_values import component_values
from releaser.domain.kit import ADDONS, BASE, Component, Kit
from releaser.domain.profiles import FALLBACK, Profile, for_argocd
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.rollout import Overrides
from releaser.domain.unverified import Stale, Unverified, stale_of, unique
from releaser.domain.verdict import Verdict


@dataclass(frozen=True)
class CustomerCheck:
    """The gate's verdicts on one customer's exact cluster, under that customer's profile."""

    customer: str
    cluster: str
    profile: Profile
    origin: str  # why this profile
    failures: tuple[tuple[Component, Verdict], ...] = ()


@dataclass(frozen=True)
class CompatGate:
    """What `cut` checks before creating a release: the matrix of the kit's range (its cells
    and its minors' calendars), each fleet customer's cluster in that range, and the
    components no verdict could judge (their upstream could not be read)."""

    matrix: CompatMatrix
    clusters: tuple[CustomerCheck, ...] = ()

    @property
    def profile(self) -> Profile:
        return self.matrix.profile

    @property
    def unverified(self) -> tuple[Unverified, ...]:
        return self.matrix.unverified

    def facts(self, level: str) -> list[Fact]:
        return self.matrix.facts(level)

    @property
    def passed(self) -> bool:
        blocked = any(c.failures for c in self.clusters)
        return not self.matrix.failed and not blocked and not self.unverified


@dataclass(frozen=True)
class ClusterCheck:
    """The rollout preflight's verdicts on one cluster version."""

    failures: tuple[tuple[Component, Verdict], ...]
    unverified: tuple[Unverified, ...]


def parse_targets(texts: Iterable[str]) -> list[Target]:
    """`1.33`, `v1.30.4-eks-a737599`, … in the order given, duplicates dropped (exit 2 when
    one is not a Kubernetes version)."""
    targets: dict[str, Target] = {}
    for text in texts:
        if not text.strip():
            continue
        target = Target.parse(text)
        targets.setdefault(target.label, target)
    if not targets:
        raise UsageError("no Kubernetes version given", hint="for example --kubernetes 1.35,1.36")
    return list(targets.values())


@dataclass
class CompatService:
    sources: ChartSource
    data: CompatData
    archives: ChartArchives | None = None  # None: the API source stays `unknown`
    renderer: ChartRenderer | None = None
    progress: Progress = field(default_factory=NoProgress)  # components judged, and on what
    stale_copies: StaleCopies | None = None  # None: no answer is marked stale
    archive_problems: list[str] = field(default_factory=list)  # only the API source unknown
    _releases: dict[tuple[str, str], list[ChartRelease] | str] = field(default_factory=dict)
    _scans: dict[tuple[str, str, str], ChartScan | str] = field(default_factory=dict)
    _with_values: dict[tuple[str, str], tuple[ApiChoice, ...]] = field(default_factory=dict)

    # ---------------------------------------------------------------- entry points

    def evaluate_kit(
        self, kit: Kit, kube_versions: Sequence[str] | None, today: date,
        profile: Profile | None = None, *, what: str = "judging",
    ) -> CompatMatrix:
        """The matrix for every component; targets default to the kit's range plus one;
        `profile` (`--profile`) overrides the kit's own deploy path. `what` names the work on
        the progress line."""
        targets = parse_targets(kube_versions) if kube_versions else kit_targets(kit)
        profile, origin = self.deploy_profile(kit, profile)
        rows = []
        with batch(self.progress, len(kit.components), what) as bar:
            for component in kit:
                bar.advance(f"{component.name} {component.version}")
                row = self._row(kit, component, targets, today, profile)
                cells = {label: component_part(cell) for label, cell in row.cells.items()}
                rows.append(replace(row, cells=cells))
        in_range = frozenset(t.label for t in targets if in_kit_range(kit, t))
        dates = self.data.dates()
        lifecycle = {t.label: minor_lifecycle(kit, t, self.data, today) for t in targets}
        return CompatMatrix(tuple(targets), in_range, dates, tuple(rows), profile, origin,
                            lifecycle)

    def deploy_profile(self, kit: Kit, chosen: Profile | None = None) -> tuple[Profile, str]:
        """The evaluator profile, and why: `chosen` (`--profile`, a customer's `deploy:`), else
        the Argo CD the kit itself ships (its argo-cd chart's appVersion), else `helm install`
        on a live cluster."""
        if chosen is not None:
            return chosen, "chosen for this run"
        argo = next((c for c in kit if c.chart == "argo-cd"), None)
        if argo is None:
            return FALLBACK, "the kit ships no argo-cd chart"
        facts, problem = self._facts(argo)
        app = facts.release.app_version if facts.release is not None else None
        if not app:
            why = problem or f"argo-cd {argo.version} declares no appVersion"
            return FALLBACK, f"the kit's Argo CD version is unknown ({why})"
        try:
            return for_argocd(app), f"the kit's argo-cd {argo.version} (Argo CD {app})"
        except ReleaserError:
            return FALLBACK, f"the kit's argo-cd {argo.version} has appVersion {app!r}"

    def gate(self, kit: Kit, today: date, customers: Sequence[Customer] = ()) -> CompatGate:
        """The kit's range, then each customer's exact cluster inside it with that customer's
        deploy path (fleet `deploy:`, else the kit's): a chart that rejects the fleet's real
        EKS/GKE builds fails the gate even where its minor column only warns."""
        matrix = self.evaluate_kit(kit, None, today, what="compatibility gate")
        clusters = tuple(
            self._customer_check(kit, customer, today)
            for customer in customers if in_kit_range(kit, Target.parse(str(customer.kubernetes)))
        )
        return CompatGate(matrix, clusters)

    def _customer_check(self, kit: Kit, customer: Customer, today: date) -> CustomerCheck:
        """The components `customer` deploys (base, add-ons, its provider's section) on its
        cluster; the calendars are the matrix's to say."""
        cluster = str(customer.kubernetes)
        sections = {BASE, ADDONS, customer.provider}
        names = [c.name for c in kit if c.section in sections]
        profile, origin = self.deploy_profile(kit, customer.deploy)
        if customer.deploy is not None:
            origin = f"{customer.name}'s deploy: in the fleet"
        found = self.on_cluster(kit, names, cluster, today, profile)
        failures = tuple((c, component_part(v)) for c, v in found.failures
                         if component_part(v).level == "fail")
        return CustomerCheck(customer.name, cluster, profile, origin, failures)

    def on_cluster(
        self, kit: Kit, components: Iterable[str], cluster_version: str, today: date,
        profile: Profile | None = None, overrides: Sequence[Overrides] = (),
    ) -> ClusterCheck:
        """Components (by name) that fail on one exact cluster version, and those that could
        not be judged (rollout preflight). Charts are judged with the kit's values and the
        customer's `overrides` of each section over them; `profile`: the customer's deploy
        path (fleet `deploy:`), else the run's or the kit's."""
        target = parse_targets([cluster_version])[0]
        profile = self.deploy_profile(kit, profile)[0]
        failed, unverified = [], []
        for name in components:
            component = kit.component(name)
            if component is None:
                continue
            row = self._row(kit, component, [target], today, profile, overrides)
            verdict = row.cells[target.label]
            if verdict.level == "fail":
                failed.append((component, verdict))
            if row.unverified is not None:
                unverified.append(row.unverified)
        return ClusterCheck(tuple(failed), unique(unverified))

    def failures(
        self, kit: Kit, components: Iterable[str], cluster_version: str, today: date
    ) -> list[tuple[Component, Verdict]]:
        """Only the failing components of `on_cluster`."""
        return list(self.on_cluster(kit, components, cluster_version, today).failures)

    def release_verdicts(
        self, kit: Kit, component: Component, release: ChartRelease, targets: Sequence[Target],
        today: date,
    ) -> dict[str, Verdict]:
        """Verdicts of a candidate release (for `plan`): as if the kit pinned it."""
        pinned = Component(component.name, component.section, component.repo_url,
                           component.chart, release.version, component.namespace,
                           component.values)
        profile = self.deploy_profile(kit)[0]
        return dict(self._cells(kit, pinned, ReleaseFacts(release), targets, today, profile)[0])

    def releases(self, component: Component) -> list[ChartRelease]:
        """The component's published releases; raises UpstreamError (also kept for reuse)."""
        key = (component.repo_url, component.chart)
        if key not in self._releases:
            self.progress.detail(f"reading the index of {component.repo_url}")
            try:
                self._releases[key] = self.sources.releases(*key)
            except UpstreamError as exc:
                self._releases[key] = exc.message
        found = self._releases[key]
        if isinstance(found, str):
            raise UpstreamError(found)
        return found

    def stale(self, component: Component) -> Stale | None:
        """Whether the component's releases came from a cached copy standing in (ask after
        `releases`)."""
        if self.stale_copies is None:
            return None
        copy = self.stale_copies.used(component.repo_url, component.chart)
        return stale_of(component.name, copy)

    # ---------------------------------------------------------------- one component

    def _row(self, kit: Kit, component: Component, targets: Sequence[Target],
             today: date, profile: Profile, overrides: Sequence[Overrides] = ()) -> ComponentRow:
        facts, unread = self._facts(component)
        cells, methods = self._cells(kit, component, facts, targets, today, profile, overrides)
        unverified = Unverified.of(component.name, component.repo_url, unread) if unread else None
        stale = None if unverified else self.stale(component)
        unchecked = frozenset(label for label, how in methods.items() if how == "unavailable")
        found = set(methods.values())
        method = found.pop() if len(found) == 1 else "mixed"
        return ComponentRow(component, cells, method, unverified, stale, unchecked)

    def _facts(self, component: Component) -> tuple[ReleaseFacts, str | None]:
        """The release's index entry, or why it is unknown (then also the unread reason)."""
        try:
            releases = self.releases(component)
        except UpstreamError as exc:
            return ReleaseFacts(None, f"chart index unavailable: {exc.message}"), exc.message
        found = next((r for r in releases if r.version == component.version), None)
        if found is None:
            problem = (f"version {component.version} of {component.chart} is not in the index "
                       f"of {component.repo_url}")
            return ReleaseFacts(None, problem), problem
        return ReleaseFacts(found), None

    def _cells(
        self, kit: Kit, component: Component, facts: ReleaseFacts, targets: Sequence[Target],
        today: date, profile: Profile, overrides: Sequence[Overrides] = (),
    ) -> tuple[dict[str, Verdict], dict[str, str]]:
        """The verdict of each target, and how its templates were checked (`ApiEvidence`)."""
        cells: dict[str, Verdict] = {}
        methods: dict[str, str] = {}
        values = installed_values(kit, component, overrides)
        for target in targets:
            evidence = self._evidence(component, facts.release, target, values)
            methods[target.label] = evidence.method
            providers = lifecycle_providers(kit, component.section, target)
            cells[target.label] = evaluate_cell(
                component, facts, evidence, target, self.data, providers, today, profile
            )
        return cells, methods

    # ---------------------------------------------------------------- API evidence

    def _evidence(
        self, component: Component, release: ChartRelease | None, target: Target,
        values: Mapping[str, Any],
    ) -> ApiEvidence:
        if release is None:
            return ApiEvidence("unavailable", detail="the chart release is not known")
        if self.archives is None:
            return ApiEvidence("unavailable", detail="chart archives are not read (offline)")
        scan = self._scan(component, release)
        if isinstance(scan, str):
            return ApiEvidence("unavailable", detail=scan)
        choices, problem = self._choices(component, scan, values)
        if self.renderer is not None and scan.archive is not None:
            self.progress.detail(f"helm template {component.chart} {release.version} "
                                 f"--kube-version {target.helm_version}")
            try:
                text = self.renderer.render(scan, target.helm_version, values)
            except ReleaserError as exc:
                return ApiEvidence("scanned", choices,
                                   f"scanned templates; helm template failed: {exc.message}")
            how = self.renderer.describe()
            detail = f"rendered with {how} --kube-version {target.helm_version}"
            return ApiEvidence("rendered", tuple(scan_rendered(text, choices)), detail)
        return ApiEvidence("scanned", choices, "scanned templates" + problem)

    def _choices(
        self, component: Component, scan: ChartScan, values: Mapping[str, Any]
    ) -> tuple[tuple[ApiChoice, ...], str]:
        """The scan's choices under `values`, once per chart and values; the chart's defaults
        alone (and why, also in `archive_problems`) when the archive cannot be read again."""
        assert self.archives is not None
        key = (scan.digest, json.dumps(values, sort_keys=True, default=str))
        if key not in self._with_values:
            try:
                self._with_values[key] = self.archives.choices(scan, values)
            except ReleaserError as exc:
                why = f"{exc.message}; judged with the chart's defaults only"
                _note(self.archive_problems, f"{component.name}: chart archive: {why}")
                return scan.choices, f" with the chart's defaults only ({exc.message})"
        return self._with_values[key], ""

    def _scan(self, component: Component, release: ChartRelease) -> ChartScan | str:
        assert self.archives is not None
        key = (component.repo_url, component.chart, release.version)
        if key not in self._scans:
            archive = f"{component.chart}-{release.version}.tgz"
            self.progress.detail(f"reading the chart archive {archive}")
            try:
                self._scans[key] = self.archives.scan(component.repo_url, component.chart, release)
            except UpstreamError as exc:
                _note(self.archive_problems, f"{component.name}: chart archive: {exc.message}")
                self._scans[key] = f"chart archive unavailable: {exc.message}"
        return self._scans[key]



def _note(problems: list[str], text: str) -> None:
    if text not in problems:
        problems.append(text)


def installed_values(
    kit: Kit, component: Component, overrides: Sequence[Overrides] = ()
) -> dict[str, Any]:
    """What the component's chart is installed with over its defaults: its section's
    `global`, its own `values`, and a customer's overrides of that section."""
    section = kit.section(component.section)
    mine = [o.values for o in overrides if o.section == component.section]
    shared = section.global_values if section is not None else {}
    return component_values(component.name, shared, component.values, mine)

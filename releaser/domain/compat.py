"""The compatibility matrix: kit components × Kubernetes targets, one verdict per cell.

Pure: the caller brings the chart releases, the API evidence, the data tables and `today`.
The matrix covers the kit's range plus one minor above (SPEC §7), or the targets asked for;
`in_range` tells which columns belong to the kit's own range (only those can fail a run).

What the Kubernetes calendars say is about a minor, not a component: the matrix keeps it
once per column (`lifecycle`), and its cells judge the components alone. `evaluate_cell` still
answers with both (plan and the rollout preflight judge one release on one cluster).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from releaser.domain.charts import ChartRelease
from releaser.domain.compat_sources import (
    API_SOURCE,
    ApiEvidence,
    Target,
    api_source_findings,
    kube_version_findings,
    matrix_findings,
    status_findings,
)
from releaser.domain.deprecations import DeprecationTable
from releaser.domain.findings import Finding
from releaser.domain.kit import ADDONS, BASE, Component, Kit
from releaser.domain.lifecycle import ComponentLifecycles, LifecycleTable, lifecycle_findings
from releaser.domain.matrix import SupportMatrix
from releaser.domain.profiles import FALLBACK, Profile
from releaser.domain.unverified import Stale, Unverified, unique
from releaser.domain.verdict import Verdict
from releaser.domain.versions import minor_range, next_minor

PROVIDER_LIFECYCLES = {"aws": "eks", "gcp": "gke"}


@dataclass(frozen=True)
class CompatData:
    """The knowledge verdicts draw on besides the chart itself."""

    lifecycle: LifecycleTable
    deprecations: DeprecationTable
    matrices: Mapping[str, SupportMatrix]
    components: ComponentLifecycles | None = None

    def dates(self) -> dict[str, str]:
        return {
            "lifecycle": self.lifecycle.date.isoformat(),
            "deprecations": self.deprecations.date.isoformat(),
        }


@dataclass(frozen=True)
class ReleaseFacts:
    """What is known of the component's chart release: the index entry, or why it is not."""

    release: ChartRelease | None
    problem: str | None = None  # "repository unreachable: …", "version 1.2.3 not in the index"


def kit_targets(kit: Kit, above: int = 1) -> list[Target]:
    """The kit's range plus `above` minors."""
    minors = minor_range(kit.kubernetes.min, kit.kubernetes.max)
    for _ in range(above):
        minors.append(next_minor(minors[-1]))
    return [Target.parse(m) for m in minors]


def in_kit_range(kit: Kit, target: Target) -> bool:
    return target.minor in minor_range(kit.kubernetes.min, kit.kubernetes.max)


def kit_providers(kit: Kit, target: Target) -> tuple[str, ...]:
    """Whose calendars speak about a column: the build's provider, else every one of the kit."""
    return lifecycle_providers(kit, BASE, target)


def lifecycle_providers(kit: Kit, section: str, target: Target) -> tuple[str, ...]:
    """Whose calendars apply: the build's provider for an exact version, else the section's
    provider, else (base, addons) every provider of the kit."""
    if target.provider is not None:
        return (target.provider,)
    if section not in (BASE, ADDONS):
        found = PROVIDER_LIFECYCLES.get(section)
        return (found,) if found else ()
    return tuple(PROVIDER_LIFECYCLES[p] for p in kit.providers if p in PROVIDER_LIFECYCLES)


def evaluate_cell(
    component: Component,
    facts: ReleaseFacts,
    evidence: ApiEvidence | None,
    target: Target,
    data: CompatData,
    providers: Iterable[str],
    today: date,
    profile: Profile = FALLBACK,
) -> Verdict:
    """Every source's findings for one component release on one target; the chart's
    `kubeVersion` is judged the way the deploy path `profile` judges it; with the minor's
    lifecycle (see `component_part` for the cell of a matrix)."""
    findings = component_findings(component, facts, evidence, target, data, today, profile)
    findings += lifecycle_findings(data.lifecycle, target.minor, today, providers=providers)
    return cell_verdict(findings)


def component_findings(
    component: Component,
    facts: ReleaseFacts,
    evidence: ApiEvidence | None,
    target: Target,
    data: CompatData,
    today: date,
    profile: Profile = FALLBACK,
) -> list[Finding]:
    """What the sources about the component itself say (every one but the calendars)."""
    release = facts.release
    findings: list[Finding] = []
    if release is None:
        findings.append(Finding("unknown", "index", facts.problem or "release not found"))
    else:
        findings += kube_version_findings(release, target, profile)
    matrix = data.matrices.get(component.name)
    findings += matrix_findings(component.name, release, component.version, matrix, target)
    findings += api_source_findings(evidence, target, data.deprecations)
    findings += status_findings(
        component.name, release, matrix, data.components, component.chart, today
    )
    return findings


def minor_lifecycle(kit: Kit, target: Target, data: CompatData, today: date) -> Verdict:
    """What the Kubernetes calendars say of one column, once for every component."""
    return Verdict.of(lifecycle_findings(data.lifecycle, target.minor, today,
                                         providers=kit_providers(kit, target)))


MINOR_SOURCES = frozenset({"lifecycle/kubernetes", "lifecycle/eks", "lifecycle/gke"})


def cell_verdict(findings: Iterable[Finding]) -> Verdict:
    """`Verdict.of`, with one rule on top: the Kubernetes calendars speak about the minor,
    not the component, so when they alone say `ok` the cell is `unknown` (nothing vouched
    for the component itself). Their warnings and failures still count."""
    verdict = Verdict.of(findings)
    vouched = any(f.level == "ok" and f.source not in MINOR_SOURCES for f in verdict.reasons)
    if verdict.level == "ok" and not vouched:
        return Verdict("unknown", verdict.reasons)
    return verdict


def component_part(verdict: Verdict) -> Verdict:
    """A cell without the calendars' findings: what the component's own sources say."""
    return Verdict.of(f for f in verdict.reasons if f.source not in MINOR_SOURCES)


@dataclass(frozen=True)
class ComponentRow:
    component: Component
    cells: Mapping[str, Verdict]  # target label -> verdict
    api_method: str  # rendered | scanned | unavailable | mixed
    unverified: Unverified | None = None  # its release could not be read: cells are unknown
    stale: Stale | None = None  # its release was read from a cached copy standing in
    unchecked: frozenset[str] = frozenset()  # labels whose cell could not check the templates

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.component.name,
            "section": self.component.section,
            "version": self.component.version,
            "apiCheck": self.api_method,
            "verdicts": {label: self._cell(label, cell) for label, cell in self.cells.items()},
            **({"stale": True} if self.stale else {}),
        }

    def _cell(self, label: str, cell: Verdict) -> dict[str, Any]:
        found = cell.to_json()
        if label in self.unchecked:  # which sources could not run; only when one could not
            found["unchecked"] = [API_SOURCE]
        return found

    def partly_checked(self, label: str) -> bool:
        """An `ok` that rests on fewer sources than it could: its templates were not checked."""
        return label in self.unchecked and self.cells[label].level == "ok"


@dataclass(frozen=True)
class Fact:
    """One finding said once, with every column it holds on; `component` None: it is about
    the Kubernetes minor (a calendar)."""

    finding: Finding
    labels: tuple[str, ...]
    component: Component | None = None


def grouped(pairs: Iterable[tuple[str, Finding]]) -> list[tuple[tuple[str, ...], Finding]]:
    """Identical findings on several columns once each, with their columns, first seen first."""
    found: dict[Finding, list[str]] = {}
    for label, finding in pairs:
        found.setdefault(finding, []).append(label)
    return [(tuple(labels), finding) for finding, labels in found.items()]


def label_span(labels: Sequence[str], order: Sequence[str]) -> str:
    """`1.35–1.37` for neighbouring columns of `order`, `1.35, 1.37` for the others."""
    runs: list[list[str]] = []
    position = {label: n for n, label in enumerate(order)}
    for label in sorted(labels, key=lambda x: position.get(x, len(order))):
        last = runs[-1][-1] if runs else None
        if last is not None and position.get(label) == position.get(last, -2) + 1:
            runs[-1].append(label)
        else:
            runs.append([label])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}–{run[-1]}" for run in runs)


@dataclass(frozen=True)
class CompatMatrix:
    targets: tuple[Target, ...]
    in_range: frozenset[str]  # labels of the columns inside the kit's range
    data: Mapping[str, str]  # snapshot dates
    rows: tuple[ComponentRow, ...]
    profile: Profile = FALLBACK  # the deploy path the kubeVersion verdicts follow
    profile_origin: str = ""  # why this profile: "the kit's argo-cd 9.7.1 (Argo CD v3.4.4)"
    lifecycle: Mapping[str, Verdict] = field(default_factory=dict)  # label -> the calendars

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.targets]

    def lifecycle_cells(
        self, level: str, in_range_only: bool = True
    ) -> list[tuple[str, Verdict]]:
        """The columns whose calendars answer `level` (a minor near or past its end of life)."""
        return [(label, cell) for label, cell in self.lifecycle.items()
                if cell.level == level and (label in self.in_range or not in_range_only)]

    def facts(self, level: str, in_range_only: bool = True) -> list[Fact]:
        """Every finding at `level` once: the calendars' per column first, then each
        component's, grouped over the columns it holds on."""
        def keep(label: str) -> bool:
            return label in self.in_range or not in_range_only

        minor = [(label, f) for label, cell in self.lifecycle.items() if keep(label)
                 for f in cell.reasons if f.level == level]
        found = [Fact(f, labels) for labels, f in grouped(minor)]
        for row in self.rows:
            own = [(label, f) for label, cell in row.cells.items()
                   if keep(label) and cell.level == level
                   for f in cell.reasons if f.level == level]
            found += [Fact(f, labels, row.component) for labels, f in grouped(own)]
        return found

    @property
    def unchecked_rows(self) -> list[ComponentRow]:
        """The components whose templates could not be checked on some column."""
        return [row for row in self.rows if row.unchecked]

    def cells(self, level: str, in_range_only: bool = True) -> list[tuple[Component, str, Verdict]]:
        return [
            (row.component, label, cell)
            for row in self.rows
            for label, cell in row.cells.items()
            if cell.level == level and (label in self.in_range or not in_range_only)
        ]

    def failures(self, in_range_only: bool = True) -> list[tuple[Component, str, Verdict]]:
        return self.cells("fail", in_range_only)

    def warnings(self, in_range_only: bool = True) -> list[tuple[Component, str, Verdict]]:
        return self.cells("warn", in_range_only)

    @property
    def failed(self) -> bool:
        """A cell fails in the range, or a minor of the range is past its end of life."""
        return bool(self.failures() or self.lifecycle_cells("fail"))

    @property
    def unverified(self) -> tuple[Unverified, ...]:
        """The components no source could judge: the matrix is partial when there are any."""
        return unique(row.unverified for row in self.rows if row.unverified is not None)

    @property
    def stale(self) -> tuple[Stale, ...]:
        """The components judged on a cached copy of their upstream (the answer stands)."""
        return unique(row.stale for row in self.rows if row.stale is not None)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "profile": self.profile.name,
            "profileDetail": {**self.profile.as_dict(), "origin": self.profile_origin},
            "kubernetes": self.labels,
            "inRange": [t.label for t in self.targets if t.label in self.in_range],
            "data": dict(self.data),
            "lifecycle": {label: cell.to_json() for label, cell in self.lifecycle.items()},
            "components": [row.as_dict() for row in self.rows],
        }
        if self.unverified:  # only on a partial answer, so complete ones keep their shape
            data["unverified"] = [u.as_dict() for u in self.unverified]
        if self.stale:
            data["stale"] = [s.as_dict() for s in self.stale]
        return data


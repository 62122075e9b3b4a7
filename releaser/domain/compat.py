"""The compatibility matrix: kit components × Kubernetes targets, one verdict per cell.

Pure: the caller brings the chart releases, the API evidence, the data tables and `today`.
The matrix covers the kit's range plus one minor above (SPEC §7), or the targets asked for;
`in_range` tells which columns belong to the kit's own range (only those can fail a run).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from releaser.domain.charts import ChartRelease
from releaser.domain.compat_sources import (
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
    `kubeVersion` is judged the way the deploy path `profile` judges it."""
    release = facts.release
    findings: list[Finding] = []
    if release is None:
        findings.append(Finding("unknown", "index", facts.problem or "release not found"))
    else:
        findings += kube_version_findings(release, target, profile)
    matrix = data.matrices.get(component.name)
    findings += matrix_findings(component.name, release, component.version, matrix, target)
    findings += api_source_findings(evidence, target, data.deprecations)
    findings += lifecycle_findings(data.lifecycle, target.minor, today, providers=providers)
    findings += status_findings(
        component.name, release, matrix, data.components, component.chart, today
    )
    return cell_verdict(findings)


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


@dataclass(frozen=True)
class ComponentRow:
    component: Component
    cells: Mapping[str, Verdict]  # target label -> verdict
    api_method: str  # rendered | scanned | unavailable | mixed
    unverified: Unverified | None = None  # its release could not be read: cells are unknown
    stale: Stale | None = None  # its release was read from a cached copy standing in

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.component.name,
            "section": self.component.section,
            "version": self.component.version,
            "apiCheck": self.api_method,
            "verdicts": {label: cell.to_json() for label, cell in self.cells.items()},
            **({"stale": True} if self.stale else {}),
        }


@dataclass(frozen=True)
class CompatMatrix:
    targets: tuple[Target, ...]
    in_range: frozenset[str]  # labels of the columns inside the kit's range
    data: Mapping[str, str]  # snapshot dates
    rows: tuple[ComponentRow, ...]
    profile: Profile = FALLBACK  # the deploy path the kubeVersion verdicts follow
    profile_origin: str = ""  # why this profile: "the kit's argo-cd 9.7.1 (Argo CD v3.4.4)"

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.targets]

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
        return bool(self.failures())

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
            "components": [row.as_dict() for row in self.rows],
        }
        if self.unverified:  # only on a partial answer, so complete ones keep their shape
            data["unverified"] = [u.as_dict() for u in self.unverified]
        if self.stale:
            data["stale"] = [s.as_dict() for s in self.stale]
        return data


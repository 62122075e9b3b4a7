"""`releaser report VERSION`: gather the review's facts into one `Report` (SPEC §7)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from releaser.app.compat import CompatService
from releaser.domain.charts import ChartRelease
from releaser.domain.diff import diff_kits
from releaser.domain.errors import UpstreamError, UsageError
from releaser.domain.kit import Component, Kit
from releaser.domain.lifecycle import LifecycleTable
from releaser.domain.plan import Judgement, newest_compatible
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.report import CustomerRow, DriftRow, Report, lifecycle_rows
from releaser.domain.unverified import Unverified, unique
from releaser.domain.versions import ChartVersion, KitVersion, change_kind, minor_range

Judge = Callable[[Kit, Component, ChartRelease], Judgement]


@dataclass(frozen=True)
class ReportPorts:
    releases: Callable[[], Sequence[tuple[KitVersion, str]]]  # every release and its ref
    kit_at: Callable[[str], Kit]
    compat: CompatService
    judge: Judge  # ok when a release fails no minor of the kit's range
    lifecycle: LifecycleTable
    data_dates: dict[str, str]
    customers: Callable[[KitVersion], list[CustomerRow]] | None
    today: date
    progress: Progress = field(default_factory=NoProgress)


def _find(releases: Sequence[tuple[KitVersion, str]], version: KitVersion) -> str:
    for found, ref in releases:
        if found.release == version.release:
            return ref
    known = ", ".join(str(v) for v, _ in releases) or "none"
    raise UsageError(f"no release branch {version.branch}", hint=f"releases: {known}")


def previous(releases: Sequence[tuple[KitVersion, str]], version: KitVersion) -> KitVersion | None:
    older = [v.release for v, _ in releases if v.release < version.release]
    return max(older, default=None)


def drift_row(component: Component, kit: Kit, ports: ReportPorts) -> DriftRow:
    """How far `component` is behind the newest release compatible with the kit's range
    (majors included: the report shows what exists, the plan decides what to propose)."""
    base = DriftRow(component.name, component.section, component.version, None, "unknown", None)
    try:
        releases = ports.compat.releases(component)
    except UpstreamError as err:
        return DriftRow(**{**base.__dict__, "error": err.message})
    current = next((r for r in releases if r.version == component.version), None)
    newer = newest_compatible(component.version, releases, lambda r: ports.judge(kit, component, r))
    newest = newer or current
    change = (
        "none"
        if newer is None
        else change_kind(ChartVersion.parse(component.version), newer.parsed_version)
    )
    days = None
    if newer and newer.created:
        days = max(0, (ports.today - newer.created.date()).days)
    shown = newest or current
    description = shown.description if shown else None
    return DriftRow(
        component.name,
        component.section,
        component.version,
        newest.version if newest else None,
        change,
        days,
        None,
        description,
    )


def drift_rows(kit: Kit, ports: ReportPorts) -> tuple[DriftRow, ...]:
    rows = []
    with batch(ports.progress, len(kit.components), "weighing drift") as bar:
        for component in kit:
            bar.advance(f"{component.name} {component.version}")
            rows.append(drift_row(component, kit, ports))
    return tuple(rows)


def _customers_unverified(rows: Sequence[CustomerRow] | None) -> list[Unverified]:
    return [u for row in rows or () for u in row.unverified]


def build_report(version_text: str, against_text: str | None, ports: ReportPorts) -> Report:
    version = KitVersion.parse(version_text)
    releases = ports.releases()
    kit = ports.kit_at(_find(releases, version))
    against = KitVersion.parse(against_text) if against_text else previous(releases, version)
    changes = None
    if against is not None:
        old = ports.kit_at(_find(releases, against))
        changes = diff_kits(old, kit, str(against), str(version))
    matrix = ports.compat.evaluate_kit(kit, None, ports.today)
    in_range = tuple(minor_range(kit.kubernetes.min, kit.kubernetes.max))
    drift = drift_rows(kit, ports)
    customers = tuple(ports.customers(version)) if ports.customers else None
    return Report(
        version=str(version),
        against=str(against) if against else None,
        generated=ports.today,
        kubernetes=kit.kubernetes,
        data_dates=ports.data_dates,
        changes=changes,
        compat=matrix.as_dict(),
        in_range=in_range,
        lifecycle=lifecycle_rows(ports.lifecycle, in_range, ports.today),
        drift=drift,
        customers=customers,
        unverified=unique([*matrix.unverified, *_customers_unverified(customers)]),
        stale=matrix.stale,
    )

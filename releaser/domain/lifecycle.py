"""Kubernetes and component lifecycles: dated support windows and what they mean today.

Pure: `today` is always a parameter. Levels, decided once here:

- upstream Kubernetes: past end of life -> fail; end of life within `warn_days`, or
  past the end of maintenance (only critical fixes left) -> warn; otherwise ok.
- Amazon EKS: past end of extended support (or of standard support when the minor never
  had extended support) -> fail; inside extended support (paid, per cluster-hour) or
  standard support ending within `warn_days` -> warn; not yet released on EKS -> warn.
- Google GKE: past end of standard support -> fail (GKE upgrades such clusters
  automatically; the Extended channel is not in the data); ending within `warn_days`
  or not yet released on GKE -> warn.
- a component release line past its end of life -> warn (it still works; it gets no fixes).
- a minor newer than the snapshot -> unknown, naming the snapshot date.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from releaser.domain.findings import Finding, minor_str, minor_tuple

DEFAULT_WARN_DAYS = 90
PROVIDERS = ("eks", "gke")


@dataclass(frozen=True)
class MinorLifecycle:
    """Support dates of one Kubernetes minor upstream and on the managed providers."""

    minor: str
    upstream_release: date | None
    upstream_end_of_maintenance: date | None
    upstream_eol: date | None
    eks_release: date | None
    eks_end_standard: date | None
    eks_end_extended: date | None
    gke_release: date | None
    gke_end_standard: date | None
    latest_patch: str | None = None


@dataclass(frozen=True)
class LifecycleTable:
    """A dated snapshot of Kubernetes lifecycles, newest minor first."""

    date: date
    source: str
    minors: tuple[MinorLifecycle, ...]
    _by_minor: Mapping[str, MinorLifecycle] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_minor", {m.minor: m for m in self.minors})

    def get(self, minor: str) -> MinorLifecycle | None:
        """Lifecycle of a minor; accepts full and vendor versions (`v1.30.4-eks-…`)."""
        key = minor_str(minor)
        return self._by_minor.get(key) if key else None

    def newest_minor(self) -> str | None:
        known = [m.minor for m in self.minors if minor_tuple(m.minor)]
        return max(known, key=lambda m: minor_tuple(m) or (0, 0), default=None)


def lifecycle_findings(
    table: LifecycleTable,
    minor: str,
    today: date,
    warn_days: int = DEFAULT_WARN_DAYS,
    providers: Iterable[str] = PROVIDERS,
) -> list[Finding]:
    """Upstream finding first, then one per provider asked for ("eks", "gke")."""
    entry = table.get(minor)
    if entry is None:
        name = minor_str(minor) or minor
        message = f"no lifecycle data for {name} (snapshot {table.date.isoformat()})"
        return [Finding("unknown", "lifecycle/kubernetes", message)]
    findings = [_upstream(entry, today, warn_days)]
    checks = {"eks": _eks, "gke": _gke}
    findings.extend(checks[p](entry, today, warn_days) for p in providers if p in checks)
    return findings


def _days(until: date, today: date) -> str:
    n = (until - today).days
    return "today" if n == 0 else f"in {n} day{'s' if n != 1 else ''}"


def _upstream(m: MinorLifecycle, today: date, warn_days: int) -> Finding:
    src, name = "lifecycle/kubernetes", f"Kubernetes {m.minor}"
    eol, eom = m.upstream_eol, m.upstream_end_of_maintenance
    if eol is None:
        return Finding("unknown", src, f"{name}: no upstream end-of-life date in the data")
    if eol <= today:
        return Finding("fail", src, f"{name} reached upstream end of life on {eol}")
    if (eol - today).days <= warn_days:
        return Finding(
            "warn", src, f"{name} reaches upstream end of life on {eol} ({_days(eol, today)})"
        )
    if eom is not None and eom <= today:
        return Finding(
            "warn",
            src,
            f"{name} left upstream maintenance on {eom}; only critical fixes until {eol}",
        )
    return Finding("ok", src, f"{name} is supported upstream until {eol}")


def _eks(m: MinorLifecycle, today: date, warn_days: int) -> Finding:
    src, name = "lifecycle/eks", f"Amazon EKS {m.minor}"
    std, ext = m.eks_end_standard, m.eks_end_extended
    if m.eks_release is None or m.eks_release > today:
        when = f" (planned {m.eks_release})" if m.eks_release else ""
        return Finding("warn", src, f"Kubernetes {m.minor} is not yet available on EKS{when}")
    if std is None:
        return Finding("unknown", src, f"{name}: no end of standard support in the data")
    if ext is not None and ext <= today:
        return Finding("fail", src, f"{name} reached the end of extended support on {ext}")
    if std <= today:
        if ext is None:
            return Finding("fail", src, f"{name} reached the end of support on {std}")
        return Finding(
            "warn",
            src,
            f"{name} is in extended support (extra cost) since {std}, until {ext}",
        )
    if (std - today).days <= warn_days:
        return Finding("warn", src, f"{name} standard support ends on {std} ({_days(std, today)})")
    return Finding("ok", src, f"{name} has standard support until {std}")


def _gke(m: MinorLifecycle, today: date, warn_days: int) -> Finding:
    src, name = "lifecycle/gke", f"Google GKE {m.minor}"
    std = m.gke_end_standard
    if m.gke_release is None or m.gke_release > today:
        when = f" (planned {m.gke_release})" if m.gke_release else ""
        return Finding("warn", src, f"Kubernetes {m.minor} is not yet available on GKE{when}")
    if std is None:
        return Finding("unknown", src, f"{name}: no end of standard support in the data")
    if std <= today:
        return Finding(
            "fail",
            src,
            f"{name} reached the end of standard support on {std}; "
            "GKE upgrades such clusters automatically",
        )
    if (std - today).days <= warn_days:
        return Finding("warn", src, f"{name} standard support ends on {std} ({_days(std, today)})")
    return Finding("ok", src, f"{name} has standard support until {std}")


# -- component release lines (endoflife.date products: argo-cd, cert-manager, grafana, …) --


@dataclass(frozen=True)
class ComponentCycle:
    """One release line of a component; `eol` None with `is_eol` set when only a flag is known."""

    cycle: str
    release_date: date | None
    eol: date | None
    is_eol: bool | None
    latest: str | None


@dataclass(frozen=True)
class ComponentLifecycle:
    """The release lines of one product.

    `charts` names the kit charts whose appVersion follows the product's versions.
    """

    product: str
    charts: tuple[str, ...]
    link: str | None
    cycles: tuple[ComponentCycle, ...]

    def cycle_of(self, app_version: str) -> ComponentCycle | None:
        """The release line of an app version (`v3.4.4` -> `3.4`), by its major.minor."""
        key = minor_str(app_version)
        by_cycle = {minor_str(c.cycle) or c.cycle: c for c in self.cycles}
        if key and key in by_cycle:
            return by_cycle[key]
        major = app_version.strip().lstrip("vV").split(".", 1)[0]
        return by_cycle.get(major)  # products numbered by major only (e.g. "13")


@dataclass(frozen=True)
class ComponentLifecycles:
    date: date
    source: str
    products: tuple[ComponentLifecycle, ...]

    def for_chart(self, chart: str) -> ComponentLifecycle | None:
        return next((p for p in self.products if chart in p.charts), None)


def component_eol_finding(
    lifecycle: ComponentLifecycle, app_version: str, today: date, warn_days: int = DEFAULT_WARN_DAYS
) -> Finding:
    """warn when the app's release line is past (or near) its end of life; ok when supported."""
    src = f"lifecycle/{lifecycle.product}"
    cycle = lifecycle.cycle_of(app_version)
    if cycle is None:
        return Finding(
            "unknown",
            src,
            f"{lifecycle.product} {app_version}: release line not in the data",
            lifecycle.link,
        )
    name = f"{lifecycle.product} {cycle.cycle}"
    if cycle.eol is not None:
        if cycle.eol <= today:
            return Finding(
                "warn", src, f"{name} reached end of life on {cycle.eol}", lifecycle.link
            )
        if (cycle.eol - today).days <= warn_days:
            msg = f"{name} reaches end of life on {cycle.eol} ({_days(cycle.eol, today)})"
            return Finding("warn", src, msg, lifecycle.link)
        return Finding("ok", src, f"{name} is supported until {cycle.eol}", lifecycle.link)
    if cycle.is_eol:
        return Finding("warn", src, f"{name} is end of life", lifecycle.link)
    return Finding("ok", src, f"{name} is a supported release line", lifecycle.link)

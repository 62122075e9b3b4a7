"""The compatibility report's data model (SPEC §7): one model, rendered as md, html and json.

The compat part is kept in the SPEC's stable JSON shape (`compat --json`), so the report
renders exactly what `releaser compat` says, whatever engine produced it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from releaser.domain.compat import label_span
from releaser.domain.diff import KitDiff
from releaser.domain.kit import KubernetesRange
from releaser.domain.lifecycle import LifecycleTable
from releaser.domain.unverified import Stale, Unverified

Status = Literal["ok", "soon", "past", "unknown"]
MARKS = {"ok": "✓", "warn": "!", "fail": "✗", "unknown": "?"}


def support_status(end: date | None, today: date, warn_days: int = 90) -> Status:
    """Where `today` stands against a support end date."""
    if end is None:
        return "unknown"
    if end <= today:
        return "past"
    return "soon" if (end - today).days <= warn_days else "ok"


@dataclass(frozen=True)
class SupportEnd:
    end: date | None
    status: Status

    def as_dict(self) -> dict[str, Any]:
        return {"end": self.end.isoformat() if self.end else None, "status": self.status}


@dataclass(frozen=True)
class LifecycleRow:
    """Support ends of one Kubernetes minor: upstream, EKS (standard), GKE (standard)."""

    minor: str
    upstream: SupportEnd
    eks: SupportEnd
    gke: SupportEnd

    @property
    def worst(self) -> Status:
        order: tuple[Status, ...] = ("past", "soon", "unknown", "ok")
        found = {self.upstream.status, self.eks.status, self.gke.status}
        return next(s for s in order if s in found)

    def as_dict(self) -> dict[str, Any]:
        return {
            "minor": self.minor,
            "upstream": self.upstream.as_dict(),
            "eks": self.eks.as_dict(),
            "gke": self.gke.as_dict(),
        }


def lifecycle_rows(
    table: LifecycleTable, minors: Sequence[str], today: date, warn_days: int = 90
) -> tuple[LifecycleRow, ...]:
    """The support ends of each minor, marked against `today`."""
    rows = []
    for minor in minors:
        entry = table.get(minor)
        ends = (
            (entry.upstream_eol, entry.eks_end_standard, entry.gke_end_standard)
            if entry
            else (None, None, None)
        )
        upstream, eks, gke = (
            SupportEnd(end, support_status(end, today, warn_days)) for end in ends
        )
        rows.append(LifecycleRow(minor, upstream, eks, gke))
    return tuple(rows)


@dataclass(frozen=True)
class DriftRow:
    """How far one component is behind the newest release compatible with the kit's range."""

    name: str
    section: str
    current: str
    newest: str | None  # None when nothing compatible is known
    change: str  # none | patch | minor | major | other | unknown
    behind_days: int | None  # days since the newest compatible release came out (as of today)
    error: str | None = None
    description: str | None = None  # the chart's own description, from upstream

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "section": self.section,
            "current": self.current,
            "newest": self.newest,
            "change": self.change,
            "behindDays": self.behind_days,
            "error": self.error,
            "description": self.description,
        }


@dataclass(frozen=True)
class CustomerRow:
    name: str
    version: str | None
    kubernetes: str
    ready: bool
    blocking: tuple[str, ...] = ()
    unverified: tuple[Unverified, ...] = ()  # its preflight could not judge these

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kubernetes": self.kubernetes,
            "ready": self.ready,
            "blocking": list(self.blocking),
        }


@dataclass(frozen=True)
class Report:
    version: str
    against: str | None
    generated: date
    kubernetes: KubernetesRange
    data_dates: Mapping[str, str]
    changes: KitDiff | None
    compat: Mapping[str, Any]  # SPEC §5 compat JSON
    in_range: tuple[str, ...]  # the minors of the kit's own range
    lifecycle: tuple[LifecycleRow, ...]
    drift: tuple[DriftRow, ...]
    customers: tuple[CustomerRow, ...] | None  # None without a fleet file
    unverified: tuple[Unverified, ...] = ()  # upstreams not read: the report is partial
    stale: tuple[Stale, ...] = ()  # components read from a cached copy standing in

    @property
    def minors(self) -> list[str]:
        return list(self.compat.get("kubernetes", []))

    def profile_line(self) -> str | None:
        """Which deploy path the kubeVersion verdicts follow, and why (compat `profileDetail`)."""
        detail = self.compat.get("profileDetail")
        if not detail:
            name = self.compat.get("profile")
            return f"kubeVersion judged with profile {name}" if name else None
        origin = f"; {detail['origin']}" if detail.get("origin") else ""
        return f"kubeVersion judged as {detail['title']} (profile {detail['name']}{origin})"

    def unchecked_charts(self) -> list[str]:
        """The components whose templates could not be checked on some minor."""
        return [c["name"] for c in self.compat.get("components", [])
                if any(cell.get("unchecked") for cell in c["verdicts"].values())]

    def minor_lifecycle(self, minor: str) -> Mapping[str, Any] | None:
        """The calendars' verdict on one column of the matrix, said once for every component."""
        found: Mapping[str, Any] | None = self.compat.get("lifecycle", {}).get(minor)
        return found

    def lifecycle_notes(self) -> list[tuple[str, Mapping[str, str]]]:
        """(minor, reason) for what the calendars say that is not ok, once per minor."""
        return [(minor, reason) for minor, cell in self.compat.get("lifecycle", {}).items()
                for reason in cell["reasons"] if reason.get("level", "") != "ok"]

    def verdict_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(MARKS, 0)
        for component in self.compat.get("components", []):
            for cell in component["verdicts"].values():
                counts[cell["verdict"]] += 1
        return counts

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "against": self.against,
            "generated": self.generated.isoformat(),
            "kubernetes": self.kubernetes.as_dict(),
            "data": dict(self.data_dates),
            "profile": self.compat.get("profile"),
            "uncheckedCharts": self.unchecked_charts(),
            "changes": self.changes.as_dict() if self.changes else None,
            "compat": dict(self.compat),
            "lifecycle": [row.as_dict() for row in self.lifecycle],
            "drift": [row.as_dict() for row in self.drift],
            "customers": [c.as_dict() for c in self.customers]
            if self.customers is not None
            else [],
            # only on a partial report, so complete ones keep their shape
            **({"unverified": [u.as_dict() for u in self.unverified]} if self.unverified else {}),
            **({"stale": [s.as_dict() for s in self.stale]} if self.stale else {}),
        }


@dataclass(frozen=True)
class Footnote:
    """Numbered reasons of one component, shared by every minor (`minors`) they hold on."""

    n: int
    name: str
    minors: tuple[str, ...]
    span: str  # `1.35–1.37`
    reasons: Sequence[Mapping[str, str]]


def footnotes(compat: Mapping[str, Any]) -> list[Footnote]:
    """Numbered reasons for every cell that is not plain ok, keeping only the reasons that
    are not ok themselves (what needs attention); cells of one component with the same
    reasons share one note."""
    order = list(compat.get("kubernetes", []))
    notes: list[Footnote] = []
    for component in compat.get("components", []):
        by_reasons: dict[str, tuple[list[str], list[Mapping[str, str]]]] = {}
        for minor, cell in component["verdicts"].items():
            reasons = [r for r in cell["reasons"] if r.get("level", "") != "ok"]
            if cell["verdict"] != "ok" and reasons:
                key = json.dumps(reasons, sort_keys=True)
                by_reasons.setdefault(key, ([], reasons))[0].append(minor)
        for minors, reasons in by_reasons.values():
            notes.append(Footnote(len(notes) + 1, component["name"], tuple(minors),
                                  label_span(minors, order), reasons))
    return notes

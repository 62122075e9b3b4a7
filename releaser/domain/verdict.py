"""A verdict: the combined level of every source's findings for one cell, with its reasons.

`ok | warn | fail | unknown` (SPEC §6). The combination follows `findings.worst`, with one
rule on top: the Kubernetes lifecycle calendars speak about the minor, not the component, so
when they are the only sources that say `ok` the cell is `unknown` — nothing vouched for the
component itself. A `warn` or `fail` from a calendar still counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from releaser.domain.findings import Finding, Level, worst

MINOR_SOURCES = frozenset({"lifecycle/kubernetes", "lifecycle/eks", "lifecycle/gke"})


@dataclass(frozen=True)
class Verdict:
    level: Level
    reasons: tuple[Finding, ...]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Verdict:
        reasons = tuple(findings)
        level = worst(f.level for f in reasons)
        vouched = any(f.level == "ok" and f.source not in MINOR_SOURCES for f in reasons)
        if level == "ok" and not vouched:
            level = "unknown"
        return cls(level, reasons)

    @property
    def failed(self) -> bool:
        return self.level == "fail"

    def by_level(self, level: Level) -> list[Finding]:
        return [f for f in self.reasons if f.level == level]

    def as_dict(self) -> dict[str, Any]:
        return {
            "verdict": self.level,
            "reasons": [_reason(f) for f in self.reasons],
        }


def _reason(finding: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {"source": finding.source, "message": finding.message}
    out["level"] = finding.level
    if finding.url:
        out["url"] = finding.url
    return out

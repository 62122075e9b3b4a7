"""A verdict for one (component version, Kubernetes version) cell: its level and its reasons."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from releaser.domain.findings import Finding, Level, worst

_ORDER: dict[Level, int] = {"fail": 0, "warn": 1, "unknown": 2, "ok": 3}


@dataclass(frozen=True)
class Verdict:
    """`reasons` are every finding, the most severe first (stable within a level)."""

    level: Level
    reasons: tuple[Finding, ...]

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Verdict:
        found = tuple(findings)
        ordered = tuple(sorted(found, key=lambda f: _ORDER[f.level]))
        return cls(worst(f.level for f in found), ordered)

    def to_json(self) -> dict[str, Any]:
        """The SPEC §5 `compat` cell: {"verdict", "reasons": [{"source", "message"}]}."""
        reasons = []
        for f in self.reasons:
            reason = {"source": f.source, "message": f.message, "level": f.level}
            if f.url:
                reason["url"] = f.url
            reasons.append(reason)
        return {"verdict": self.level, "reasons": reasons}

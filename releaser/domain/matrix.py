"""Upstream support matrices (`core/compatibility.yaml`): version line -> Kubernetes minors.

A line's `versions` selector is one of (a leading `v` is ignored everywhere):
- `1.21`                 a release line: every 1.21.* version (pre-releases included);
- `1.10.0`, `1.12.0-beta.0`  one exact version;
- `>=0.10.0 <0.18.0`     comparators (`>=`, `>`, `<=`, `<`, `=`), all must hold; missing
                         parts count as 0 and pre-release tags are ignored.
The first line that matches wins, so exact versions go before their release line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from releaser.domain.findings import Finding, Level, minor_str, minor_tuple

SOURCE = "matrix"
Match = Literal["appVersion", "chartVersion"]
Status = Literal["active", "deprecated", "retired"]

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+](.+))?$", re.IGNORECASE)
_COMPARATOR = re.compile(r"^(>=|<=|>|<|=)\s*(.+)$")

Triple = tuple[int, int, int]


def _parse(text: str) -> tuple[Triple, int, str] | None:
    """(numbers padded to 3, how many were written, pre-release or '') or None."""
    m = _VERSION.match(text.strip())
    if not m:
        return None
    written = [g for g in m.groups()[:3] if g is not None]
    nums = [int(g) for g in written] + [0] * (3 - len(written))
    return (nums[0], nums[1], nums[2]), len(written), (m.group(4) or "").lower()


@dataclass(frozen=True)
class Selector:
    """A parsed `versions` selector; build with `Selector.parse`."""

    text: str
    kind: Literal["line", "exact", "range"]
    checks: tuple[tuple[str, Triple], ...] = ()
    exact: tuple[Triple, str] | None = None

    @classmethod
    def parse(cls, text: str) -> Selector:
        """Raise ValueError with a readable reason when `text` is not a selector."""
        tokens = text.split()
        if len(tokens) == 1 and not _COMPARATOR.match(tokens[0]):
            parsed = _parse(tokens[0])
            if parsed is None or parsed[1] == 1:
                raise ValueError(f"not a version line or version: {text!r}")
            nums, written, pre = parsed
            if written == 2 and not pre:
                return cls(text, "line", exact=(nums, ""))
            return cls(text, "exact", exact=(nums, pre))
        checks = []
        for token in tokens:
            m = _COMPARATOR.match(token)
            bound = _parse(m.group(2)) if m else None
            if m is None or bound is None:
                raise ValueError(f"not a comparator (>=, >, <=, <, =) with a version: {token!r}")
            checks.append((m.group(1), bound[0]))
        return cls(text, "range", checks=tuple(checks))

    def matches(self, version: str) -> bool:
        parsed = _parse(version)
        if parsed is None:
            return False
        nums, _, pre = parsed
        if self.kind == "line":
            assert self.exact is not None
            return nums[:2] == self.exact[0][:2]
        if self.kind == "exact":
            return (nums, pre) == self.exact
        return all(_compare(nums, op, bound) for op, bound in self.checks)


def _compare(left: Triple, op: str, right: Triple) -> bool:
    return {
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
        "=": left == right,
    }[op]


@dataclass(frozen=True)
class SupportLine:
    """Versions matching `versions` support Kubernetes `min`..`max` (inclusive; None = open)."""

    versions: str
    min: str | None
    max: str | None
    note: str | None = None
    chart: str | None = None
    selector: Selector = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "selector", Selector.parse(self.versions))

    def covers(self, minor: tuple[int, int]) -> bool:
        low = minor_tuple(self.min) if self.min else None
        high = minor_tuple(self.max) if self.max else None
        return (low is None or low <= minor) and (high is None or minor <= high)

    def range_text(self) -> str:
        if self.min and self.max:
            return (
                f"Kubernetes {self.min}"
                if self.min == self.max
                else (f"Kubernetes {self.min}–{self.max}")
            )
        if self.min:
            return f"Kubernetes {self.min} and newer"
        return f"Kubernetes up to {self.max}" if self.max else "any Kubernetes version"


@dataclass(frozen=True)
class SupportMatrix:
    """One component's published matrix. `outside` is the level for a minor outside a known line:
    `fail` where upstream states support or requirements, `warn` where it only lists what it tests.
    """

    component: str
    source_url: str
    match: Match
    lines: tuple[SupportLine, ...]
    outside: Level = "fail"
    status: Status = "active"
    status_note: str | None = None
    notes: tuple[str, ...] = ()

    def line_for(self, version: str) -> SupportLine | None:
        return next((line for line in self.lines if line.selector.matches(version)), None)


def matrix_finding(
    matrix: SupportMatrix, app_version: str | None, chart_version: str | None, minor: str
) -> Finding:
    """ok when the version's line lists the minor; `matrix.outside` when another line lists
    it but this one does not; warn when no line lists it at all (a minor newer than the table:
    untested, not excluded); unknown when the version is in no line (or there is no matrix)."""
    url = matrix.source_url or None
    name = matrix.component
    version = app_version if matrix.match == "appVersion" else chart_version
    at, key = minor_tuple(minor), minor_str(minor)
    if not matrix.lines:
        return Finding("unknown", SOURCE, f"{name} publishes no Kubernetes support matrix", url)
    if not version or at is None:
        what = "appVersion" if matrix.match == "appVersion" else "chart version"
        return Finding("unknown", SOURCE, f"{name}: no {what} or minor to look up", url)
    line = matrix.line_for(version)
    if line is None:
        return Finding(
            "unknown", SOURCE, f"{name} {version} is not in the upstream support matrix", url
        )
    verb = "supports" if matrix.outside == "fail" else "is tested upstream on"
    label = f"{name} {line.versions}"
    if line.covers(at):
        return Finding("ok", SOURCE, f"{label} {verb} {line.range_text()}", url)
    if not any(other.covers(at) for other in matrix.lines):
        # The table says nothing of this minor for any version: untested, not excluded.
        return Finding(
            "warn",
            SOURCE,
            f"{label} {verb} {line.range_text()}; upstream lists no version for {key} yet",
            url,
        )
    return Finding(matrix.outside, SOURCE, f"{label} {verb} {line.range_text()}, not {key}", url)


def status_finding(matrix: SupportMatrix) -> Finding | None:
    """warn for a component retired or deprecated upstream; None while it is active."""
    if matrix.status == "active":
        return None
    note = f": {matrix.status_note}" if matrix.status_note else ""
    message = f"{matrix.component} is {matrix.status} upstream{note}"
    return Finding("warn", "upstream-status", message, matrix.source_url or None)

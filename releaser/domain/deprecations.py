"""Deprecated and removed Kubernetes APIs against a Kubernetes minor.

Levels: an API removed in (or before) the minor -> fail, unless it is only a conditional
fallback (a template that picks it only when the cluster lacks the newer API) -> ok with
a note; deprecated but still served -> warn; otherwise nothing to say about that API.
Entries for other components (cert-manager, istio CRD versions) are kept in the table,
but their versions are that component's, so they never produce Kubernetes findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from releaser.domain.findings import Finding, minor_str, minor_tuple

SOURCE = "deprecated-apis"


@dataclass(frozen=True)
class DeprecatedApi:
    """`deprecated_in`/`removed_in` are minors (`1.22`) or None (not deprecated/removed yet)."""

    api_version: str
    kind: str
    deprecated_in: str | None
    removed_in: str | None
    replacement: str | None
    source: str
    component: str = "k8s"


@dataclass(frozen=True)
class ApiUse:
    """An apiVersion/kind a chart renders; `conditional` when only one of several candidates."""

    api_version: str
    kind: str
    conditional: bool
    file: str


@dataclass(frozen=True)
class DeprecationTable:
    date: date
    source: str
    entries: tuple[DeprecatedApi, ...]
    _index: Mapping[tuple[str, str], DeprecatedApi] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {(e.api_version, e.kind): e for e in reversed(self.entries)}
        object.__setattr__(self, "_index", index)

    def lookup(self, api_version: str, kind: str) -> DeprecatedApi | None:
        """The entry for apiVersion/kind; an entry with an empty kind covers the whole group."""
        return self._index.get((api_version, kind)) or self._index.get((api_version, ""))


def _reached(version: str | None, minor: tuple[int, int]) -> bool:
    parsed = minor_tuple(version) if version else None
    return parsed is not None and parsed <= minor


def _files(uses: list[ApiUse]) -> str:
    names = sorted({u.file for u in uses})
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def _finding(entry: DeprecatedApi, uses: list[ApiUse], minor: str) -> Finding | None:
    at = minor_tuple(minor)
    assert at is not None
    name = f"{entry.api_version} {uses[0].kind}"
    use = f" use {entry.replacement}" if entry.replacement else " no replacement API"
    where = f" ({_files(uses)})"
    if _reached(entry.removed_in, at):
        if all(u.conditional for u in uses):
            msg = (
                f"{name} (removed in {entry.removed_in}) is only rendered on older clusters; "
                f"{minor} gets {entry.replacement or 'another API'}{where}"
            )
            return Finding("ok", SOURCE, msg)
        return Finding("fail", SOURCE, f"{name} was removed in {entry.removed_in};{use}{where}")
    if _reached(entry.deprecated_in, at):
        removal = f", removed in {entry.removed_in}" if entry.removed_in else ""
        qualifier = " (conditional fallback)" if all(u.conditional for u in uses) else ""
        msg = f"{name}{qualifier} is deprecated since {entry.deprecated_in}{removal};{use}{where}"
        return Finding("warn", SOURCE, msg)
    return None


def api_findings(used: Iterable[ApiUse], minor: str, table: DeprecationTable) -> list[Finding]:
    """One finding per deprecated/removed apiVersion/kind in use, or one `ok` when none is.

    No uses at all (nothing rendered or scanned) -> no findings: silence, not a clean bill.
    """
    key = minor_str(minor)
    if key is None:
        raise ValueError(f"not a Kubernetes version: {minor!r}")
    grouped: dict[tuple[str, str], list[ApiUse]] = {}
    for use in used:
        grouped.setdefault((use.api_version, use.kind), []).append(use)
    if not grouped:
        return []
    findings = []
    for (api_version, kind), uses in sorted(grouped.items()):
        entry = table.lookup(api_version, kind)
        if entry is not None and entry.component == "k8s":
            finding = _finding(entry, uses, key)
            if finding is not None:
                findings.append(finding)
    if findings:
        return findings
    n = len(grouped)
    msg = (
        f"none of the {n} apiVersion/kind pair{'s' if n != 1 else ''} in use is deprecated "
        f"or removed in {key} (data {table.date.isoformat()})"
    )
    return [Finding("ok", SOURCE, msg)]

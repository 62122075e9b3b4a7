"""`releaser plan`: which version each component should move to.

Rule (also `bump --latest-compatible` and the report's drift): the newest release that fails
on no minor of the kit's range for a reason of its own. The change is judged, not the
calendar: a failure the current version has too (a minor past its end of life, a removed API
both still use) holds no candidate back; the plan reports it once, as a note. Versions never
go down; pre-releases and non-SemVer strings are never proposed unless asked for. A major
bump is never proposed as an ordinary one: it is listed on its own (held, kind "major"), so
nobody applies it without reading its notes. Releases newer than the proposal that fail are
listed as held, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from releaser.domain.charts import ChartRelease
from releaser.domain.findings import Finding
from releaser.domain.kit import Component
from releaser.domain.unverified import Stale, Unverified
from releaser.domain.verdict import Verdict
from releaser.domain.versions import ChangeKind, ChartVersion, change_kind

HeldKind = Literal["major", "incompatible"]


@dataclass(frozen=True)
class SharedFailure:
    """A failure a candidate shares with the current version on one Kubernetes target."""

    label: str
    source: str
    message: str


@dataclass(frozen=True)
class Judgement:
    ok: bool
    reason: str  # why it fails, or what the pass rests on
    shared: tuple[SharedFailure, ...] = ()  # failures the current version has too


def _failures(verdict: Verdict | None, level: str = "fail") -> list[Finding]:
    return [f for f in verdict.reasons if f.level == level] if verdict else []


def judge_change(
    candidate: Mapping[str, Verdict], current: Mapping[str, Verdict], where: str
) -> Judgement:
    """A candidate fails only for findings the current version does not have on the same
    target; those it shares come back in `shared`. `where` names the range judged."""
    shared: list[SharedFailure] = []
    own_warned: list[str] = []
    for label, verdict in candidate.items():
        before = current.get(label)
        known = {(f.source, f.message) for f in _failures(before)}
        for finding in _failures(verdict):
            if (finding.source, finding.message) not in known:
                return Judgement(False, f"fails on {label}: {finding.message} ({finding.source})")
            shared.append(SharedFailure(label, finding.source, finding.message))
        warned = {(f.source, f.message) for f in _failures(before, "warn")}
        if any((f.source, f.message) not in warned for f in _failures(verdict, "warn")):
            own_warned.append(label)
    note = f"; warnings on {', '.join(own_warned)}" if own_warned else ""
    return Judgement(True, f"newest release not failing on {where}{note}", tuple(shared))


Judge = Callable[[ChartRelease], Judgement]


@dataclass(frozen=True)
class Proposal:
    name: str
    section: str
    from_version: str
    to_version: str
    change: ChangeKind
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "section": self.section, "from": self.from_version,
                "to": self.to_version, "change": self.change, "reason": self.reason}


@dataclass(frozen=True)
class Held:
    name: str
    to_version: str
    reason: str
    kind: HeldKind

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "to": self.to_version, "reason": self.reason,
                "kind": self.kind}


@dataclass(frozen=True)
class PlanNote:
    """A failure the current versions share with their candidates: said once, held against
    none of them. `components` are those whose candidates shared it."""

    failure: SharedFailure
    components: tuple[str, ...]
    every: bool  # every component that had a newer release shares it

    @property
    def text(self) -> str:
        who = "every component" if self.every else ", ".join(self.components)
        f = self.failure
        return (f"{f.label}: {f.message} ({f.source}): the current version fails the same "
                f"way, so it holds back no candidate ({who})")

    def as_dict(self) -> dict[str, Any]:
        f = self.failure
        return {"kubernetes": f.label, "source": f.source, "message": f.message,
                "components": list(self.components)}


@dataclass(frozen=True)
class Plan:
    proposals: tuple[Proposal, ...]
    held: tuple[Held, ...]
    unverified: tuple[Unverified, ...] = ()  # components whose releases could not be read
    stale: tuple[Stale, ...] = ()  # components whose releases came from a cached copy
    notes: tuple[PlanNote, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"proposals": [p.as_dict() for p in self.proposals],
                                "held": [h.as_dict() for h in self.held]}
        if self.notes:  # only when there is one, so plans without keep their shape
            data["notes"] = [n.as_dict() for n in self.notes]
        if self.unverified:  # only on a partial plan, so complete ones keep their shape
            data["unverified"] = [u.as_dict() for u in self.unverified]
        if self.stale:
            data["stale"] = [s.as_dict() for s in self.stale]
        return data


def newer_releases(
    current: str, releases: Iterable[ChartRelease], include_prerelease: bool = False
) -> list[ChartRelease]:
    """SemVer releases above `current`, newest first (all of them when `current` is not
    SemVer: nothing can be said to be older)."""
    now = ChartVersion.parse(current)
    found = [
        r for r in releases
        if r.parsed_version.is_semver
        and (include_prerelease or not r.parsed_version.is_prerelease)
        and (not now.is_semver or r.parsed_version > now)
        and r.parsed_version.semver != now.semver
    ]
    return sorted(found, key=lambda r: r.parsed_version, reverse=True)


def newest_compatible(
    current: str, releases: Sequence[ChartRelease], judge: Judge, include_prerelease: bool = False,
    allow_major: bool = True,
) -> ChartRelease | None:
    """The newest release above `current` that the judge accepts (None: stay)."""
    now = ChartVersion.parse(current)
    for release in newer_releases(current, releases, include_prerelease):
        if not allow_major and change_kind(now, release.parsed_version) == "major":
            continue
        if judge(release).ok:
            return release
    return None


def plan_component(
    component: Component, releases: Sequence[ChartRelease], judge: Judge,
    include_prerelease: bool = False,
) -> tuple[Proposal | None, list[Held]]:
    now = ChartVersion.parse(component.version)
    proposal: Proposal | None = None
    major: ChartRelease | None = None
    rejected: tuple[ChartRelease, Judgement] | None = None
    for release in newer_releases(component.version, releases, include_prerelease):
        kind = change_kind(now, release.parsed_version)
        if kind == "major" and major is not None:
            continue
        verdict = judge(release)
        if not verdict.ok:
            rejected = rejected or (release, verdict)
            continue
        if kind == "major":
            major = release
            continue
        proposal = Proposal(component.name, component.section, component.version,
                            release.version, kind, verdict.reason)
        break
    return proposal, _held(component, major, rejected, proposal)


def _held(
    component: Component, major: ChartRelease | None,
    rejected: tuple[ChartRelease, Judgement] | None, proposal: Proposal | None,
) -> list[Held]:
    held = []
    if major is not None:
        held.append(Held(component.name, major.version, (
            f"major bump from {component.version}: compatible, but review its upgrade notes, "
            f"then run `releaser bump {component.name} --to {major.version}`"), "major"))
    if rejected is not None:
        release, verdict = rejected
        held.append(Held(component.name, release.version, verdict.reason, "incompatible"))
    return held


def plan_notes(shared: Mapping[str, Iterable[SharedFailure]]) -> tuple[PlanNote, ...]:
    """One note per shared failure (component name -> what its candidates shared), in the
    order first seen; `every` when each component that had a candidate shares it."""
    seen: dict[SharedFailure, list[str]] = {}
    for name, failures in shared.items():
        for failure in dict.fromkeys(failures):
            seen.setdefault(failure, []).append(name)
    return tuple(
        PlanNote(failure, tuple(names), len(names) == len(shared) > 1)
        for failure, names in seen.items()
    )


def build_plan(
    items: Iterable[tuple[Proposal | None, list[Held]]], notes: tuple[PlanNote, ...] = ()
) -> Plan:
    proposals, held = [], []
    for proposal, holds in items:
        if proposal is not None:
            proposals.append(proposal)
        held += holds
    return Plan(tuple(proposals), tuple(held), notes=notes)

"""Which upstream releases a component could move to: newest patch, minor and major.

Relative to the current version C (SemVer; a leading v is fine):
- patch: the newest release with C's major.minor and higher than C;
- minor: the newest with C's major, a higher minor;
- major: the newest with a higher major.
Non-SemVer versions are kept in the index but never chosen; pre-releases only with
`include_prerelease`. Deprecated releases stay candidates (the flag is reported with them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from releaser.domain.charts import ChartRelease
from releaser.domain.versions import ChartVersion


@dataclass(frozen=True)
class Candidates:
    current: ChartRelease | None  # the current version's own release, when the index has it
    patch: ChartRelease | None
    minor: ChartRelease | None
    major: ChartRelease | None
    newest: ChartRelease | None  # the newest eligible release overall, whatever the step

    def by_kind(self) -> dict[str, ChartRelease | None]:
        return {"patch": self.patch, "minor": self.minor, "major": self.major}


@dataclass(frozen=True)
class Upgrades:
    """What a component could move to, and for each step kind the releases on the way."""

    candidates: Candidates
    # For each of patch/minor/major that has a candidate: the releases after the current
    # version up to and including that candidate, newest first.
    steps: dict[str, list[ChartRelease]]


_Key = tuple[object, ...]
_Entry = tuple[_Key, ChartVersion, ChartRelease]


class ReleasePool:
    """The eligible releases of one chart, each version parsed once (indexes hold 1000+)."""

    def __init__(self, releases: Sequence[ChartRelease], include_prerelease: bool = False) -> None:
        self.releases = releases
        seen: set[str] = set()
        entries: list[_Entry] = []
        for release in releases:
            version = ChartVersion.parse(release.version)
            if release.version in seen or not version.is_semver:
                continue
            if version.is_prerelease and not include_prerelease:
                continue
            seen.add(release.version)
            entries.append((version.sort_key, version, release))
        entries.sort(key=lambda e: e[0], reverse=True)  # newest first; keys computed once
        self._entries = entries

    def _first(self, floor: _Key, keep: Callable[[ChartVersion], bool]) -> ChartRelease | None:
        """The newest release above `floor` that `keep` accepts."""
        return next((r for key, v, r in self._entries if key > floor and keep(v)), None)

    def candidates(self, current: str) -> Candidates:
        own = next((r for r in self.releases if r.version == current), None)
        newest = self._entries[0][2] if self._entries else None
        mine = ChartVersion.parse(current)
        cur, floor = mine.semver, mine.sort_key
        if cur is None:
            return Candidates(own, None, None, None, newest)

        def same_minor(v: ChartVersion) -> bool:
            return (v.major, v.minor) == (cur.major, cur.minor)

        def same_major(v: ChartVersion) -> bool:
            return v.major == cur.major and (v.minor or 0) > cur.minor

        def higher_major(v: ChartVersion) -> bool:
            return (v.major or 0) > cur.major

        patch, minor = self._first(floor, same_minor), self._first(floor, same_major)
        return Candidates(own, patch, minor, self._first(floor, higher_major), newest)

    def upgrades(self, current: str) -> Upgrades:
        found = self.candidates(current)
        steps = {
            kind: self.between(current, target)
            for kind, target in found.by_kind().items()
            if target is not None
        }
        return Upgrades(found, steps)

    def between(self, current: str, target: ChartRelease) -> list[ChartRelease]:
        """Eligible releases after `current` up to and including `target`, newest first."""
        low, high = ChartVersion.parse(current), ChartVersion.parse(target.version)
        if not low.is_semver:
            return [target]
        lo, hi = low.sort_key, high.sort_key
        return [r for key, _, r in self._entries if lo < key <= hi]


def select_candidates(
    current: str, releases: Sequence[ChartRelease], include_prerelease: bool = False
) -> Candidates:
    return ReleasePool(releases, include_prerelease).candidates(current)


def releases_between(
    current: str,
    target: ChartRelease,
    releases: Sequence[ChartRelease],
    include_prerelease: bool = False,
) -> list[ChartRelease]:
    return ReleasePool(releases, include_prerelease).between(current, target)

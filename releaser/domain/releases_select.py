"""Which upstream releases a component could move to: newest patch, minor and major.

Relative to the current version C (SemVer; a leading v is fine):
- patch: the newest release with C's major.minor and higher than C;
- minor: the newest with C's major, a higher minor;
- major: the newest with a higher major.
Non-SemVer versions are kept in the index but never chosen; pre-releases only with
`include_prerelease`. Deprecated releases stay candidates (the flag is reported with them).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def _eligible(releases: Iterable[ChartRelease], include_prerelease: bool) -> list[ChartRelease]:
    """SemVer releases (pre-releases only when asked), first occurrence of each version."""
    seen: set[str] = set()
    out = []
    for release in releases:
        version = release.parsed_version
        if release.version in seen or not version.is_semver:
            continue
        if version.is_prerelease and not include_prerelease:
            continue
        seen.add(release.version)
        out.append(release)
    return out


def _newest(releases: Iterable[ChartRelease]) -> ChartRelease | None:
    return max(releases, key=lambda r: r.parsed_version.sort_key, default=None)


def select_candidates(
    current: str, releases: Sequence[ChartRelease], include_prerelease: bool = False
) -> Candidates:
    mine = ChartVersion.parse(current)
    own = next((r for r in releases if r.version == current), None)
    pool = _eligible(releases, include_prerelease)
    newest = _newest(pool)
    cur = mine.semver
    if cur is None:
        return Candidates(own, None, None, None, newest)
    higher = [r for r in pool if r.parsed_version > mine]
    patch = _newest(
        r
        for r in higher
        if (r.parsed_version.major, r.parsed_version.minor) == (cur.major, cur.minor)
    )
    minor = _newest(
        r
        for r in higher
        if r.parsed_version.major == cur.major and (r.parsed_version.minor or 0) > cur.minor
    )
    major = _newest(r for r in higher if (r.parsed_version.major or 0) > cur.major)
    return Candidates(own, patch, minor, major, newest)


def releases_between(
    current: str,
    target: ChartRelease,
    releases: Sequence[ChartRelease],
    include_prerelease: bool = False,
) -> list[ChartRelease]:
    """Eligible releases after `current` up to and including `target`, newest first."""
    low, high = ChartVersion.parse(current), target.parsed_version
    if not low.is_semver:
        return [target]
    between = [r for r in _eligible(releases, include_prerelease) if low < r.parsed_version <= high]
    return sorted(between, key=lambda r: r.parsed_version.sort_key, reverse=True)

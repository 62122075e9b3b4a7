"""The three kinds of version the kit deals with (SPEC §3).

- `KitVersion`: the kit's own calendar version `YYYY.N` / `YYYY.N.P`.
- `ChartVersion`: an upstream chart version as found in a Helm index. Usually SemVer 2 (with an
  optional leading `v`), but real indexes hold strings that are not (`0.1`, `9.10.01`); those are
  kept, sort before every SemVer version and are never chosen as newest.
- `KubeVersion`: a Kubernetes version as a cluster or a user reports it, vendor builds included
  (`v1.30.4-eks-a737599`, `1.30.5-gke.1014001`, `v1.30.2+k3s1`), plus helpers on minors (`1.30`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import total_ordering
from typing import Literal

from semver import Version as SemVer

from releaser.domain.errors import UsageError


class InvalidVersion(UsageError):
    """A kit or Kubernetes version that cannot be parsed (exit 2)."""


# --------------------------------------------------------------------------- kit versions

_KIT_RE = re.compile(r"(?P<year>[1-9][0-9]{3})\.(?P<n>[1-9][0-9]*)(?:\.(?P<patch>[1-9][0-9]*))?")
_BRANCH_PREFIX = "release/"


@total_ordering
@dataclass(frozen=True)
class KitVersion:
    """A kit release `YYYY.N`, or a hotfix `YYYY.N.P` on that release's branch."""

    year: int
    n: int
    patch: int | None = None

    def __post_init__(self) -> None:
        # Keeps the order consistent with equality: no 2024.3.0 next to 2024.3.
        if (
            not 1000 <= self.year <= 9999
            or self.n < 1
            or (self.patch is not None and self.patch < 1)
        ):
            raise InvalidVersion(f"invalid kit version {self.year}.{self.n}.{self.patch}")

    @classmethod
    def parse(cls, text: str) -> KitVersion:
        match = _KIT_RE.fullmatch(text)
        if match is None:
            raise InvalidVersion(
                f"invalid kit version {text!r}: expected YYYY.N or YYYY.N.P "
                "(for example 2024.3 or 2024.3.1; N and P start at 1, no leading zeros)"
            )
        patch = match.group("patch")
        return cls(int(match.group("year")), int(match.group("n")), int(patch) if patch else None)

    @classmethod
    def from_branch(cls, branch: str) -> KitVersion | None:
        """`release/2024.3` -> 2024.3; anything else (hotfix-looking names included) -> None."""
        if not branch.startswith(_BRANCH_PREFIX):
            return None
        match = _KIT_RE.fullmatch(branch[len(_BRANCH_PREFIX) :])
        if match is None or match.group("patch") is not None:
            return None
        return cls(int(match.group("year")), int(match.group("n")))

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.year, self.n, self.patch or 0)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, KitVersion):
            return NotImplemented
        return self.key < other.key

    def __str__(self) -> str:
        base = f"{self.year}.{self.n}"
        return base if self.patch is None else f"{base}.{self.patch}"

    @property
    def release(self) -> KitVersion:
        """The release this version belongs to (itself when it is not a hotfix)."""
        return KitVersion(self.year, self.n)

    @property
    def is_patch(self) -> bool:
        return self.patch is not None

    @property
    def branch(self) -> str:
        return f"{_BRANCH_PREFIX}{self.year}.{self.n}"

    def next_patch(self) -> KitVersion:
        """2024.3 -> 2024.3.1, 2024.3.2 -> 2024.3.3."""
        return KitVersion(self.year, self.n, (self.patch or 0) + 1)


def next_release(existing: Iterable[KitVersion], year: int) -> KitVersion:
    """The next release in `year`: one past the highest N of that year, or `year.1`.

    Raises InvalidVersion when a release of a later year already exists: cutting `year.N`
    would then sort before a published release (a wrong clock or a wrong --year).
    """
    versions = list(existing)
    later = [v for v in versions if v.year > year]
    if later:
        raise InvalidVersion(
            f"cannot cut a {year} release: {max(later)} already exists",
            hint="check the system clock or pass the intended year",
        )
    same_year = [v.n for v in versions if v.year == year]
    return KitVersion(year, max(same_year, default=0) + 1)


# --------------------------------------------------------------------------- chart versions

# SemVer 2 (semver.org), ASCII digits only, plus an optional leading `v`.
_NUM = r"0|[1-9][0-9]*"
_PRE_ID = r"0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*"
_BUILD_ID = r"[0-9A-Za-z-]+"
_SEMVER_RE = re.compile(
    rf"v?(?P<major>{_NUM})\.(?P<minor>{_NUM})\.(?P<patch>{_NUM})"
    rf"(?:-(?P<pre>(?:{_PRE_ID})(?:\.(?:{_PRE_ID}))*))?"
    rf"(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?"
)

ChangeKind = Literal["patch", "minor", "major", "other"]
_PreKey = tuple[tuple[int, int | str], ...]


def _strict_semver(text: str) -> SemVer | None:
    match = _SEMVER_RE.fullmatch(text)
    if match is None:
        return None
    return SemVer(
        int(match["major"]), int(match["minor"]), int(match["patch"]), match["pre"], match["build"]
    )


def _pre_key(pre: str | None) -> tuple[int, _PreKey]:
    """Release sorts after any pre-release; identifiers compare numerically, then ASCII."""
    if not pre:
        return (1, ())
    ids = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split("."))
    return (0, ids)


@total_ordering
@dataclass(frozen=True)
class ChartVersion:
    """A chart version string exactly as published, with its SemVer reading when it has one.

    Ordering is total and deterministic: non-SemVer strings first (by raw text), then SemVer
    versions by SemVer precedence, ties (build metadata, leading `v`) broken by raw text.
    Only the order among SemVer versions is meaningful; equality is equality of `raw`.
    """

    raw: str
    semver: SemVer | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, raw: str) -> ChartVersion:
        """Never raises: a string that is not SemVer 2 gets `semver=None`."""
        try:
            return cls(raw, _strict_semver(raw))
        except (ValueError, TypeError):
            return cls(raw, None)

    def __str__(self) -> str:
        return self.raw

    @property
    def is_semver(self) -> bool:
        return self.semver is not None

    @property
    def is_prerelease(self) -> bool:
        return self.semver is not None and self.semver.prerelease is not None

    @property
    def major(self) -> int | None:
        return None if self.semver is None else self.semver.major

    @property
    def minor(self) -> int | None:
        return None if self.semver is None else self.semver.minor

    @property
    def patch(self) -> int | None:
        return None if self.semver is None else self.semver.patch

    @property
    def sort_key(self) -> tuple[int, tuple[int, int, int, tuple[int, _PreKey]], str]:
        if self.semver is None:
            return (0, (0, 0, 0, (0, ())), self.raw)
        v = self.semver
        return (1, (v.major, v.minor, v.patch, _pre_key(v.prerelease)), self.raw)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ChartVersion):
            return NotImplemented
        return self.sort_key < other.sort_key


def change_kind(old: ChartVersion, new: ChartVersion) -> ChangeKind:
    """How big the step from `old` to `new` is, whatever its direction.

    - "major": the major differs, or both are 0.y.z and the minor differs (SemVer item 4:
      anything may break before 1.0.0, and charts use 0.y minors as their breaking step);
    - "minor": same major (>= 1), the minor differs;
    - "patch": same major and minor, the patch differs;
    - "other": either side is not SemVer, or only pre-release/build metadata differ, or equal.
    """
    a, b = old.semver, new.semver
    if a is None or b is None:
        return "other"
    if a.major != b.major or (a.major == 0 and a.minor != b.minor):
        return "major"
    if a.minor != b.minor:
        return "minor"
    if a.patch != b.patch:
        return "patch"
    return "other"


def newest(
    versions: Iterable[ChartVersion], include_prerelease: bool = False
) -> ChartVersion | None:
    """The highest SemVer version; non-SemVer strings are never chosen."""
    candidates = [
        v for v in versions if v.is_semver and (include_prerelease or not v.is_prerelease)
    ]
    return max(candidates, default=None)


# --------------------------------------------------------------------------- Kubernetes

_IDENTS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
# Masterminds' NewVersion shape (leading zeros tolerated, as its coercing parser does), with the
# minor required: a Kubernetes version always names one.
_KUBE_RE = re.compile(
    rf"v?(?P<major>[0-9]+)\.(?P<minor>[0-9]+)(?:\.(?P<patch>[0-9]+))?"
    rf"(?:-(?P<pre>{_IDENTS}))?(?:\+(?P<build>{_IDENTS}))?"
)
_MINOR_RE = re.compile(r"v?(?P<major>[0-9]+)\.(?P<minor>[0-9]+)")


def _valid_prerelease(pre: str) -> bool:
    """SemVer item 9: numeric identifiers have no leading zero (Masterminds rejects them too)."""
    return all(not (p.isdigit() and len(p) > 1 and p[0] == "0") for p in pre.split("."))


@dataclass(frozen=True)
class KubeVersion:
    """A Kubernetes version: `1.30`, `1.30.4`, `v1.30.4-eks-a737599`, `v1.30.2+k3s1`.

    A vendor suffix after `-` is a SemVer pre-release (which matters for Helm's `kubeVersion`
    check, see `constraints`); a suffix after `+` is build metadata and never matters.
    """

    major: int
    minor: int
    patch: int | None
    prerelease: str | None
    build: str | None
    raw: str

    @classmethod
    def parse(cls, text: str) -> KubeVersion:
        match = _KUBE_RE.fullmatch(text)
        if match is None or not _valid_prerelease(match["pre"] or ""):
            raise InvalidVersion(
                f"invalid Kubernetes version {text!r}: expected MAJOR.MINOR[.PATCH] with an "
                "optional leading v and vendor suffix (for example 1.30, v1.30.4-eks-a737599)"
            )
        patch = match["patch"]
        return cls(
            major=int(match["major"]),
            minor=int(match["minor"]),
            patch=int(patch) if patch is not None else None,
            prerelease=match["pre"],
            build=match["build"],
            raw=text,
        )

    def __str__(self) -> str:
        return self.raw

    @property
    def has_patch(self) -> bool:
        return self.patch is not None

    @property
    def minor_str(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def minor_tuple(self) -> tuple[int, int]:
        return (self.major, self.minor)

    @property
    def release_str(self) -> str:
        """`1.30.4` for `v1.30.4-eks-a737599`: the upstream release it is built from."""
        return f"{self.major}.{self.minor}.{self.patch or 0}"

    def without_prerelease(self) -> KubeVersion:
        return KubeVersion(self.major, self.minor, self.patch, None, None, self.release_str)


def parse_minor(text: str) -> tuple[int, int]:
    """`1.30` (or `v1.30`) -> (1, 30)."""
    match = _MINOR_RE.fullmatch(text)
    if match is None:
        raise InvalidVersion(f"invalid Kubernetes minor {text!r}: expected MAJOR.MINOR, e.g. 1.30")
    return (int(match["major"]), int(match["minor"]))


def format_minor(minor: tuple[int, int]) -> str:
    return f"{minor[0]}.{minor[1]}"


def minor_key(text: str) -> tuple[int, int]:
    """Sort key for minors written as text: numeric, so 1.9 < 1.10."""
    return parse_minor(text)


def sorted_minors(minors: Iterable[str]) -> list[str]:
    """Distinct minors, normalised (`v1.30` -> `1.30`) and in numeric order."""
    return [format_minor(m) for m in sorted({parse_minor(m) for m in minors})]


def minor_range(low: str, high: str) -> list[str]:
    """Every minor from `low` to `high`, both included: ("1.28", "1.30") -> 1.28, 1.29, 1.30."""
    lo, hi = parse_minor(low), parse_minor(high)
    if lo[0] != hi[0]:
        raise InvalidVersion(f"cannot list minors from {low} to {high}: the majors differ")
    if lo > hi:
        raise InvalidVersion(f"empty minor range: {low} is above {high}")
    return [format_minor((lo[0], m)) for m in range(lo[1], hi[1] + 1)]


def next_minor(text: str) -> str:
    """`1.36` -> `1.37`."""
    major, minor = parse_minor(text)
    return format_minor((major, minor + 1))

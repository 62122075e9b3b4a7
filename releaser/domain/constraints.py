"""Helm `kubeVersion` constraints, evaluated exactly the way Helm evaluates them.

Helm (`pkg/chartutil/compatible.go`, `IsCompatibleRange`) does
`semver.NewConstraint(chart.kubeVersion).Check(semver.NewVersion(clusterVersion))` with
github.com/Masterminds/semver/v3, where the cluster version is the server's `gitVersion`
(`v1.30.4-eks-a737599`) with its suffix intact. This module ports `constraints.go` and the
parts of `version.go` it relies on, as of Masterminds/semver v3.4.0: the release helm/helm's
go.mod requires on the Helm 4 line (Helm 3.17.3 still used v3.3.0; v3.5.0 only adds length
limits and a faster scanner, same answers):

- Syntax: `rewriteRange` first turns each `A - B` (blanks required around `-`) into
  `>= A, <= B`; the text is split on `||` (OR); each part must match `validConstraintRegex`
  (comparators separated by blanks or commas: AND) and is cut into comparators by
  `findConstraintRegex`. Operators: `=` or none, `!=`, `>`, `<`, `>=`/`=>`, `<=`/`=<`,
  `~`/`~>`, `^`. Versions may start with `v`, may be partial (`1.2`, `1`) and may use `x`, `X`
  or `*` for a part, which makes the comparator "dirty" (`parseConstraint`). An empty string
  is not a constraint (Helm skips the check when `kubeVersion` is empty).
- Semantics per operator: `constraintTilde`, `constraintCaret` (0.x rules: `^0.2` is
  `>=0.2.0 <0.3.0`, `^0.0.3` is `=0.0.3`), dirty `>`/`<=` work on the named parts only
  (`>1.2` needs 1.3+, `<=1.4` admits 1.4.99), a bare dirty version is a tilde range.
  Comparison follows `Version.Compare`: numeric parts, then pre-release identifiers
  (numeric < alphanumeric, ASCII order); build metadata (`+k3s1`) is ignored.
- Pre-release rule (v3.4.0, changelog #267 "Handle pre-releases for an "and" group if one
  constraint includes them"): `NewConstraint` records per OR group whether any comparator
  carries a pre-release (`containsPre`); every comparator function starts with
  `if v.Prerelease() != "" && !includePre { return false }`. So `>=1.25.0` rejects
  `v1.25.9-eks-a737599`, `>=1.25.0-0` accepts it, and so does `>=1.21.0-0 <1.30.0`.
- Rules "3.3" (Masterminds v3.2.1 to v3.3.x, which Helm 3.12 to 3.18 use; see
  releaser/domain/profiles.py): the same parser and operators, but each comparator guards
  itself (`if v.Prerelease() != "" && c.con.Prerelease() == ""`, Masterminds v3.3.0
  constraints.go), and a plain `!=` has no guard at all. So `>=1.21.0-0 <1.30.0` rejects
  `v1.25.9-eks-a737599` there, and `-0` belongs on every comparator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from releaser.domain.versions import KubeVersion

# Go's \s is ASCII only; Python's `$` would also match before a final newline, hence \Z.
_S = r"[ \t\n\f\r]"
_SEG = r"[0-9|xX*]+"  # Go's class [0-9|x|X|\*]: the `|` inside is a literal, as upstream
_IDS = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_CV = rf"v?{_SEG}(?:\.{_SEG})?(?:\.{_SEG})?(?:-{_IDS})?(?:\+{_IDS})?"
_OPS = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^"  # order matters: Go and Python both try it leftmost-first

_RANGE_RE = re.compile(rf"{_S}*({_CV}){_S}+-{_S}+({_CV}){_S}*")
_FIND_RE = re.compile(rf"(?:{_OPS}){_S}*{_CV}")
_VALID_RE = re.compile(
    rf"\A(?:{_S}*(?:{_OPS}){_S}*{_CV}{_S}*)(?:(?:{_S}+|,{_S}*)(?:{_OPS}){_S}*{_CV}{_S}*)*\Z"
)
_ONE_RE = re.compile(
    rf"\A{_S}*(?P<op>{_OPS}){_S}*(?P<ver>v?(?P<major>{_SEG})(?P<minor>\.{_SEG})?"
    rf"(?P<patch>\.{_SEG})?(?P<pre>-{_IDS})?(?:\+{_IDS})?){_S}*\Z"
)
# Masterminds' NewVersion with CoerceNewVersion (the default since v3.4.0): leading zeros are fine.
_LOOSE_RE = re.compile(rf"\Av?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-({_IDS}))?(?:\+({_IDS}))?\Z")
_UINT64_MAX = 2**64 - 1

Rules = Literal["3.3", "3.4"]  # Masterminds semver v3.3.x / v3.4.0 and later (same answers in v3.5)
RULES: tuple[Rules, ...] = ("3.3", "3.4")


class InvalidConstraint(ValueError):
    """A `kubeVersion` string Helm itself would refuse to parse."""


@dataclass(frozen=True)
class _Version:
    """The parts of a Masterminds `Version` that take part in comparisons."""

    major: int
    minor: int
    patch: int
    pre: str


def _is_uint(text: str) -> bool:
    return re.fullmatch(r"[0-9]+", text) is not None and int(text) <= _UINT64_MAX


def _compare_pre_part(s: str, o: str) -> int:
    """`comparePrePart`: numbers sort before words, words in ASCII order, absent part first."""
    if s == o:
        return 0
    if not s or not o:
        return -1 if not s else 1
    s_num, o_num = _is_uint(s), _is_uint(o)
    if s_num and o_num:
        return 1 if int(s) > int(o) else -1
    if s_num != o_num:
        return -1 if s_num else 1
    return 1 if s > o else -1


def _compare_pre(s: str, o: str) -> int:
    sp, op = s.split("."), o.split(".")
    for i in range(max(len(sp), len(op))):
        d = _compare_pre_part(sp[i] if i < len(sp) else "", op[i] if i < len(op) else "")
        if d:
            return d
    return 0


def _compare(v: _Version, o: _Version) -> int:
    """`Version.Compare`: build metadata plays no part."""
    for a, b in ((v.major, o.major), (v.minor, o.minor), (v.patch, o.patch)):
        if a != b:
            return -1 if a < b else 1
    if v.pre == o.pre or not (v.pre or o.pre):
        return 0
    if not v.pre or not o.pre:
        return 1 if not v.pre else -1
    return _compare_pre(v.pre, o.pre)


def _valid_pre(pre: str) -> bool:
    return all(not (p.isdigit() and len(p) > 1 and p[0] == "0") for p in pre.split("."))


def _new_version(text: str) -> _Version | None:
    """`NewVersion` (coercing): None where Masterminds returns an error."""
    m = _LOOSE_RE.match(text)
    if m is None:
        return None
    parts = [m[1], (m[2] or ".0")[1:], (m[3] or ".0")[1:]]
    if not all(_is_uint(p) for p in parts) or not _valid_pre(m[4] or ""):
        return None
    return _Version(int(parts[0]), int(parts[1]), int(parts[2]), m[4] or "")


@dataclass(frozen=True)
class _Comparator:
    op: str
    orig: str
    con: _Version
    dirty: bool
    minor_dirty: bool
    patch_dirty: bool

    def __str__(self) -> str:
        return self.op + self.orig


def _is_x(part: str) -> bool:
    return part in ("x", "X", "*")


def _parse_comparator(text: str) -> _Comparator:
    """`parseConstraint`: a partial or wildcard version becomes a dirty x.0.0 / x.y.0."""
    m = _ONE_RE.match(text)
    if m is None:
        raise InvalidConstraint(f"improper constraint: {text.strip()!r}")
    major, minor, patch, pre = m["major"], m["minor"] or "", m["patch"] or "", m["pre"] or ""
    dirty = minor_dirty = patch_dirty = False
    ver = m["ver"]
    if _is_x(major):
        ver, dirty = f"0.0.0{pre}", True
    elif not minor or _is_x(minor[1:]):
        ver, dirty, minor_dirty = f"{major}.0.0{pre}", True, True
    elif not patch or _is_x(patch[1:]):
        ver, dirty, patch_dirty = f"{major}{minor}.0{pre}", True, True
    con = _new_version(ver)
    if con is None:
        raise InvalidConstraint(f"improper version {m['ver']!r} in constraint {text.strip()!r}")
    return _Comparator(m["op"], m["ver"], con, dirty, minor_dirty, patch_dirty)


def _rewrite_ranges(text: str) -> str:
    """`rewriteRange`: `A - B` -> `>= A, <= B `, each replacing the first equal substring."""
    for m in list(_RANGE_RE.finditer(text)):
        text = text.replace(m[0], f">= {m[1]}, <= {m[2]} ", 1)
    return text


def _parse_group(text: str, raw: str) -> tuple[_Comparator, ...]:
    if _VALID_RE.match(text) is None:
        where = f" in {raw!r}" if text.strip() != raw.strip() else ""
        raise InvalidConstraint(f"improper constraint: {text.strip()!r}{where}")
    return tuple(_parse_comparator(part) for part in _FIND_RE.findall(text))


# --------------------------------------------------------------------------- comparator checks
# Each function mirrors its Go namesake after the shared pre-release guard in `_holds`.


def _not_equal(v: _Version, c: _Comparator) -> bool:
    con = c.con
    if c.dirty:
        if con.major != v.major:
            return True
        if con.minor != v.minor and not c.minor_dirty:
            return True
        if c.minor_dirty:
            return False
        if con.patch != v.patch and not c.patch_dirty:
            return True
        if c.patch_dirty:
            return bool(v.pre or con.pre) and _compare_pre(v.pre, con.pre) != 0
    return _compare(v, con) != 0


def _greater_than(v: _Version, c: _Comparator) -> bool:
    if c.dirty:
        if v.major != c.con.major:
            return v.major > c.con.major
        if c.minor_dirty:
            return False  # >11 needs 12 or higher
        if c.patch_dirty:
            return v.minor > c.con.minor  # >11.1 needs 11.2 or higher
    return _compare(v, c.con) > 0


def _less_equal(v: _Version, c: _Comparator) -> bool:
    if not c.dirty:
        return _compare(v, c.con) <= 0
    if v.major > c.con.major:
        return False
    return not (v.major == c.con.major and v.minor > c.con.minor and not c.minor_dirty)


def _tilde(v: _Version, c: _Comparator) -> bool:
    con = c.con
    if _compare(v, con) < 0:
        return False
    if (con.major, con.minor, con.patch) == (0, 0, 0) and not (c.minor_dirty or c.patch_dirty):
        return True
    if v.major != con.major:
        return False
    return v.minor == con.minor or c.minor_dirty


def _tilde_or_equal(v: _Version, c: _Comparator) -> bool:
    return _tilde(v, c) if c.dirty else _compare(v, c.con) == 0


def _caret(v: _Version, c: _Comparator) -> bool:
    con = c.con
    if _compare(v, con) < 0:
        return False
    if con.major > 0 or c.minor_dirty:
        return v.major == con.major
    if v.major > 0:
        return False
    if con.minor > 0 or c.patch_dirty:
        return v.minor == con.minor
    if v.minor > 0:
        return False
    return v.patch == con.patch


_CHECKS = {
    "": _tilde_or_equal,
    "=": _tilde_or_equal,
    "!=": _not_equal,
    ">": _greater_than,
    "<": lambda v, c: _compare(v, c.con) < 0,
    ">=": lambda v, c: _compare(v, c.con) >= 0,
    "=>": lambda v, c: _compare(v, c.con) >= 0,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _holds(v: _Version, c: _Comparator, include_pre: bool) -> bool:
    if v.pre and not include_pre:
        return False
    return _CHECKS[c.op](v, c)


def _holds_v33(v: _Version, c: _Comparator) -> bool:
    """Masterminds <= v3.3: a comparator admits pre-releases only when it has one itself;
    `constraintNotEqual` checks that only for a dirty (`x`, partial) version."""
    if c.op == "!=" and not c.dirty:
        return _not_equal(v, c)
    return _holds(v, c, bool(c.con.pre))


def _group_allows(group: tuple[_Comparator, ...], v: _Version, rules: Rules) -> bool:
    if rules == "3.3":
        return all(_holds_v33(v, c) for c in group)
    include_pre = any(c.con.pre for c in group)  # `containsPre` of the group
    return all(_holds(v, c, include_pre) for c in group)


# --------------------------------------------------------------------------- public API


def _as_kube(version: KubeVersion | str) -> KubeVersion:
    return version if isinstance(version, KubeVersion) else KubeVersion.parse(version)


def _internal(version: KubeVersion) -> _Version:
    return _Version(version.major, version.minor, version.patch or 0, version.prerelease or "")


@dataclass(frozen=True)
class ConstraintVerdict:
    """Helm's answer for one version, and whether only the pre-release rule decided it."""

    allowed: bool
    hinges_on_prerelease: bool
    explanation: str


@dataclass(frozen=True)
class PatchSpan:
    """Patches `low` to `high` (inclusive; None: and every later patch) of one minor."""

    low: int
    high: int | None

    def covers(self, patch: int) -> bool:
        return self.low <= patch and (self.high is None or patch <= self.high)


@dataclass(frozen=True)
class Constraint:
    """A parsed `kubeVersion`: OR groups of AND-ed comparators, as Masterminds holds them."""

    raw: str
    groups: tuple[tuple[_Comparator, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """Raises InvalidConstraint (naming the bad part) wherever Helm's parser errors."""
        rewritten = _rewrite_ranges(text)
        return cls(text, tuple(_parse_group(g, text) for g in rewritten.split("||")))

    def __str__(self) -> str:
        return self.raw

    @property
    def has_prerelease_comparator(self) -> bool:
        return any(c.con.pre for group in self.groups for c in group)

    def allows(self, version: KubeVersion | str, rules: Rules = "3.4") -> bool:
        """Helm's `IsCompatibleRange`; a version string must parse as a KubeVersion."""
        return self._allows(_internal(_as_kube(version)), rules)

    def _allows(self, v: _Version, rules: Rules) -> bool:
        return any(_group_allows(group, v, rules) for group in self.groups)

    def evaluate(self, version: KubeVersion | str, rules: Rules = "3.4") -> ConstraintVerdict:
        kube = _as_kube(version)
        v = _internal(kube)
        allowed = self._allows(v, rules)
        as_release = self._allows(_Version(v.major, v.minor, v.patch, ""), rules)
        hinges = bool(v.pre) and as_release != allowed
        return ConstraintVerdict(allowed, hinges, self._explain(kube, allowed, hinges, rules))

    def patches(
        self, major: int, minor: int, pre: str = "", rules: Rules = "3.4"
    ) -> tuple[PatchSpan, ...]:
        """The patches of `major.minor` (each with pre-release `pre`) the constraint admits.

        Every comparison against a comparator's version changes only at its patch or the
        patch after it, so the answer is constant between those points: checking each
        point is checking every patch."""
        points = sorted({0} | {p for g in self.groups for c in g for p in (c.con.patch,
                                                                         c.con.patch + 1)})
        spans: list[PatchSpan] = []
        for here, after in zip(points, [*points[1:], None], strict=True):
            if not self._allows(_Version(major, minor, here, pre), rules):
                continue
            high = None if after is None else after - 1
            if spans and spans[-1].high == here - 1:
                spans[-1] = PatchSpan(spans[-1].low, high)
            else:
                spans.append(PatchSpan(here, high))
        return tuple(spans)

    def suggestion(self) -> str:
        """The constraint with `-0` on every comparator that has no pre-release (but `!=`):
        the fix that lets vendor builds (`-eks-…`) through under every Masterminds rule set
        (from v3.4 one such comparator per AND group would do)."""
        groups = [" ".join(_with_zero_pre(c) for c in group) for group in self.groups]
        return " || ".join(groups)

    def _explain(self, kube: KubeVersion, allowed: bool, hinges: bool, rules: Rules) -> str:
        shown = f"`{self.raw}`"
        if hinges and allowed:
            return (
                f"{kube} satisfies {shown} only through its pre-release part: as a pre-release "
                f"it sorts before {kube.release_str}, which the constraint rejects"
            )
        if hinges:
            return _prerelease_rejection(self, kube, rules)
        if allowed:
            return f"{kube} satisfies {shown}"
        return f"{kube} does not satisfy {shown}{self._failure(_internal(kube))}"

    def _failure(self, v: _Version) -> str:
        """Which comparator turns the version away, when there is a single AND group."""
        if len(self.groups) != 1:
            return ": it matches none of the OR groups"
        release = _Version(v.major, v.minor, v.patch, "")
        failing = [c for c in self.groups[0] if not _holds(release, c, True)]
        return f": it fails `{failing[0]}`" if failing else ""


def _with_zero_pre(c: _Comparator) -> str:
    """`>=1.25.0` -> `>=1.25.0-0`, keeping any build metadata after the pre-release."""
    if c.con.pre or c.op == "!=":
        return str(c)
    base, plus, build = c.orig.partition("+")
    return f"{c.op}{base}-0{plus}{build}"


def _prerelease_rejection(constraint: Constraint, kube: KubeVersion, rules: Rules) -> str:
    shown = f"`{constraint.raw}`"
    bare = [str(c) for g in constraint.groups for c in g if not c.con.pre and c.op != "!="]
    if rules == "3.3" and constraint.has_prerelease_comparator:
        why = (f"under Masterminds <= 3.3 every comparator needs one, and "
               f"{', '.join(f'`{b}`' for b in bare)} has none")
    elif constraint.has_prerelease_comparator:
        why = "no OR group that would admit its release number has a pre-release comparator"
    else:
        why = f"{shown} has no pre-release comparator"
    text = f"{kube} is a pre-release version for semver; {why} so Helm rejects it"
    fix = constraint.suggestion()
    try:
        works = Constraint.parse(fix).allows(kube, rules)
    except InvalidConstraint:  # pragma: no cover - the suggestion is built from parsed parts
        works = False
    return f"{text}; write `{fix}`" if works else text

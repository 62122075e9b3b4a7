"""Helm `kubeVersion` constraints with Masterminds/semver v3.4 semantics (SPEC §3)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releaser.domain.constraints import Constraint, ConstraintVerdict, InvalidConstraint
from releaser.domain.versions import InvalidVersion, KubeVersion
from tests.upstream import HELM_REPOS

DATA = Path(__file__).parent / "data" / "constraints"

EKS = "v1.30.4-eks-a737599"
GKE = "1.30.5-gke.1014001"
K3S = "v1.30.2+k3s1"
PROBES = ("1.30.4", EKS, GKE, K3S, "1.36")


def allows(constraint: str, version: str) -> bool:
    return Constraint.parse(constraint).allows(version)


# --------------------------------------------------------------------------- README examples
# Masterminds README: "x is equivalent to y" for tilde, caret, wildcard and hyphen ranges.


@pytest.mark.parametrize(
    ("constraint", "equivalent"),
    [
        ("~1.2.3", ">= 1.2.3, < 1.3.0"),
        ("~1", ">= 1, < 2"),
        ("~2.3", ">= 2.3, < 2.4"),
        ("~1.2.x", ">= 1.2.0, < 1.3.0"),
        ("~1.x", ">= 1, < 2"),
        ("^1.2.3", ">= 1.2.3, < 2.0.0"),
        ("^1.2.x", ">= 1.2.0, < 2.0.0"),
        ("^2.3", ">= 2.3, < 3"),
        ("^2.x", ">= 2.0.0, < 3"),
        ("^0.2.3", ">=0.2.3 <0.3.0"),
        ("^0.2", ">=0.2.0 <0.3.0"),
        ("^0.0.3", ">=0.0.3 <0.0.4"),
        ("^0.0", ">=0.0.0 <0.1.0"),
        ("^0", ">=0.0.0 <1.0.0"),
        ("1.2.x", ">= 1.2.0, < 1.3.0"),
        (">= 1.2.x", ">= 1.2.0"),
        ("<= 2.x", "< 3"),
        ("*", ">= 0.0.0"),
        ("1.2 - 1.4.5", ">= 1.2, <= 1.4.5"),
        ("2.3.4 - 4.5", ">= 2.3.4, <= 4.5"),
    ],
)
def test_readme_equivalences_hold_on_a_grid(constraint: str, equivalent: str) -> None:
    a, b = Constraint.parse(constraint), Constraint.parse(equivalent)
    grid = [f"{x}.{y}.{z}" for x in range(5) for y in range(7) for z in range(7)]
    assert [a.allows(v) for v in grid] == [b.allows(v) for v in grid]
    assert any(a.allows(v) for v in grid)


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        # README pre-release section: >=1.2.3 skips pre-releases, >=1.2.3-0 finds them.
        (">=1.2.3", "1.2.4-beta.1", False),
        (">=1.2.3-0", "1.2.4-beta.1", True),
        (">=1.2.3-BETA", "1.2.3-alpha", True),  # ASCII order: upper case sorts first
        ("1.2-1.4.5", "1.2.0-1.4.5", True),  # no blanks: a version with pre-release 1.4.5
        (">= 1.2, < 3.0.0 || >= 4.2.3", "3.5.0", False),
        (">= 1.2, < 3.0.0 || >= 4.2.3", "4.2.3", True),
        ("<= 1.2.3, >= 1.4", "1.3", False),
        # every operator, with its aliases and a leading v
        ("=1.30.4", "1.30.4", True),
        ("1.30.4", "1.30.5", False),
        ("!=1.30.4", "1.30.4", False),
        ("!=1.30.4", "1.30.5", True),
        ("!=1.30", "1.30.9", False),
        ("!=1.x", "1.30.9", False),
        ("!=1.x", "2.0.0", True),
        (">1.30", "1.30.9", False),
        (">1.30", "1.31.0", True),
        (">1", "1.99.0", False),
        (">1.30.4", "1.30.5", True),
        ("<1.30", "1.29.9", True),
        ("<1.30", "1.30.0", False),
        ("=>1.30", "1.30.0", True),
        ("=<1.30", "1.30.99", True),
        ("<=1.30.4", "1.30.5", False),
        ("~>1.30.2", "1.30.9", True),
        ("~>1.30.2", "1.31.0", False),
        ("v1.30.x", "1.30.7", True),
        (">=v1.25 <v1.31", "v1.30.4", True),
        ("1.2 - 1.4.5", "1.4.6", False),
        ("1.2 - 1.4", "1.4.99", True),  # an upper bound <= 1.4 covers all of 1.4.x
        (">= 1.22.0-0", "1.30.4", True),
        (">=1.22.0-0,<1.31.0-0", EKS, True),
        (">=1.22.0-0\t<1.31.0-0", EKS, True),
        ("1.30.4+meta", "v1.30.4+k3s1", True),  # build metadata ignored on both sides
        # Helm's own compatible_test.go case
        (">=1.20.0-0", "v1.27.1-3136+af29f64acbf9e6-dirty", True),
        # kamaji's bounds with -0 exclude the release itself
        ("1.21.0-0 - 1.25.0-0", "v1.25.2", False),
        ("1.21.0-0 - 1.25.0-0", "1.24.9", True),
    ],
)
def test_documented_and_operator_cases(constraint: str, version: str, expected: bool) -> None:
    assert allows(constraint, version) is expected


# --------------------------------------------------------------------------- pre-release rule


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        (">=1.25.0", "v1.25.9-eks-a737599", False),
        (">=1.25.0-0", "v1.25.9-eks-a737599", True),
        # v3.4.0: one pre-release comparator admits pre-releases for its whole AND group
        (">=1.21.0-0 <1.30.0", "v1.25.9-eks-a737599", True),
        ("<1.30.0 >=1.21.0-0", "v1.25.9-eks-a737599", True),
        # ... but not for the other OR groups
        (">=1.30.0-0 || >=1.21.0", "v1.25.9-eks-a737599", False),
        (">=1.21.0 || <1.0.0-0", "v1.25.9-eks-a737599", False),
        (">=1.21.0 <1.30.0", "v1.25.9-eks-a737599", False),
        (">=1.25.0", K3S, True),  # build metadata is not a pre-release
        (">=1.25.0", GKE, False),
        ("*", EKS, False),
        ("*-0", EKS, True),
    ],
)
def test_prerelease_rule(constraint: str, version: str, expected: bool) -> None:
    assert allows(constraint, version) is expected


def test_verdict_explains_a_rejection_caused_by_the_prerelease_rule() -> None:
    verdict = Constraint.parse(">=1.25.0").evaluate(EKS)
    assert verdict == ConstraintVerdict(
        allowed=False,
        hinges_on_prerelease=True,
        explanation=(
            "v1.30.4-eks-a737599 is a pre-release version for semver; `>=1.25.0` has no "
            "pre-release comparator so Helm rejects it; write `>=1.25.0-0`"
        ),
    )


def test_verdict_suggests_a_fix_per_or_group() -> None:
    verdict = Constraint.parse(">=1.21 <1.26 || >=1.29.0 <1.32").evaluate(EKS)
    assert not verdict.allowed and verdict.hinges_on_prerelease
    # `-0` on every comparator: the fix Helm <= 3.18 (Masterminds 3.3) accepts as well.
    fix = ">=1.21-0 <1.26-0 || >=1.29.0-0 <1.32-0"
    assert verdict.explanation.endswith(f"write `{fix}`")
    assert Constraint.parse(fix).allows(EKS, "3.4") and Constraint.parse(fix).allows(EKS, "3.3")
    # One `-0` per AND group is enough from Masterminds 3.4 on, not before.
    assert Constraint.parse(">=1.21-0 <1.26 || >=1.29.0-0 <1.32").allows(EKS)
    assert not Constraint.parse(">=1.21-0 <1.26 || >=1.29.0-0 <1.32").allows(EKS, "3.3")


def test_verdict_when_another_group_has_the_prerelease_comparator() -> None:
    verdict = Constraint.parse(">=1.31.0-0 || >=1.25.0").evaluate(EKS)
    assert not verdict.allowed and verdict.hinges_on_prerelease
    assert "no OR group that would admit its release number" in verdict.explanation


def test_verdict_when_the_prerelease_part_is_what_lets_it_in() -> None:
    verdict = Constraint.parse(">=1.29.0-0 <1.30.4").evaluate("1.30.4-rc.1")
    assert verdict.allowed and verdict.hinges_on_prerelease
    assert "only through its pre-release part" in verdict.explanation
    assert "1.30.4" in verdict.explanation


def test_verdict_when_the_range_itself_rejects() -> None:
    verdict = Constraint.parse(">=1.21.0-0 <1.30.0").evaluate(EKS)
    assert verdict == ConstraintVerdict(
        False, False, f"{EKS} does not satisfy `>=1.21.0-0 <1.30.0`: it fails `<1.30.0`"
    )
    verdict = Constraint.parse("<1.20 || >2").evaluate("1.30.4")
    assert verdict.explanation.endswith("it matches none of the OR groups")


def test_verdict_when_allowed_without_the_rule() -> None:
    assert Constraint.parse(">=1.25.0-0").evaluate(EKS) == ConstraintVerdict(
        True, False, f"{EKS} satisfies `>=1.25.0-0`"
    )
    assert not Constraint.parse(">=1.25.0").evaluate("1.30.4").hinges_on_prerelease


def test_evaluate_accepts_a_parsed_kube_version() -> None:
    kube = KubeVersion.parse(GKE)
    assert Constraint.parse("^1.25.0-0").evaluate(kube).allowed


# --------------------------------------------------------------------------- parse errors


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("", "''"),
        ("   ", "''"),
        (">=1.2.3 ||", "''"),
        ("== 1.2.3", "'== 1.2.3'"),
        (">=1.25 <", "'>=1.25 <'"),
        (">=1.25<1.30", "'>=1.25<1.30'"),  # comparators need a blank or a comma between them
        (">=1.2.3 | <2", "'|'"),  # a single bar is read as a (bad) version, as upstream does
        (">= 1x.2", "'1x.2'"),
        ("~1.2.3-01", "'1.2.3-01'"),  # numeric pre-release with a leading zero
        (">=1.2 - 1.4", ">="),  # a hyphen range cannot follow an operator
        ("kubernetes 1.30", "'kubernetes 1.30'"),
        (">=1.30\v", None),  # Go's \s has no vertical tab
    ],
)
def test_invalid_constraints_name_the_bad_part(text: str, named: str | None) -> None:
    with pytest.raises(InvalidConstraint) as caught:
        Constraint.parse(text)
    assert isinstance(caught.value, ValueError)
    if named is not None:
        assert named in str(caught.value)


def test_trailing_newline_is_whitespace_like_go() -> None:
    assert Constraint.parse(">=1.30\n").allows("1.30.1")


def test_allows_rejects_a_version_that_is_not_kubernetes() -> None:
    with pytest.raises(InvalidVersion):
        allows(">=1.25.0-0", "latest")


def test_constraint_keeps_raw_text() -> None:
    constraint = Constraint.parse(" >= 1.22.0-0 ")
    assert constraint.raw == str(constraint) == " >= 1.22.0-0 "
    assert constraint.has_prerelease_comparator


# --------------------------------------------------------------------------- real data


def _index_kube_versions() -> set[str]:
    found: set[str] = set()
    for path in sorted(HELM_REPOS.glob("*.index.yaml")):
        for m in re.finditer(r"^\s+kubeVersion:[ \t]*(.*?)[ \t]*$", path.read_text("utf-8"), re.M):
            value = m[1]
            if value[:1] == "'":
                value = value[1:-1].replace("''", "'")
            elif value[:1] == '"':
                value = value[1:-1]
            found.add(value)
    return found


# What Helm (Masterminds v3.4.0) answers for 1.30.4, EKS, GKE, k3s and 1.36.
ALL = (True, True, True, True, True)
RELEASES_ONLY = (True, False, False, True, True)
ALL_NO = (False, False, False, False, False)
INDEX_EXPECTED: dict[str, tuple[bool, ...]] = {
    ">= 1.11.0-0": ALL, ">= 1.16-0": ALL, ">= 1.19.0-0": ALL, ">= 1.20.0-0": ALL,
    ">= 1.21.0-0": ALL, ">= 1.22.0-0": ALL, ">=1.10.0-0": ALL, ">=1.13.0-0": ALL,
    ">=1.14.0-0": ALL, ">=1.16-0": ALL, ">=1.16.0-0": ALL, ">=1.17.0-0": ALL,
    ">=1.19.0-0": ALL, ">=1.20.0-0": ALL, ">=1.21.0-0": ALL, ">=1.22.0-0": ALL,
    ">=1.23.0-0": ALL, ">=1.25.0-0": ALL, ">=1.9.0-0": ALL, "^1.10.0-0": ALL,
    "^1.16.0-0": ALL, "^1.20.0-0": ALL, "^1.25.0-0": ALL, "^1.29.0-0": ALL, "^1.8.0-0": ALL,
    "^1.32.0-0": (False, False, False, False, True),
    ">=1.22": RELEASES_ONLY,
    ">=1.23.0": RELEASES_ONLY,
}  # fmt: skip
MALFORMED_IN_INDEXES: set[str] = set()  # every kubeVersion in the snapshots parses


def test_every_kube_version_in_the_index_snapshots_is_understood() -> None:
    found = _index_kube_versions()
    assert len(found) >= 20, f"expected the Helm index snapshots under {HELM_REPOS}"
    malformed = set()
    for text in found:
        try:
            Constraint.parse(text)
        except InvalidConstraint:
            malformed.add(text)
    assert malformed == MALFORMED_IN_INDEXES
    assert found - malformed == set(INDEX_EXPECTED)


@pytest.mark.parametrize("constraint", sorted(INDEX_EXPECTED))
def test_index_kube_versions_against_real_clusters(constraint: str) -> None:
    parsed = Constraint.parse(constraint)
    verdicts = [parsed.evaluate(v) for v in PROBES]
    assert tuple(v.allowed for v in verdicts) == INDEX_EXPECTED[constraint]
    # Only EKS and GKE builds carry a pre-release, and only release-only constraints trip on it.
    hinges = (False, True, True, False, False) if constraint in (">=1.22", ">=1.23.0") else ALL_NO
    assert tuple(v.hinges_on_prerelease for v in verdicts) == hinges


def _oracle() -> list[tuple[str, str, bool | str]]:
    lines = (DATA / "masterminds-v3.4.0-oracle.jsonl").read_text("utf-8").splitlines()
    return [tuple(json.loads(line)) for line in lines]  # type: ignore[misc, unused-ignore]


def test_agrees_with_masterminds_on_generated_cases() -> None:
    cases = _oracle()
    assert len(cases) > 2000
    mismatches = []
    for constraint, version, expected in cases:
        try:
            got: bool | str = Constraint.parse(constraint).allows(version)
        except InvalidConstraint:
            got = "invalid"
        if got != expected:
            mismatches.append((constraint, version, expected, got))
    assert mismatches == []


# --------------------------------------------------------------------------- properties

_part = st.integers(0, 40)
releases = st.builds(lambda a, b, c: f"{a}.{b}.{c}", st.integers(0, 3), _part, _part)
prereleases = st.builds(
    lambda v, pre: f"{v}-{pre}",
    releases,
    st.sampled_from(["0", "1", "alpha", "rc.1", "eks-a737599", "gke.1014001", "beta.2"]),
)
bounds = st.one_of(
    releases,
    st.builds(lambda a, b: f"{a}.{b}", st.integers(0, 3), _part),
    prereleases,
)


@given(bounds, releases)
def test_at_least_and_below_are_complementary_for_releases(bound: str, version: str) -> None:
    assert allows(f">={bound}", version) != allows(f"<{bound}", version)


@given(bounds, bounds, st.one_of(releases, prereleases))
def test_hyphen_range_is_the_explicit_pair(low: str, high: str, version: str) -> None:
    assert allows(f"{low} - {high}", version) == allows(f">= {low}, <= {high}", version)


@given(releases, st.sampled_from(["eks-a737599", "gke.1014001", "rc.1"]))
def test_a_dash_zero_lower_bound_admits_vendor_builds_of_the_same_release(
    release: str, vendor: str
) -> None:
    assert allows(f">={release}-0", f"{release}-{vendor}")
    assert not allows(f">={release}", f"{release}-{vendor}")

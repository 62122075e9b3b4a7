"""kubeVersion verdicts on every distinct constraint of the real index files, against
vendor builds (EKS, GKE pre-release suffixes; k3s build metadata), checked against an
independent reading of each constraint's lower bound."""

from __future__ import annotations

import pytest

from releaser.domain.charts import ChartRelease
from tests.test_verdicts import UPSTREAM, _by_source, _cell, _component

VENDOR_BUILDS = ["v1.30.4-eks-a737599", "1.30.5-gke.1014001", "v1.30.2+k3s1", "1.30.4"]


def _distinct_index_constraints() -> list[str]:
    found: set[str] = set()
    for path in sorted((UPSTREAM / "helm-repos").glob("*.index.yaml")):
        text = path.read_text()
        found.update(line.split(":", 1)[1].strip().strip("'\"") for line in text.splitlines()
                     if line.startswith("    kubeVersion:"))
    return sorted(c for c in found if c)


INDEX_CONSTRAINTS = _distinct_index_constraints()


def test_the_index_files_hold_the_known_set_of_constraints() -> None:
    assert len(INDEX_CONSTRAINTS) == 28
    assert {">=1.22", ">=1.23.0", "^1.8.0-0", ">= 1.16-0"} <= set(INDEX_CONSTRAINTS)


def _lower_bound(constraint: str) -> tuple[tuple[int, ...], bool]:
    """Independent reading of the index constraints (all `>=X` or `^X`)."""
    text = constraint.replace(" ", "").lstrip(">=^")
    numbers, _, pre = text.partition("-")
    parts = tuple(int(p) for p in numbers.split("."))
    return parts + (0,) * (3 - len(parts)), bool(pre)


@pytest.mark.parametrize("constraint", INDEX_CONSTRAINTS)
@pytest.mark.parametrize("cluster", VENDOR_BUILDS)
def test_real_constraints_against_vendor_builds(constraint: str, cluster: str) -> None:
    release = ChartRelease("x", "1.0.0", kube_version=constraint)
    verdict = _cell(_component("x", "x", "1.0.0"), release, cluster)
    [finding] = _by_source(verdict, "kubeVersion")
    bound, has_pre = _lower_bound(constraint)
    vendor = "-" in cluster
    expected_ok = bound <= (1, 30, 4) and (has_pre or not vendor)
    assert (finding.level == "ok") == expected_ok, finding.message
    if not expected_ok and bound <= (1, 30, 0):
        assert "pre-release" in finding.message and "-0" in finding.message


def test_a_minor_column_warns_when_vendor_builds_hinge_on_the_prerelease_rule() -> None:
    release = ChartRelease("x", "1.0.0", kube_version=">=1.23.0")
    [finding] = _by_source(_cell(_component("x", "x", "1.0.0"), release, "1.30"), "kubeVersion")
    assert finding.level == "warn"
    assert "pre-release rule" in finding.message and "`>=1.23.0-0`" in finding.message


def test_a_minor_below_the_constraint_fails_and_says_which_comparator() -> None:
    release = ChartRelease("x", "1.0.0", kube_version=">=1.32.0-0")
    [finding] = _by_source(_cell(_component("x", "x", "1.0.0"), release, "1.31"), "kubeVersion")
    assert finding.level == "fail" and ">=1.32.0-0" in finding.message


def test_a_malformed_constraint_fails_since_helm_refuses_the_chart() -> None:
    release = ChartRelease("x", "1.0.0", kube_version=">= 1.2x.0 <<")
    [finding] = _by_source(_cell(_component("x", "x", "1.0.0"), release, "1.30"), "kubeVersion")
    assert finding.level == "fail" and "malformed" in finding.message
    assert "Helm refuses to install this chart" in finding.message


def test_no_constraint_is_unknown_not_ok() -> None:
    release = ChartRelease("x", "1.0.0")
    [finding] = _by_source(_cell(_component("x", "x", "1.0.0"), release, "1.30"), "kubeVersion")
    assert finding.level == "unknown"



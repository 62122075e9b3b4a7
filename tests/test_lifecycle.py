"""Kubernetes and component lifecycles on the real packaged snapshot (2026-08-22)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from releaser.adapters.datasets import load_component_lifecycles, load_lifecycle
from releaser.domain.findings import Finding, combined, minor_str, worst
from releaser.domain.lifecycle import (
    LifecycleTable,
    MinorLifecycle,
    component_eol_finding,
    lifecycle_findings,
)


@pytest.fixture(autouse=True)
def packaged_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A developer's own refreshed snapshot must not change what these tests see."""
    monkeypatch.setenv("RELEASER_DATA_DIR", str(tmp_path / "no-refresh"))
    yield


def by_source(findings: list[Finding]) -> dict[str, Finding]:
    return {f.source: f for f in findings}


def test_snapshot_is_dated_and_covers_1_19_to_1_36() -> None:
    table = load_lifecycle()
    assert table.date == date(2026, 8, 22)
    assert table.newest_minor() == "1.36"
    assert table.get("1.19") is not None
    assert "a70eca337600" in table.source
    entry = table.get("1.31")
    assert entry is not None
    assert entry.upstream_eol == date(2025, 11, 11)
    assert entry.eks_end_extended == date(2026, 11, 26)
    assert entry.gke_end_standard == date(2026, 1, 16)


def test_past_upstream_eol_fails_with_the_date() -> None:
    found = by_source(lifecycle_findings(load_lifecycle(), "1.31", date(2026, 11, 22)))
    upstream = found["lifecycle/kubernetes"]
    assert upstream.level == "fail"
    assert upstream.message == "Kubernetes 1.31 reached upstream end of life on 2025-11-11"


def test_eks_extended_support_warns_and_its_end_fails() -> None:
    table = load_lifecycle()
    inside = by_source(lifecycle_findings(table, "1.31", date(2026, 11, 22)))["lifecycle/eks"]
    assert inside.level == "warn"
    assert "extended support" in inside.message and "2026-11-26" in inside.message
    after = by_source(lifecycle_findings(table, "1.31", date(2026, 11, 26)))["lifecycle/eks"]
    assert after.level == "fail"


def test_gke_past_standard_support_fails() -> None:
    found = by_source(lifecycle_findings(load_lifecycle(), "1.31", date(2026, 11, 22)))
    assert found["lifecycle/gke"].level == "fail"
    assert "2026-01-16" in found["lifecycle/gke"].message


def test_1_35_on_2026_11_22_is_ok_everywhere() -> None:
    # Upstream EOL 2027-02-28 is 98 days away, outside the 90-day window; maintenance
    # ends 2026-12-28 (not yet); EKS standard 2027-03-27; GKE standard 2027-04-11.
    findings = lifecycle_findings(load_lifecycle(), "1.35", date(2026, 11, 22))
    assert [f.level for f in findings] == ["ok", "ok", "ok"]
    assert combined(findings) == "ok"


def test_eol_within_90_days_warns_and_counts_days() -> None:
    found = by_source(lifecycle_findings(load_lifecycle(), "1.35", date(2026, 12, 1)))
    # 2027-02-28 - 2026-12-01 = 89 days
    assert found["lifecycle/kubernetes"].level == "warn"
    assert "in 89 days" in found["lifecycle/kubernetes"].message


def test_past_end_of_maintenance_warns_before_eol_window() -> None:
    # 1.34: maintenance ended 2026-08-27, end of life 2026-10-27.
    found = by_source(lifecycle_findings(load_lifecycle(), "1.34", date(2026, 8, 28), warn_days=30))
    assert found["lifecycle/kubernetes"].level == "warn"
    assert "only critical fixes" in found["lifecycle/kubernetes"].message


def test_newer_minor_than_data_is_unknown_naming_the_snapshot() -> None:
    findings = lifecycle_findings(load_lifecycle(), "1.37", date(2026, 11, 22))
    assert findings == [
        Finding(
            "unknown", "lifecycle/kubernetes", "no lifecycle data for 1.37 (snapshot 2026-08-22)"
        )
    ]


def test_vendor_builds_resolve_to_their_minor() -> None:
    table = load_lifecycle()
    assert table.get("v1.30.4-eks-a737599") == table.get("1.30")
    assert table.get("1.30.5-gke.1014001") == table.get("1.30")
    assert table.get("not-a-version") is None


def test_providers_can_be_limited() -> None:
    findings = lifecycle_findings(load_lifecycle(), "1.33", date(2026, 8, 22), providers=["eks"])
    assert [f.source for f in findings] == ["lifecycle/kubernetes", "lifecycle/eks"]


def test_no_extended_support_means_end_of_standard_fails() -> None:
    # EKS 1.20 had no extended support: its end of standard support is its end.
    found = by_source(lifecycle_findings(load_lifecycle(), "1.20", date(2023, 1, 1)))
    assert found["lifecycle/eks"].level == "fail"
    assert "end of support on 2022-11-01" in found["lifecycle/eks"].message


def test_not_yet_on_provider_warns() -> None:
    entry = MinorLifecycle("1.40", None, None, date(2028, 1, 1), None, None, None, None, None)
    table = LifecycleTable(date(2026, 8, 22), "test", (entry,))
    found = by_source(lifecycle_findings(table, "1.40", date(2026, 8, 22)))
    assert found["lifecycle/eks"].level == "warn"
    assert "not yet available on EKS" in found["lifecycle/eks"].message
    assert found["lifecycle/gke"].level == "warn"


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], "unknown"),
        (["unknown"], "unknown"),
        (["unknown", "ok"], "ok"),
        (["ok", "warn", "unknown"], "warn"),
        (["warn", "fail", "ok"], "fail"),
    ],
)
def test_worst_combines_levels(levels: list[str], expected: str) -> None:
    assert worst(levels) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1.30", "1.30"), ("v1.30.4-eks-a737599", "1.30"), ("1.9", "1.9"), ("v2", None), ("", None)],
)
def test_minor_str(text: str, expected: str | None) -> None:
    assert minor_str(text) == expected


def test_component_release_line_past_eol_warns() -> None:
    components = load_component_lifecycles()
    cert_manager = components.for_chart("cert-manager")
    assert cert_manager is not None
    old = component_eol_finding(cert_manager, "v1.19.2", date(2026, 8, 22))
    assert old.level == "warn"
    assert old.message == "cert-manager 1.19 reached end of life on 2026-07-08"
    current = component_eol_finding(cert_manager, "v1.21.1", date(2026, 8, 22))
    assert current.level == "ok"
    unknown = component_eol_finding(cert_manager, "v9.0.0", date(2026, 8, 22))
    assert unknown.level == "unknown"


def test_component_lifecycles_map_charts_to_products() -> None:
    components = load_component_lifecycles()
    loki = components.for_chart("loki")
    assert loki is not None and loki.product == "grafana-loki"
    argo = components.for_chart("argo-cd")
    assert argo is not None
    # Argo CD 3.2 ended on 2026-08-04; near the end it warns with a day count.
    near = component_eol_finding(argo, "v3.2.5", date(2026, 7, 1))
    assert near.level == "warn" and "in 34 days" in near.message

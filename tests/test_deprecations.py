"""Deprecated/removed Kubernetes APIs on the real packaged table (pluto + kube-no-trouble)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import yaml

from releaser.adapters.datasets import load_deprecations
from releaser.domain.deprecations import ApiUse, DeprecationTable, api_findings
from tests.upstream import UPSTREAM

DEPRECATED_APIS = UPSTREAM / "deprecated-apis"


@pytest.fixture(autouse=True)
def packaged_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("RELEASER_DATA_DIR", str(tmp_path / "no-refresh"))
    yield


@pytest.fixture
def table() -> DeprecationTable:
    return load_deprecations()


def use(api: str, kind: str, conditional: bool = False, file: str = "t.yaml") -> ApiUse:
    return ApiUse(api, kind, conditional, file)


def test_table_is_dated_and_merged(table: DeprecationTable) -> None:
    assert table.date == date(2026, 8, 22)
    assert "pluto" in table.source
    pdb = table.lookup("policy/v1beta1", "PodDisruptionBudget")
    assert pdb is not None
    assert (pdb.deprecated_in, pdb.removed_in, pdb.replacement) == ("1.21", "1.25", "policy/v1")
    assert pdb.source == "pluto+kubent"
    # Only kube-no-trouble knows these.
    sar = table.lookup("authorization.k8s.io/v1beta1", "SubjectAccessReview")
    assert sar is not None and sar.source == "kubent" and sar.removed_in == "1.22"


def test_sources_disagreeing_keep_the_earliest_removal(table: DeprecationTable) -> None:
    # pluto says 1.29, kube-no-trouble (and the Kubernetes deprecation guide) 1.26.
    flow = table.lookup("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
    assert flow is not None and flow.removed_in == "1.26"


def test_removed_api_fails_naming_the_replacement(table: DeprecationTable) -> None:
    findings = api_findings(
        [use("policy/v1beta1", "PodDisruptionBudget", file="pdb.yaml")], "1.30", table
    )
    assert len(findings) == 1
    assert findings[0].level == "fail"
    assert findings[0].message.startswith(
        "policy/v1beta1 PodDisruptionBudget was removed in 1.25; use policy/v1"
    )
    assert "pdb.yaml" in findings[0].message


def test_removal_applies_from_its_own_minor(table: DeprecationTable) -> None:
    pdb = [use("policy/v1beta1", "PodDisruptionBudget")]
    assert api_findings(pdb, "1.25", table)[0].level == "fail"
    assert api_findings(pdb, "v1.24.17-eks-1", table)[0].level == "warn"


def test_conditional_fallback_is_fine(table: DeprecationTable) -> None:
    findings = api_findings(
        [
            use("policy/v1beta1", "PodDisruptionBudget", conditional=True),
            use("policy/v1", "PodDisruptionBudget", conditional=True),
        ],
        "1.30",
        table,
    )
    assert [f.level for f in findings] == ["ok"]
    assert "only rendered on older clusters" in findings[0].message


def test_conditional_and_unconditional_use_of_a_removed_api_fails(table: DeprecationTable) -> None:
    findings = api_findings(
        [
            use("policy/v1beta1", "PodDisruptionBudget", conditional=True, file="a.yaml"),
            use("policy/v1beta1", "PodDisruptionBudget", conditional=False, file="b.yaml"),
        ],
        "1.30",
        table,
    )
    assert [f.level for f in findings] == ["fail"]
    assert "a.yaml, b.yaml" in findings[0].message


def test_deprecated_but_served_warns(table: DeprecationTable) -> None:
    # VolumeAttributesClass storage.k8s.io/v1beta1: deprecated in 1.34, no removal planned.
    findings = api_findings([use("storage.k8s.io/v1beta1", "VolumeAttributesClass")], "1.35", table)
    assert findings[0].level == "warn"
    assert "deprecated since 1.34" in findings[0].message
    before = api_findings([use("storage.k8s.io/v1beta1", "VolumeAttributesClass")], "1.33", table)
    assert before[0].level == "ok"  # not deprecated yet: nothing to say about it


def test_clean_charts_get_one_ok(table: DeprecationTable) -> None:
    findings = api_findings(
        [use("apps/v1", "Deployment"), use("v1", "Service"), use("apps/v1", "Deployment")],
        "1.36",
        table,
    )
    assert len(findings) == 1 and findings[0].level == "ok"
    assert "2 apiVersion/kind pairs" in findings[0].message


def test_nothing_scanned_says_nothing(table: DeprecationTable) -> None:
    assert api_findings([], "1.30", table) == []


def test_cert_manager_crd_versions_are_not_kubernetes_versions(table: DeprecationTable) -> None:
    # cert-manager.io/v1alpha2 was removed in cert-manager 1.6, not Kubernetes 1.6.
    entry = table.lookup("cert-manager.io/v1alpha2", "Certificate")
    assert entry is not None and entry.component == "cert-manager"
    findings = api_findings([use("cert-manager.io/v1alpha2", "Certificate")], "1.30", table)
    assert [f.level for f in findings] == ["ok"]


def test_bad_minor_is_rejected(table: DeprecationTable) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        api_findings([use("apps/v1", "Deployment")], "latest", table)


def test_real_chart_templates_of_cluster_autoscaler_9_21(table: DeprecationTable) -> None:
    """The real helper renders policy/v1beta1 PDBs only where policy/v1 is missing."""
    data = yaml.safe_load((DEPRECATED_APIS / "chart-template-apis.yaml").read_text())
    chart = next(c for c in data["charts"] if c["chart"] == "cluster-autoscaler")
    release = next(v for v in chart["versions"] if v["ref"].endswith("9.21.0"))
    uses = [
        ApiUse(api, doc["kind"], len(doc["resolvedApiVersions"]) > 1, doc["file"])
        for doc in release["documents"]
        for api in doc["resolvedApiVersions"]
    ]
    levels = {f.level for f in api_findings(uses, "1.30", table)}
    assert "fail" not in levels
    assert any(u.api_version == "policy/v1beta1" and u.conditional for u in uses)

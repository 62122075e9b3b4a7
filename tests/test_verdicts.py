"""Verdicts on the real data: upstream matrices, lifecycles, index flags, deprecated APIs.

The expected answers come from the upstream data directly (tests/upstream.py: the matrices as
published, the template apiVersion sets), not from `core/compatibility.yaml`, so the check
is against upstream and not against our own copy.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

import pytest
import yaml

from releaser.domain.api_scan import ApiChoice
from releaser.domain.charts import ChartRelease
from releaser.domain.compat import ReleaseFacts, cell_verdict, evaluate_cell
from releaser.domain.compat_sources import ApiEvidence, Target
from releaser.domain.findings import Finding
from releaser.domain.kit import Component, KubernetesRange
from releaser.domain.verdict import Verdict
from releaser.domain.versions import ChartVersion, minor_range
from tests.compat_support import TODAY, chart_entries, real_data, to_release
from tests.upstream import UPSTREAM

MINORS = minor_range("1.25", "1.36")
CASES = {  # component -> (index file, chart, how the upstream line is named)
    "cert-manager": ("jetstack-cert-manager.index.yaml", "cert-manager", "minor"),
    "ingress-nginx": ("ingress-nginx.index.yaml", "ingress-nginx", "exact"),
    "cluster-autoscaler": ("autoscaler.index.yaml", "cluster-autoscaler", "minor"),
    "argo-cd": ("argo.index.yaml", "argo-cd", "minor"),
    "external-secrets": ("external-secrets.index.yaml", "external-secrets", "minor"),
}


def _upstream_matrix(name: str) -> dict[str, set[str]]:
    doc = yaml.safe_load((UPSTREAM / "compatibility-matrices.yaml").read_text())
    entry = next(c for c in doc["components"] if c["component"] == name)
    lines: dict[str, set[str]] = {}
    for row in entry["entries"]:
        if row.get("k8sMin") and row.get("k8sMax"):
            line = str(row["appVersion"]).lstrip("v").removesuffix(".x")
            lines.setdefault(line, set()).update(minor_range(row["k8sMin"], row["k8sMax"]))
    return lines


def _line(app_version: str, naming: str) -> str:
    parts = app_version.lstrip("v").split(".")
    return ".".join(parts[:3]) if naming == "exact" else ".".join(parts[:2])


def _component(name: str, chart: str, version: str, section: str = "base") -> Component:
    return Component(name, section, "https://example.test/charts", chart, version, name)


def _cell(
    component: Component,
    release: ChartRelease | None,
    target: str,
    evidence: ApiEvidence | None = None,
    providers: tuple[str, ...] = ("eks", "gke"),
) -> Verdict:
    return evaluate_cell(
        component, ReleaseFacts(release, None if release else "not found"), evidence,
        Target.parse(target), real_data(), providers, TODAY,
    )


def _by_source(verdict: Verdict, source: str) -> list[Finding]:
    return [f for f in verdict.reasons if f.source == source]


@pytest.mark.parametrize("name", sorted(CASES))
def test_verdicts_agree_with_the_upstream_matrix_for_1_25_to_1_36(name: str) -> None:
    file_name, chart, naming = CASES[name]
    upstream = _upstream_matrix(name)
    outside = real_data().matrices[name].outside
    checked = 0
    for entry in chart_entries(file_name, chart) or []:
        release = to_release(entry)
        if release.parsed_version.is_prerelease or not release.app_version:
            continue
        supported = upstream.get(_line(release.app_version, naming))
        if supported is None:
            continue
        component = _component(name, chart, release.version)
        for minor in MINORS:
            verdict = _cell(component, release, minor)
            [matrix] = _by_source(verdict, "matrix")
            listed = any(minor in minors for minors in upstream.values())
            expected = "ok" if minor in supported else (outside if listed else "warn")
            assert matrix.level == expected, (release.version, release.app_version, minor)
            if expected == "fail":
                assert verdict.level == "fail"
            checked += 1
    assert checked >= 12 * 5, f"too few {name} releases matched an upstream line"


def test_every_release_line_outside_the_matrix_is_unknown_not_ok() -> None:
    release = ChartRelease("cert-manager", "v0.5.0", app_version="v0.5.0", kube_version=None)
    verdict = _cell(_component("cert-manager", "cert-manager", "v0.5.0"), release, "1.30")
    [matrix] = _by_source(verdict, "matrix")
    assert matrix.level == "unknown" and "not in the upstream support matrix" in matrix.message


# --------------------------------------------------------------------------- lifecycle, status


def test_a_minor_past_end_of_life_fails_and_lifecycle_alone_never_makes_ok() -> None:
    release = ChartRelease("x", "1.0.0")
    component = _component("x", "x", "1.0.0")
    old = _cell(component, release, "1.25")
    assert old.level == "fail"
    assert any(f.source == "lifecycle/kubernetes" and f.level == "fail" for f in old.reasons)
    fresh = _cell(component, release, "1.35")
    assert all(f.level == "ok" for f in _by_source(fresh, "lifecycle/kubernetes"))
    assert fresh.level == "unknown"  # only the calendar spoke, nothing about the chart


def test_lifecycle_providers_follow_the_section_and_the_build() -> None:
    release = ChartRelease("x", "1.0.0", kube_version=">=1.20.0-0")
    component = _component("x", "x", "1.0.0", section="aws")
    aws_only = _cell(component, release, "1.35", providers=("eks",))
    assert _by_source(aws_only, "lifecycle/eks") and not _by_source(aws_only, "lifecycle/gke")


def test_a_minor_newer_than_the_snapshot_has_unknown_lifecycle() -> None:
    release = ChartRelease("x", "1.0.0", kube_version=">=1.20.0-0")
    verdict = _cell(_component("x", "x", "1.0.0"), release, "1.40")
    [finding] = _by_source(verdict, "lifecycle/kubernetes")
    assert finding.level == "unknown" and "no lifecycle data for 1.40" in finding.message


def test_index_deprecated_flag_and_retired_component_warn() -> None:
    [entry] = [e for e in chart_entries("grafana.index.yaml", "promtail") or []
               if e["version"] == "6.17.1"]
    release = to_release(entry)
    verdict = _cell(_component("promtail", "promtail", "6.17.1"), release, "1.35")
    assert release.deprecated
    assert any(f.source == "index" and f.level == "warn" for f in verdict.reasons)
    nginx = ChartRelease("ingress-nginx", "4.15.1", app_version="1.15.1",
                         kube_version=">=1.21.0-0")
    retired = _cell(_component("ingress-nginx", "ingress-nginx", "4.15.1"), nginx, "1.35")
    assert retired.level == "warn"
    assert any(f.source == "upstream-status" and "retired" in f.message for f in retired.reasons)


def test_component_release_line_past_end_of_life_warns() -> None:
    release = ChartRelease("argo-cd", "5.0.0", app_version="v2.4.0", kube_version=">=1.22.0-0")
    verdict = _cell(_component("argo-cd", "argo-cd", "5.0.0"), release, "1.35")
    assert any(f.source == "lifecycle/argo-cd" and f.level == "warn" for f in verdict.reasons)


def test_unknown_release_says_why() -> None:
    verdict = _cell(_component("x", "x", "9.9.9"), None, "1.35")
    assert any(f.source == "index" and f.message == "not found" for f in verdict.reasons)
    assert verdict.level == "unknown"


# --------------------------------------------------------------------------- deprecated APIs


def _apis(*choices: ApiChoice) -> ApiEvidence:
    return ApiEvidence("scanned", tuple(choices), "scanned templates")


def _api_cell(evidence: ApiEvidence | None, minor: str) -> list[Finding]:
    release = ChartRelease("x", "1.0.0", kube_version=">=1.16.0-0")
    return _by_source(_cell(_component("x", "x", "1.0.0"), release, minor, evidence),
                      "deprecated-apis")


def test_removed_api_fails_and_names_the_file_and_method() -> None:
    ingress = ApiChoice("templates/ingress.yaml", "Ingress", ("networking.k8s.io/v1beta1",))
    [finding] = _api_cell(_apis(ingress), "1.22")
    assert finding.level == "fail" and "templates/ingress.yaml" in finding.message
    assert "[scanned templates]" in finding.message
    [before] = _api_cell(_apis(ingress), "1.20")
    assert before.level == "warn"  # deprecated, still served


def test_cluster_picked_fallback_is_not_a_failure() -> None:
    pdb = ApiChoice("templates/pdb.yaml", "PodDisruptionBudget", ("policy/v1", "policy/v1beta1"),
                    by_cluster=True)
    findings = _api_cell(_apis(pdb), "1.30")
    assert [f.level for f in findings] == ["ok"]


def test_choice_between_removed_apis_only_fails_when_defaults_render_it() -> None:
    candidates = ("extensions/v1beta1", "policy/v1beta1")
    on = ApiChoice("templates/psp.yaml", "PodSecurityPolicy", candidates, by_cluster=True)
    assert {f.level for f in _api_cell(_apis(on), "1.30")} == {"fail"}
    off = ApiChoice("templates/psp.yaml", "PodSecurityPolicy", candidates, by_cluster=True,
                    off_by_default=".Values.rbac.pspEnabled")
    [finding] = _api_cell(_apis(off), "1.30")
    assert finding.level == "warn" and ".Values.rbac.pspEnabled" in finding.message


def test_no_archive_gives_unknown_with_the_reason() -> None:
    gone = ApiEvidence("unavailable", detail="chart archive unavailable: connection refused")
    [finding] = _api_cell(gone, "1.30")
    assert finding.level == "unknown" and "connection refused" in finding.message


def _real_template_sets() -> list[tuple[str, str, list[dict[str, Any]]]]:
    doc = yaml.safe_load((UPSTREAM / "deprecated-apis" / "chart-template-apis.yaml").read_text())
    return [(c["chart"], v["chartVersion"], v["documents"] + v.get("crdManifests", {}).get("documents", []))
            for c in doc["charts"] for v in c["versions"]]


def _choices(documents: list[dict[str, Any]]) -> ApiEvidence:
    choices = []
    for d in documents:
        candidates = tuple(d.get("resolvedApiVersions") or [])
        if not candidates and isinstance(d.get("apiVersion"), str) and "{{" not in d["apiVersion"]:
            candidates = (d["apiVersion"],)
        if candidates:
            choices.append(ApiChoice(d.get("file", "crd"), d["kind"], candidates,
                                     by_cluster=len(candidates) > 1))
    return _apis(*choices)


REAL_SETS = {(chart, str(version)): docs for chart, version, docs in _real_template_sets()}


def _levels(chart: str, version: str, minor: str) -> set[str]:
    return {f.level for f in _api_cell(_choices(REAL_SETS[(chart, version)]), minor)}


def test_real_sets_old_ingress_nginx_fails_once_its_apis_are_removed() -> None:
    assert "fail" not in _levels("ingress-nginx", "2.0.0", "1.21")
    failing = _api_cell(_choices(REAL_SETS[("ingress-nginx", "2.0.0")]), "1.22")
    assert any(f.level == "fail" and "admissionregistration.k8s.io/v1beta1" in f.message
               for f in failing)


def test_real_sets_ingress_nginx_ternary_fallbacks_pass_on_every_current_minor() -> None:
    for minor in MINORS:
        assert "fail" not in _levels("ingress-nginx", "4.15.1", minor), minor


def test_real_sets_cert_manager_v1_21_only_trips_on_its_psp_and_v0_11_fails_on_1_22() -> None:
    for minor in MINORS:
        findings = _api_cell(_choices(REAL_SETS[("cert-manager", "v1.21.1")]), minor)
        # v1.21.1 still ships PodSecurityPolicy templates (values-gated in the real chart,
        # a guard these pre-resolved sets do not carry); nothing else is deprecated.
        for f in findings:
            assert f.level == "ok" or "PodSecurityPolicy" in f.message, (minor, f.message)
        assert (minor >= "1.25") == any(f.level == "fail" for f in findings)
    assert "fail" in _levels("cert-manager", "v0.11.0", "1.22")


def test_real_sets_cluster_autoscaler_deployment_fallback_is_conditional() -> None:
    findings = _api_cell(_choices(REAL_SETS[("cluster-autoscaler", "9.59.0")]), "1.30")
    assert not any("apps/v1beta2" in f.message and f.level == "fail" for f in findings)
    # Both PodSecurityPolicy candidates are gone in 1.25: without values the set cannot
    # tell the document is switched off, so it fails (the archive scan sees the guard).
    assert any("PodSecurityPolicy" in f.message and f.level == "fail" for f in findings)


def test_every_real_set_is_judged_without_error() -> None:
    versions = {ChartVersion.parse(v) for _, v in REAL_SETS}
    assert len(versions) == 22
    for chart, version in REAL_SETS:
        for minor in ("1.16", "1.25", "1.36"):
            assert _levels(chart, version, minor) <= {"ok", "warn", "fail"}


# --------------------------------------------------------------------------- engine entry points


def test_lifecycle_ok_alone_is_unknown_but_its_warnings_count() -> None:
    calendar = Finding("ok", "lifecycle/kubernetes", "supported")
    assert cell_verdict([calendar]).level == "unknown"
    assert cell_verdict([calendar, Finding("ok", "kubeVersion", "fine")]).level == "ok"
    assert cell_verdict([Finding("warn", "lifecycle/eks", "extended")]).level == "warn"
    assert cell_verdict([]).level == "unknown"
    assert cell_verdict([Finding("warn", "index", "old"), Finding("fail", "matrix", "no")]).to_json() == {
        "verdict": "fail",
        "reasons": [{"source": "matrix", "message": "no", "level": "fail"},
                    {"source": "index", "message": "old", "level": "warn"}],
    }


@cache
def _real_kit_service() -> tuple[Any, Any]:
    from releaser.adapters.kit_files import WorktreeFiles
    from releaser.adapters.yaml import parse_document
    from releaser.app.compat import CompatService
    from releaser.app.kit import load_kit
    from tests.compat_support import ROOT, IndexFileSource

    kit = load_kit(WorktreeFiles(ROOT), parse_document)
    return kit, CompatService(IndexFileSource(), real_data())


def test_gate_for_cut_lists_failures_inside_the_range_only() -> None:
    kit, service = _real_kit_service()
    gate = service.gate(kit, TODAY)
    failing = {(c.name, label) for c, label, _ in gate.matrix.failures()}
    # Nothing in the kit's range is excluded by a source; what upstream does not list yet
    # (ingress-nginx and cluster-autoscaler on 1.36) warns.
    assert failing == set()
    warned = {(c.name, label) for c, label, _ in gate.matrix.warnings()}
    assert {("cluster-autoscaler", "1.36"), ("ingress-nginx", "1.36")} <= warned
    assert gate.passed and any(c.name == "promtail" for c, _, _ in gate.matrix.warnings())
    older = service.gate(replace(kit, kubernetes=KubernetesRange("1.33", "1.36")), TODAY)
    # 1.33 is past its end of life: said once for the column (and it fails the gate), not
    # on every component's cell
    assert "1.33" in {label for label, _ in older.matrix.lifecycle_cells("fail")}
    assert not older.passed and ("cluster-autoscaler", "1.33") not in {
        (c.name, label) for c, label, _ in older.matrix.failures()
    }


def test_rollout_failures_on_one_exact_cluster_version() -> None:
    kit, service = _real_kit_service()
    names = ["cert-manager", "cluster-autoscaler", "no-such-component"]
    failed = service.failures(kit, names, "v1.32.2-eks-a737599", TODAY)  # past EOL, and cert-manager 1.21 needs 1.33+
    assert [c.name for c, _ in failed] == ["cert-manager", "cluster-autoscaler"]
    assert service.failures(kit, names, "v1.35.2-eks-a737599", TODAY) == []


def test_evaluate_kit_with_explicit_targets_keeps_their_order_and_range_flags() -> None:
    kit, service = _real_kit_service()
    matrix = service.evaluate_kit(kit, ["1.36", "1.34", "v1.35.1-eks-x", "1.36"], TODAY)
    assert matrix.labels == ["1.36", "1.34", "v1.35.1-eks-x"]
    assert matrix.in_range == frozenset({"1.36", "v1.35.1-eks-x"})
    assert matrix.as_dict()["inRange"] == ["1.36", "v1.35.1-eks-x"]

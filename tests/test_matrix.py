"""Upstream support matrices: the real core/compatibility.yaml and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from releaser.adapters.datasets import load_compatibility
from releaser.domain.errors import InvalidFileError
from releaser.domain.findings import Finding
from releaser.domain.matrix import (
    Selector,
    SupportLine,
    SupportMatrix,
    matrix_finding,
    status_finding,
)
from releaser.domain.verdict import Verdict

COMPAT = Path(__file__).resolve().parent.parent / "core" / "compatibility.yaml"


@pytest.fixture(scope="module")
def matrices() -> dict[str, SupportMatrix]:
    return load_compatibility(COMPAT.read_text(encoding="utf-8"), "core/compatibility.yaml")


def level(matrix: SupportMatrix, app: str, minor: str, chart: str | None = None) -> str:
    return matrix_finding(matrix, app, chart, minor).level


def test_every_kit_component_with_a_published_matrix_is_there(
    matrices: dict[str, SupportMatrix],
) -> None:
    for name in (
        "cert-manager",
        "ingress-nginx",
        "cluster-autoscaler",
        "aws-load-balancer-controller",
        "external-secrets",
        "argo-cd",
        "external-dns",
    ):
        assert matrices[name].lines, name
        assert "/blob/" in matrices[name].source_url, name  # pinned to a commit


def test_cert_manager_1_21(matrices: dict[str, SupportMatrix]) -> None:
    cm = matrices["cert-manager"]
    ok = matrix_finding(cm, "v1.21.1", "v1.21.1", "1.36")
    assert ok.level == "ok"
    assert ok.message == "cert-manager 1.21 supports Kubernetes 1.33–1.36"
    assert ok.url is not None and "cert-manager/website" in ok.url
    bad = matrix_finding(cm, "v1.21.1", "v1.21.1", "1.32")
    assert bad.level == "fail"
    assert bad.message.endswith("not 1.32")


def test_unlisted_line_is_unknown(matrices: dict[str, SupportMatrix]) -> None:
    finding = matrix_finding(matrices["cert-manager"], "v1.22.0", None, "1.36")
    assert finding.level == "unknown"
    assert "not in the upstream support matrix" in finding.message


def test_external_secrets_lists_tested_versions_so_outside_only_warns(
    matrices: dict[str, SupportMatrix],
) -> None:
    eso = matrices["external-secrets"]
    assert level(eso, "v2.9.0", "1.36") == "ok"
    assert level(eso, "v2.9.0", "1.35") == "warn"
    assert level(eso, "v2.8.1", "1.35") == "ok"
    assert level(eso, "0.20.4", "1.34") == "ok"  # "0.20.x" upstream
    assert level(eso, "v2.4.1", "1.35") == "ok"  # an exact row


def test_argo_cd_lines(matrices: dict[str, SupportMatrix]) -> None:
    argo = matrices["argo-cd"]
    assert level(argo, "v3.4.4", "1.35") == "ok"
    finding = matrix_finding(argo, "v3.4.4", "10.1.1", "1.36")
    assert finding.level == "warn"
    assert finding.message == "argo-cd 3.4 is tested upstream on Kubernetes 1.32–1.35, not 1.36"
    assert level(argo, "v3.5.0", "1.36") == "ok"


def test_ingress_nginx_exact_rows_win_over_their_line(matrices: dict[str, SupportMatrix]) -> None:
    ing = matrices["ingress-nginx"]
    # v1.10.0 was tested up to 1.29, the later 1.10.x patches up to 1.30.
    assert level(ing, "1.10.0", "1.30") == "fail"
    assert level(ing, "1.10.6", "1.30") == "ok"
    assert level(ing, "1.15.1", "1.35") == "ok"
    # 1.36 came after the project retired: no line lists it, so untested, not excluded.
    assert level(ing, "1.15.1", "1.36") == "warn"
    assert level(ing, "1.14.0", "1.35") == "fail"  # 1.15 lists 1.35; 1.14 does not


def test_retired_and_deprecated_components_warn(matrices: dict[str, SupportMatrix]) -> None:
    retired = status_finding(matrices["ingress-nginx"])
    assert retired is not None and retired.level == "warn"
    assert "retired" in retired.message and "March 2026" in retired.message
    promtail = status_finding(matrices["promtail"])
    assert promtail is not None and "deprecated" in promtail.message
    assert status_finding(matrices["cert-manager"]) is None
    assert matrix_finding(matrices["promtail"], "3.5.1", None, "1.33").level == "unknown"


def test_cluster_autoscaler_minor_matches_kubernetes(matrices: dict[str, SupportMatrix]) -> None:
    ca = matrices["cluster-autoscaler"]
    assert level(ca, "1.34.2", "1.34") == "ok"
    assert level(ca, "1.34.2", "1.35") == "warn"  # upstream recommends the matching minor
    assert level(ca, "1.35.0", "1.36") == "warn"
    assert level(ca, "1.35.0", "1.35") == "ok"
    assert level(ca, "1.3.5", "1.11") == "ok"


def test_ranges_aws_lbc_and_external_dns(matrices: dict[str, SupportMatrix]) -> None:
    lbc, dns = matrices["aws-load-balancer-controller"], matrices["external-dns"]
    assert level(lbc, "v2.4.7", "1.21") == "ok"
    assert level(lbc, "v2.8.1", "1.21") == "fail"
    assert level(lbc, "v3.5.0", "1.36") == "ok"  # open-ended
    assert level(dns, "0.21.0", "1.36") == "ok"
    assert level(dns, "0.15.0", "1.33") == "fail"
    assert level(dns, "0.9.0", "1.10") == "ok"


def test_chart_version_matching_uses_the_chart_version() -> None:
    lines = (SupportLine(">=9.51.0", "1.34", "1.34"),)
    matrix = SupportMatrix("demo", "https://example.org", "chartVersion", lines)
    assert matrix_finding(matrix, "1.99.0", "9.52.0", "1.34").level == "ok"
    assert matrix_finding(matrix, "1.99.0", "9.50.0", "1.34").level == "unknown"
    assert matrix_finding(matrix, "1.99.0", None, "1.34").level == "unknown"


@pytest.mark.parametrize(
    ("selector", "version", "expected"),
    [
        ("1.21", "v1.21.1", True),
        ("1.21", "1.21.0-alpha.1", True),
        ("1.21", "1.2.1", False),
        ("1.12.0-beta.0", "v1.12.0-beta.0", True),
        ("1.12.0", "1.12.0-beta.0", False),
        (">=0.10.0 <0.18.0", "0.17.9", True),
        (">=0.10.0 <0.18.0", "0.18.0", False),
        (">=2.5", "v2.5.0", True),
        ("1.21", "not-a-version", False),
    ],
)
def test_selector_matches(selector: str, version: str, expected: bool) -> None:
    assert Selector.parse(selector).matches(version) is expected


@pytest.mark.parametrize("bad", ["x", "1", ">=", "~1.2", ">=1.2 banana"])
def test_bad_selectors_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        Selector.parse(bad)


BROKEN = """\
components:
  cert-manager:
    source:
      url: https://example.org/x
    match: appversion
    lines:
      - {versions: "1.21", min: "1.33", max: "1.3x"}
      - {versions: "~1.20", min: "1.32"}
      - {min: "1.30"}
      - {versions: "1.19", min: "1.35", max: "1.31"}
  ingress-nginx:
    lnies: []
  Bad_Name: {}
  external-dns:
    lines:
      - {versions: "1.0", min: 1.30}
"""


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(InvalidFileError) as caught:
        load_compatibility(BROKEN, "core/compatibility.yaml")
    problems = {(p.line, p.path): p.message for p in caught.value.problems}
    assert (
        "must be one of appVersion, chartVersion" in problems[(5, "components.cert-manager.match")]
    )
    assert "not a Kubernetes minor" in problems[(7, "components.cert-manager.lines[0].max")]
    assert "not a version line" in problems[(8, "components.cert-manager.lines[1].versions")]
    assert problems[(9, "components.cert-manager.lines[2]")] == "missing key 'versions'"
    assert "above max" in problems[(10, "components.cert-manager.lines[3]")]
    assert "did you mean 'lines'" in problems[(12, "components.ingress-nginx.lnies")]
    assert "lowercase" in problems[(13, "components.Bad_Name")]
    assert "source url" in problems[(15, "components.external-dns.source.url")]
    assert str(caught.value).startswith("core/compatibility.yaml:5: components.cert-manager.match")


def test_unquoted_minor_keeps_its_written_form() -> None:
    text = "components:\n  x:\n    source: {url: u}\n    lines: [{versions: '1.0', min: 1.30}]\n"
    line = load_compatibility(text, "f.yaml")["x"].lines[0]
    assert line.min == "1.30"


def test_malformed_yaml_names_the_line() -> None:
    with pytest.raises(InvalidFileError) as caught:
        load_compatibility("components:\n  a: [1, 2\n  b: 3\n", "c.yaml")
    problem = caught.value.problems[0]
    assert problem.file == "c.yaml" and problem.line is not None and problem.line >= 2
    assert "YAML syntax error" in problem.message


def test_duplicate_component_is_reported() -> None:
    with pytest.raises(InvalidFileError, match="duplicate key"):
        load_compatibility("components:\n  a: {}\n  a: {}\n", "c.yaml")


def test_empty_file_has_no_matrices() -> None:
    assert load_compatibility("", "c.yaml") == {}


def test_verdict_combines_sources_and_orders_reasons(matrices: dict[str, SupportMatrix]) -> None:
    ok = matrix_finding(matrices["cert-manager"], "v1.21.1", None, "1.36")
    retired = status_finding(matrices["ingress-nginx"])
    assert retired is not None
    silent = Finding("unknown", "chart", "no kubeVersion constraint")
    verdict = Verdict.of([ok, silent, retired])
    assert verdict.level == "warn"
    assert [r.level for r in verdict.reasons] == ["warn", "unknown", "ok"]
    cell = verdict.to_json()
    assert cell["verdict"] == "warn"
    assert cell["reasons"][2] == {
        "source": "matrix",
        "message": "cert-manager 1.21 supports Kubernetes 1.33–1.36",
        "level": "ok",
        "url": ok.url,
    }
    assert Verdict.of([]).to_json() == {"verdict": "unknown", "reasons": []}

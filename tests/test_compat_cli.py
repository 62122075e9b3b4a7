"""`releaser compat` end to end: real index files and chart archives the tests build, served
on 127.0.0.1 and reached through a mirrors file, as an air-gapped site would."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from releaser.cli.main import app
from tests.compat_support import ROOT, chart_archive, write_chart_repo
from tests.helm_support import find_helm
from tests.helmrepos import quiet_upstream_env, serve_repos, write_mirrors
from tests.kitrepo import commit_all, init_repo, make_kit_repo
from tests.servers import FileServer

DEMO_URL = "https://charts.example.test/stable"

PDB = (
    'apiVersion: {{ ternary "policy/v1" "policy/v1beta1" (semverCompare ">=1.21.0-0" '
    ".Capabilities.KubeVersion.Version) }}\nkind: PodDisruptionBudget\nmetadata:\n  name: demo\n"
    "spec:\n  minAvailable: 1\n"
)
PSP = (
    "{{- if .Values.psp.enabled }}\napiVersion: policy/v1beta1\nkind: PodSecurityPolicy\n"
    "metadata:\n  name: demo\n{{- end }}\n"
)
OLD_INGRESS = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: demo\n"
NEW_INGRESS = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: demo\n"
OLD_CRD = "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n  name: demos.example.test\n"
VALUES = "psp:\n  enabled: false\n"


def _chart(version: str, ingress: str, crds: dict[str, str] | None = None,
           kube: str | None = None) -> tuple[bytes, str | None]:
    templates = {"ingress.yaml": ingress, "pdb.yaml": PDB, "psp.yaml": PSP}
    return chart_archive("legacy", version, templates, crds, VALUES, kube), kube


DEMO_CHARTS = {
    ("legacy", "1.0.0"): _chart("1.0.0", OLD_INGRESS, {"crd.yaml": OLD_CRD}),
    ("legacy", "2.0.0"): _chart("2.0.0", NEW_INGRESS, kube=">=1.23.0"),
    ("legacy", "2.1.0"): _chart("2.1.0", NEW_INGRESS, kube=">=1.23.0-0"),
    ("legacy", "2.2.0"): _chart("2.2.0", OLD_INGRESS, kube=">=1.23.0-0"),
    ("legacy", "2.3.0-rc.1"): _chart("2.3.0-rc.1", NEW_INGRESS, kube=">=1.23.0-0"),
    ("legacy", "3.0.0"): _chart("3.0.0", NEW_INGRESS, kube=">=1.23.0-0"),
    ("broken", "1.0.0"): (chart_archive("broken", "1.0.0", {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"},
                                        kube_version=">= 1.2x <<"), ">= 1.2x <<"),
}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    quiet_upstream_env(monkeypatch, tmp_path / "cache")


@pytest.fixture
def server(upstream: Path, tmp_path: Path) -> Iterator[FileServer]:
    write_chart_repo(tmp_path / "demo-repo", DEMO_CHARTS)
    with FileServer(root=tmp_path / "demo-repo") as srv:
        serve_repos(srv, upstream / "helm-repos")
        yield srv


@pytest.fixture
def mirrors(tmp_path: Path, server: FileServer) -> Path:
    # The demo repository sits at the server root; the real indexes under their prefixes.
    return write_mirrors(tmp_path / "mirrors.yaml", server, {DEMO_URL: server.url})


def demo_kit(path: Path, version: str = "1.0.0", chart: str = "legacy") -> Path:
    component = {"repoURL": DEMO_URL, "chart": chart, "version": version,
                 "namespace": "demo", "values": {}}
    return make_kit_repo(path, components={"base": {"demo": component}, "aws": {}, "gcp": {},
                                           "addons": {}}, kubernetes=("1.35", "1.36"))


def core_kit(path: Path) -> Path:
    init_repo(path)
    shutil.copytree(ROOT / "core", path / "core")
    commit_all(path, "core kit")
    return path


def run(kit: Path, mirrors: Path | None, *args: str, json_out: bool = True) -> Any:
    argv = ["--kit", str(kit)] + (["--mirrors", str(mirrors)] if mirrors else [])
    return CliRunner().invoke(app, [*argv, *(["--json"] if json_out else []), *args])


def _rows(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(stdout)["components"]}


def _reasons(cell: dict[str, Any], source: str) -> list[dict[str, Any]]:
    return [r for r in cell["reasons"] if r["source"] == source]


# --------------------------------------------------------------------------- the real kit


def test_core_kit_through_mirrors_prints_the_matrix(tmp_path: Path, mirrors: Path) -> None:
    kit = core_kit(tmp_path / "kit")
    result = run(kit, mirrors, "compat")
    doc = json.loads(result.stdout)
    assert doc["kubernetes"] == ["1.35", "1.36", "1.37"] and doc["inRange"] == ["1.35", "1.36"]
    assert doc["data"] == {"lifecycle": "2026-08-22", "deprecations": "2026-08-22"}
    rows = _rows(result.stdout)
    assert len(rows) == 16
    cert_manager = rows["cert-manager"]["verdicts"]["1.35"]
    assert cert_manager["verdict"] == "ok" and cert_manager["unchecked"] == ["deprecated-apis"]
    assert set(doc["lifecycle"]) == {"1.35", "1.36", "1.37"}
    autoscaler = rows["cluster-autoscaler"]["verdicts"]["1.36"]
    assert autoscaler["verdict"] == "warn" and _reasons(autoscaler, "matrix")[0]["level"] == "warn"
    assert "upstream lists no version for 1.36 yet" in _reasons(autoscaler, "matrix")[0]["message"]
    assert result.exit_code == 0, result.stderr
    # No archive of the real charts is reachable: the API source says so, the others decide.
    [api] = _reasons(rows["argo-cd"]["verdicts"]["1.35"], "deprecated-apis")
    assert api["level"] == "unknown" and "chart archive unavailable" in api["message"]
    assert "warning: argo-cd: chart archive" in result.stderr
    assert "fail inside the kit's Kubernetes range" not in result.stderr


def test_core_kit_text_and_markdown(tmp_path: Path, mirrors: Path) -> None:
    kit = core_kit(tmp_path / "kit")
    text = run(kit, mirrors, "compat", json_out=False)
    assert "data snapshots: lifecycle 2026-08-22, deprecated APIs 2026-08-22" in text.stdout
    assert "1.37*" in text.stdout and "cluster-autoscaler 9.58.0:" in text.stdout
    assert "127.0.0.1" not in text.stdout  # upstream URLs only, never the mirror
    md = run(kit, mirrors, "compat", "--format", "md", json_out=False)
    assert md.stdout.startswith("### core-kit") and "| cert-manager | v1.21.0 | ok* |" in md.stdout
    # No archive of the real charts is served: no bare ok, and the header counts them.
    for out in (text.stdout, md.stdout):
        assert "templates not checked: all 16 charts; ok* = ok from the other sources" in out
    bad = run(kit, mirrors, "compat", "--format", "html", json_out=False)
    assert bad.exit_code == 2


# --------------------------------------------------------------------------- chart archives


def test_scanned_archive_finds_removed_conditional_and_values_disabled_apis(
    tmp_path: Path, mirrors: Path
) -> None:
    result = run(demo_kit(tmp_path / "kit"), mirrors, "compat", "--no-render")
    row = _rows(result.stdout)["demo"]
    assert row["apiCheck"] == "scanned"
    cell = row["verdicts"]["1.35"]
    apis = _reasons(cell, "deprecated-apis")
    failing = " ".join(r["message"] for r in apis if r["level"] == "fail")
    assert "extensions/v1beta1 Ingress" in failing and "templates/ingress.yaml" in failing
    assert "apiextensions.k8s.io/v1beta1 CustomResourceDefinition" in failing
    assert "crds/crd.yaml" in failing and "[scanned templates]" in failing
    psp = [r for r in apis if "PodSecurityPolicy" in r["message"]]
    assert [r["level"] for r in psp] == ["warn"] and ".Values.psp.enabled" in psp[0]["message"]
    assert not any("PodDisruptionBudget" in r["message"] and r["level"] == "fail" for r in apis)
    assert cell["verdict"] == "fail" and result.exit_code == 1


@pytest.mark.skipif(find_helm() is None, reason="helm not installed (.ci/install-helm.sh)")
def test_rendered_with_helm_when_available(tmp_path: Path, mirrors: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    helm = find_helm()
    assert helm is not None
    monkeypatch.setenv("PATH", f"{Path(helm).parent}:/usr/bin:/bin")
    result = run(demo_kit(tmp_path / "kit"), mirrors, "compat", "--kubernetes", "1.35")
    row = _rows(result.stdout)["demo"]
    assert row["apiCheck"] == "rendered"
    apis = _reasons(row["verdicts"]["1.35"], "deprecated-apis")
    assert all("rendered with helm v3" in r["message"] and "--kube-version 1.35.0" in r["message"]
               for r in apis)
    assert any(r["level"] == "fail" and "extensions/v1beta1 Ingress" in r["message"] for r in apis)
    # Default values switch the PodSecurityPolicy off, so the rendering has none.
    assert not any("PodSecurityPolicy" in r["message"] for r in apis)


def test_unchanged_chart_is_downloaded_once_across_runs(
    tmp_path: Path, mirrors: Path, server: FileServer
) -> None:
    kit = demo_kit(tmp_path / "kit")
    first = run(kit, mirrors, "compat", "--no-render")
    second = run(kit, mirrors, "compat", "--no-render")
    assert first.stdout == second.stdout
    assert server.hits("/legacy-1.0.0.tgz") == 1


# --------------------------------------------------------------------------- Kubernetes targets


def test_exact_cluster_versions_are_evaluated_as_helm_would(tmp_path: Path, mirrors: Path) -> None:
    kit = demo_kit(tmp_path / "kit", "2.0.0")
    targets = "1.35,v1.35.2-eks-a737599,1.35.5-gke.1014001,v1.35.1+k3s1"
    result = run(kit, mirrors, "compat", "--no-render", "--kubernetes", targets)
    cells = _rows(result.stdout)["demo"]["verdicts"]
    assert list(cells) == targets.split(",")
    [minor] = _reasons(cells["1.35"], "kubeVersion")
    assert minor["level"] == "warn" and "pre-release rule" in minor["message"]
    for vendor in ("v1.35.2-eks-a737599", "1.35.5-gke.1014001"):
        [exact] = _reasons(cells[vendor], "kubeVersion")
        assert exact["level"] == "fail" and "pre-release" in exact["message"]
        assert "`>=1.23.0-0`" in exact["message"]
    assert _reasons(cells["v1.35.1+k3s1"], "kubeVersion")[0]["level"] == "ok"
    eks_only = {r["source"] for r in json.loads(result.stdout)["lifecycle"]["v1.35.2-eks-a737599"]["reasons"]}
    assert "lifecycle/eks" in eks_only and "lifecycle/gke" not in eks_only
    assert result.exit_code == 1


def test_malformed_constraint_fails(tmp_path: Path, mirrors: Path) -> None:
    kit = demo_kit(tmp_path / "kit", "1.0.0", chart="broken")
    result = run(kit, mirrors, "compat", "--no-render", "--kubernetes", "1.35")
    [finding] = _reasons(_rows(result.stdout)["demo"]["verdicts"]["1.35"],
                         "kubeVersion")
    assert finding["level"] == "fail" and "Helm refuses to install" in finding["message"]


def test_unknown_minor_says_the_snapshot_has_no_data(tmp_path: Path, mirrors: Path) -> None:
    kit = demo_kit(tmp_path / "kit", "2.1.0")
    result = run(kit, mirrors, "compat", "--no-render", "--kubernetes", "1.99")
    [life] = _reasons(json.loads(result.stdout)["lifecycle"]["1.99"], "lifecycle/kubernetes")
    assert life["level"] == "unknown" and "no lifecycle data for 1.99" in life["message"]
    assert result.exit_code == 0  # 1.99 is outside the kit's range


def test_malformed_kubernetes_option_is_a_usage_error(tmp_path: Path, mirrors: Path) -> None:
    result = run(demo_kit(tmp_path / "kit"), mirrors, "compat", "--kubernetes", "1.35,1.x")
    assert result.exit_code == 2 and "invalid Kubernetes version '1.x'" in result.stderr


# --------------------------------------------------------------------------- offline and errors


def test_offline_without_cache_names_the_gap_and_exits_4(tmp_path: Path, mirrors: Path) -> None:
    result = run(demo_kit(tmp_path / "kit"), mirrors, "compat", "--offline")
    cell = _rows(result.stdout)["demo"]["verdicts"]["1.35"]
    [index] = _reasons(cell, "index")
    assert index["level"] == "unknown" and "chart index unavailable" in index["message"]
    assert result.exit_code == 4 and "could not be read" in result.stderr


def test_offline_after_a_run_uses_cached_index_and_archive(
    tmp_path: Path, mirrors: Path, server: FileServer
) -> None:
    kit = demo_kit(tmp_path / "kit")
    online = run(kit, mirrors, "compat", "--no-render")
    offline = run(kit, mirrors, "compat", "--no-render", "--offline")
    assert offline.stdout == online.stdout and offline.exit_code == online.exit_code == 1


def test_unreachable_repository_gives_unknown_and_exit_4(tmp_path: Path) -> None:
    mirrors = tmp_path / "mirrors.yaml"
    mirrors.write_text(f"{DEMO_URL}: http://127.0.0.1:9/closed\n")
    result = run(demo_kit(tmp_path / "kit"), mirrors, "compat", "--no-render")
    cell = _rows(result.stdout)["demo"]["verdicts"]["1.36"]
    assert cell["verdict"] in ("unknown", "warn")
    assert "chart index unavailable" in _reasons(cell, "index")[0]["message"]
    assert result.exit_code == 4 and f"demo ({DEMO_URL}: " in result.stderr


def test_missing_archive_leaves_api_unknown_and_other_sources_decide(
    tmp_path: Path, mirrors: Path, server: FileServer
) -> None:
    from tests.servers import Fault

    server.fault("/legacy-2.1.0.tgz", Fault(status=404))
    result = run(demo_kit(tmp_path / "kit", "2.1.0"), mirrors, "compat", "--no-render")
    cell = _rows(result.stdout)["demo"]["verdicts"]["1.35"]
    [api] = _reasons(cell, "deprecated-apis")
    assert api["level"] == "unknown" and "404" in api["message"]
    assert _reasons(cell, "kubeVersion")[0]["level"] == "ok" and cell["verdict"] == "ok"
    assert cell["unchecked"] == ["deprecated-apis"]  # never a bare ok
    assert result.exit_code == 0 and "warning: demo: chart archive" in result.stderr
    text = run(demo_kit(tmp_path / "kit2", "2.1.0"), mirrors, "compat", "--no-render",
               json_out=False)
    assert "templates not checked: all 1 charts; ok* = ok from the other sources" in text.stdout
    [row] = [line for line in text.stdout.splitlines() if line.startswith("demo ")]
    assert row.split()[-3:] == ["ok*", "ok*", "ok*"]


def test_data_prints_snapshot_dates() -> None:
    result = CliRunner().invoke(app, ["--json", "data"])
    names = {s["name"]: s["date"] for s in json.loads(result.stdout)["snapshots"]}
    assert names["kubernetes-lifecycle"] == "2026-08-22" and result.exit_code == 0
    text = CliRunner().invoke(app, ["data"])
    assert "deprecated-apis" in text.stdout and "2026-08-22" in text.stdout


def test_compat_at_a_ref_reads_the_kit_and_matrices_there(tmp_path: Path, mirrors: Path) -> None:
    kit = demo_kit(tmp_path / "kit", "2.1.0")
    at_head = run(kit, mirrors, "compat", "--no-render", "--ref", "HEAD")
    assert at_head.exit_code == 0 and _rows(at_head.stdout)["demo"]["version"] == "2.1.0"
    missing = run(kit, mirrors, "compat", "--ref", "no-such-ref")
    assert missing.exit_code == 2 and "no-such-ref" in missing.stderr


def test_data_refresh_without_network_fails_cleanly_and_keeps_the_snapshot(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RELEASER_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["data", "refresh"])
    assert result.exit_code == 4 and result.stderr.startswith("error: ")
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())
    after = CliRunner().invoke(app, ["--json", "data"])
    assert json.loads(after.stdout)["snapshots"][0]["date"] == "2026-08-22"


# --------------------------------------------------------------------------- signal over noise


def _compat_on(monkeypatch: pytest.MonkeyPatch, day: str, kit: Path, mirrors: Path,
               *args: str, json_out: bool = True) -> Any:
    monkeypatch.setenv("RELEASER_TODAY", day)
    return run(kit, mirrors, "compat", *args, json_out=json_out)


def test_a_minor_near_its_end_of_life_is_said_once_not_on_every_component(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On 2026-12-01 Kubernetes 1.35 is 89 days from its end of life (2027-02-28): one
    lifecycle note for the column; the components' cells stay what their own sources say."""
    kit = core_kit(tmp_path / "kit")
    result = _compat_on(monkeypatch, "2026-12-01", kit, mirrors)
    doc = json.loads(result.stdout)
    life = doc["lifecycle"]["1.35"]
    assert life["verdict"] == "warn"
    [upstream] = _reasons(life, "lifecycle/kubernetes")
    assert upstream["message"] == ("Kubernetes 1.35 reaches upstream end of life on 2027-02-28 "
                                   "(in 89 days)")
    sources = {r["source"] for c in doc["components"] for cell in c["verdicts"].values()
               for r in cell["reasons"]}
    assert not sources & {"lifecycle/kubernetes", "lifecycle/eks", "lifecycle/gke"}
    assert _rows(result.stdout)["loki"]["verdicts"]["1.35"]["verdict"] == "ok"
    assert result.exit_code == 0
    text = _compat_on(monkeypatch, "2026-12-01", kit, mirrors, json_out=False).stdout
    assert text.count("Kubernetes 1.35 reaches upstream end of life") == 1
    [row] = [line for line in text.splitlines() if line.startswith("Kubernetes lifecycle ")]
    assert row.split()[-3:] == ["WARN", "ok", "?"]


def test_a_minor_of_the_range_past_its_end_of_life_fails_the_run_once(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = core_kit(tmp_path / "kit")
    result = _compat_on(monkeypatch, "2027-03-01", kit, mirrors)
    doc = json.loads(result.stdout)
    assert doc["lifecycle"]["1.35"]["verdict"] == "fail"
    assert all(c["verdicts"]["1.35"]["verdict"] != "fail" for c in doc["components"])
    assert result.exit_code == 1
    assert "1 cell(s) fail inside the kit's Kubernetes range" in result.stderr
    md = _compat_on(monkeypatch, "2027-03-01", kit, mirrors, "--format", "md", json_out=False)
    assert md.stdout.count("Kubernetes 1.35 reached upstream end of life on 2027-02-28") == 1
    assert "| _Kubernetes lifecycle_ | | FAIL | ok | ? |" in md.stdout


def test_a_reason_repeated_on_several_minors_is_listed_once_with_its_span(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = core_kit(tmp_path / "kit")
    text = _compat_on(monkeypatch, "2026-10-20", kit, mirrors, json_out=False).stdout
    block = text[text.index("ingress-nginx 4.15.1:"):text.index("promtail 6.17.0:")]
    retired = [line for line in block.splitlines() if "upstream-status" in line]
    assert len(retired) == 1 and retired[0].split()[:2] == ["1.35–1.37", "warn"]
    assert text.count("ingress-nginx is retired upstream") == 1
    md = _compat_on(monkeypatch, "2026-10-20", kit, mirrors, "--format", "md",
                    json_out=False).stdout
    assert "- **ingress-nginx 4.15.1** 1.35–1.37 `warn` upstream-status: " in md

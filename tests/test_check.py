"""`releaser check` end to end: a real HTTP server on 127.0.0.1 serves the real index files,
a mirrors file maps the kit's real repository URLs onto it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.helmrepos import (
    REPOS,
    component,
    expected_latest,
    kit_components,
    run_check,
    serve_repos,
    write_mirrors,
)
from tests.kitrepo import make_kit_repo
from tests.registry import demo_registries
from tests.servers import FileServer

JETSTACK = "https://charts.jetstack.io"
NGINX = "https://kubernetes.github.io/ingress-nginx"
SEALED = "https://bitnami-labs.github.io/sealed-secrets"
DNS = "https://kubernetes-sigs.github.io/external-dns/"
ZALANDO = "https://opensource.zalando.com/postgres-operator/charts/postgres-operator"
GRAFANA = "https://grafana.github.io/helm-charts"
EKS = "https://aws.github.io/eks-charts"
AUTOSCALER = "https://kubernetes.github.io/autoscaler"

KIT = {
    "base": {
        "cert-manager": component(JETSTACK, "cert-manager", "v1.12.3"),
        "ingress-nginx": component(NGINX, "ingress-nginx", "3.40.0"),
        "sealed-secrets": component(SEALED, "sealed-secrets", "2.10.0"),
        "promtail": component(GRAFANA, "promtail", "6.15.0"),
    },
    "aws": {
        "aws-load-balancer-controller": component(EKS, "aws-load-balancer-controller", "1.8.1"),
        "cluster-autoscaler": component(AUTOSCALER, "cluster-autoscaler", "9.50.0"),
    },
    "gcp": {},
    "addons": {
        "external-dns": component(DNS, "external-dns", "1.19.0"),
        "postgres-operator": component(ZALANDO, "postgres-operator", "1.14.0"),
    },
}


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    return make_kit_repo(tmp_path / "kit", components=KIT)


@pytest.fixture
def mirrors(tmp_path: Path, helm_server: FileServer) -> Path:
    return write_mirrors(tmp_path / "mirrors.yaml", helm_server)


def _by_name(stdout: str) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(stdout)["components"]}


def test_check_lists_newest_patch_minor_major_as_an_independent_computation(
    kit: Path, mirrors: Path, upstream: Path
) -> None:
    result = run_check(kit, mirrors)
    assert result.exit_code == 0, result.stderr
    got = _by_name(result.stdout)
    assert list(got) == [n for s in KIT.values() for n in s]  # kit order kept
    for section, items in KIT.items():
        for name, spec in items.items():
            index = upstream / "helm-repos" / REPOS[spec["repoURL"]][1]
            want = expected_latest(index, spec["chart"], spec["version"])
            c = got[name]
            assert c["section"] == section and c["error"] is None
            assert c["repoURL"] == spec["repoURL"]  # upstream, never the mirror
            assert c["current"] == spec["version"]
            assert {k: (v or {}).get("version") for k, v in c["latest"].items()} == want, name
    # A few facts from the real data, so the reference cannot be wrong the same way.
    assert got["cert-manager"]["latest"]["major"] is None
    assert got["cert-manager"]["latest"]["patch"]["version"].startswith("v1.12.")
    assert got["ingress-nginx"]["latest"]["major"]["version"] == "4.15.1"


def test_candidate_fields_and_changes(kit: Path, mirrors: Path) -> None:
    got = _by_name(run_check(kit, mirrors).stdout)
    minor = got["external-dns"]["latest"]["minor"]
    assert minor["version"] == "1.21.1"
    assert set(minor) >= {"version", "appVersion", "kubeVersion", "created", "deprecated", "changes"}
    # Changes of every version after 1.19.0 up to 1.21.1, typed, with their version.
    versions = {c["version"] for c in minor["changes"]}
    assert versions >= {"1.20.0", "1.21.1"} and "1.19.0" not in versions
    assert {c["kind"] for c in minor["changes"]} >= {"added", "fixed"}
    # Offsets and nanoseconds kept as real instants.
    pg = got["postgres-operator"]["latest"]["minor"]
    assert pg["created"].endswith("+02:00")
    # Chart links come from the index.
    assert got["cert-manager"]["home"] == "https://cert-manager.io"
    assert "https://github.com/cert-manager/cert-manager" in got["cert-manager"]["sources"]


def test_deprecated_release_is_flagged(kit: Path, mirrors: Path) -> None:
    # promtail is deprecated upstream (grafana moved it); the flag is carried to candidates.
    got = _by_name(run_check(kit, mirrors).stdout)
    newest = [v for v in got["promtail"]["latest"].values() if v]
    assert newest and any(v["deprecated"] for v in newest)


def test_pre_releases_only_with_pre(tmp_path: Path, mirrors: Path, upstream: Path) -> None:
    # mimir-distributed's newest release is 6.3.0-weekly.408, its newest stable 6.2.0.
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={"mimir": component(GRAFANA, "mimir-distributed", "5.0.0")}))
    index = upstream / "helm-repos" / REPOS[GRAFANA][1]
    plain = _by_name(run_check(kit, mirrors).stdout)["mimir"]["latest"]
    pre = _by_name(run_check(kit, mirrors, "--pre").stdout)["mimir"]["latest"]
    assert {k: (v or {}).get("version") for k, v in plain.items()} == expected_latest(index, "mimir-distributed", "5.0.0")
    assert {k: (v or {}).get("version") for k, v in pre.items()} == expected_latest(index, "mimir-distributed", "5.0.0", pre=True)
    assert plain["major"]["version"] == "6.2.0"
    assert pre["major"]["version"] == "6.3.0-weekly.408"


def test_non_semver_current_gets_no_candidates_but_newest(tmp_path: Path, mirrors: Path) -> None:
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={"sealed-secrets": component(SEALED, "sealed-secrets", "1.13.2-r2")}))
    result = run_check(kit, mirrors)
    c = _by_name(result.stdout)["sealed-secrets"]
    assert result.exit_code == 0
    assert c["newest"] is not None and c["newest"] != "1.13.2-r2"
    assert c["currentFound"] is True


def test_section_filter_and_unknown_section(kit: Path, mirrors: Path) -> None:
    got = _by_name(run_check(kit, mirrors, "--section", "aws").stdout)
    assert set(got) == {"aws-load-balancer-controller", "cluster-autoscaler"}
    bad = run_check(kit, mirrors, "--section", "nope")
    assert bad.exit_code == 2 and "unknown section 'nope'" in bad.stderr


def test_table_and_markdown_show_upstream_urls(kit: Path, mirrors: Path, helm_server: FileServer) -> None:
    table = run_check(kit, mirrors, json_output=False)
    assert table.exit_code == 0
    assert "PATCH" in table.stdout and JETSTACK in table.stdout
    assert helm_server.url not in table.stdout
    md = run_check(kit, mirrors, "--format", "md", json_output=False)
    assert md.stdout.startswith("| Component |") and "### external-dns: changes since 1.19.0" in md.stdout
    assert helm_server.url not in md.stdout
    bad = run_check(kit, mirrors, "--format", "html", json_output=False)
    assert bad.exit_code == 2


def test_warm_run_costs_one_304_per_repository(kit: Path, mirrors: Path, helm_server: FileServer) -> None:
    first = run_check(kit, mirrors)
    helm_server.log.clear()
    second = run_check(kit, mirrors)
    assert second.exit_code == 0 and second.stdout == first.stdout
    statuses = sorted((r.path, r.status) for r in helm_server.log)
    repos = {REPOS[s["repoURL"]][0] for items in KIT.values() for s in items.values()}
    assert statuses == sorted((f"{p}/index.yaml", 304) for p in repos)
    assert all("if-none-match" in r.headers for r in helm_server.log)


def test_last_modified_alone_also_revalidates(kit: Path, tmp_path: Path, upstream: Path) -> None:
    with FileServer(etag=False) as srv:
        serve_repos(srv, upstream / "helm-repos")
        mirrors = write_mirrors(tmp_path / "m.yaml", srv)
        run_check(kit, mirrors)
        srv.log.clear()
        assert run_check(kit, mirrors).exit_code == 0
        assert {r.status for r in srv.log} == {304}


def test_changed_index_is_refetched_and_reparsed(tmp_path: Path, upstream: Path) -> None:
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={"external-dns": component(DNS, "external-dns", "1.19.0")}))
    source = (upstream / "helm-repos" / "external-dns.index.yaml").read_bytes()
    with FileServer() as srv:
        srv.route_bytes("/external-dns/index.yaml", source)
        mirrors = write_mirrors(tmp_path / "m.yaml", srv)
        before = _by_name(run_check(kit, mirrors).stdout)["external-dns"]
        assert before["latest"]["minor"]["version"] == "1.21.1"
        srv.route_bytes("/external-dns/index.yaml", source.replace(b"version: 1.21.1\n", b"version: 1.22.0\n"))
        after = _by_name(run_check(kit, mirrors).stdout)["external-dns"]
        assert after["latest"]["minor"]["version"] == "1.22.0"


def test_offline_uses_the_cache_and_names_missing_repositories(kit: Path, mirrors: Path, helm_server: FileServer, tmp_path: Path) -> None:
    online = run_check(kit, mirrors)
    helm_server.log.clear()
    offline = run_check(kit, mirrors, "--offline")
    assert offline.exit_code == 0 and offline.stdout == online.stdout
    assert helm_server.log == []  # not a single request
    other = make_kit_repo(tmp_path / "other", components=kit_components(base={"argo-cd": component("https://argoproj.github.io/argo-helm", "argo-cd", "9.0.0")}))
    missing = run_check(other, mirrors, "--offline")
    assert missing.exit_code == 4
    error = _by_name(missing.stdout)["argo-cd"]["error"]
    assert "https://argoproj.github.io/argo-helm" in error and "no cached index" in error


def test_unknown_chart_is_an_error_with_suggestions(tmp_path: Path, mirrors: Path) -> None:
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={"promtail": component(GRAFANA, "promtial", "6.15.0")}))
    result = run_check(kit, mirrors)
    assert result.exit_code == 4
    error = _by_name(result.stdout)["promtail"]["error"]
    assert "chart 'promtial' not found" in error and "promtail" in error


def test_oci_repository_through_a_real_registry(
    tmp_path: Path, mirrors: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    registry = demo_registries(tmp_path_factory).plain
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={
        "sealed-secrets": component(SEALED, "sealed-secrets", "2.10.0"),
        "demo": component(f"oci://{registry.host}/charts", "demo", "v1.2.3"),
        "gone": component("oci://127.0.0.1:9/charts", "gone", "6.0.0"),
    }))
    result = run_check(kit, mirrors)
    got = _by_name(result.stdout)
    assert got["sealed-secrets"]["error"] is None
    assert got["demo"]["error"] is None
    assert got["demo"]["latest"]["patch"]["version"] == "1.2.4+build1"
    assert got["demo"]["latest"]["patch"]["kubeVersion"] == ">=1.28.0"
    assert got["gone"]["error"] and "127.0.0.1:9" in got["gone"]["error"]
    assert result.exit_code == 4


def test_damaged_cache_is_refetched(tmp_path: Path, mirrors: Path, helm_server: FileServer) -> None:
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={"external-dns": component(DNS, "external-dns", "1.19.0")}))
    first = run_check(kit, mirrors)
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "releaser" / "indexes"
    for index in cache.rglob("index.yaml"):
        index.write_bytes(b"garbage")
    for parsed in [*cache.rglob("charts/*.json"), *(cache.parent / "checks").glob("*.json")]:
        parsed.unlink()
    helm_server.log.clear()
    second = run_check(kit, mirrors)
    assert second.exit_code == 0 and second.stdout == first.stdout
    assert helm_server.statuses("/external-dns/index.yaml") == [304, 200]

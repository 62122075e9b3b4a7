"""Helpers for tests of chart sources: serve the real index files on 127.0.0.1 under
per-repository prefixes, and write the mirrors file that maps the real URLs onto them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import semver
import yaml
from typer.testing import CliRunner

from releaser.cli.main import app
from tests.servers import FileServer

# Real upstream URL -> (URL prefix on the local server, index file in helm-repos/).
REPOS: dict[str, tuple[str, str]] = {
    "https://charts.jetstack.io": ("/jetstack", "jetstack-cert-manager.index.yaml"),
    "https://kubernetes.github.io/ingress-nginx": ("/ingress-nginx", "ingress-nginx.index.yaml"),
    "https://prometheus-community.github.io/helm-charts": ("/prometheus-community", "prometheus-community.index.yaml"),
    "https://grafana.github.io/helm-charts": ("/grafana", "grafana.index.yaml"),
    "https://grafana-community.github.io/helm-charts": ("/grafana-community", "grafana-community.index.yaml"),
    "https://bitnami-labs.github.io/sealed-secrets": ("/sealed-secrets", "sealed-secrets.index.yaml"),
    "https://argoproj.github.io/argo-helm": ("/argo", "argo.index.yaml"),
    "https://kubernetes.github.io/autoscaler": ("/autoscaler", "autoscaler.index.yaml"),
    "https://aws.github.io/eks-charts": ("/eks", "eks.index.yaml"),
    "https://kubernetes-sigs.github.io/aws-ebs-csi-driver": ("/aws-ebs-csi-driver", "aws-ebs-csi-driver.index.yaml"),
    "https://kubernetes-sigs.github.io/external-dns/": ("/external-dns", "external-dns.index.yaml"),
    "https://charts.external-secrets.io": ("/external-secrets", "external-secrets.index.yaml"),
    "https://opensource.zalando.com/postgres-operator/charts/postgres-operator": ("/postgres-operator", "postgres-operator.index.yaml"),
    "https://victoriametrics.github.io/helm-charts/": ("/victoriametrics", "victoriametrics.index.yaml"),
}


def serve_repos(server: FileServer, helm_repos: Path) -> None:
    for prefix, file in REPOS.values():
        server.route(f"{prefix}/index.yaml", helm_repos / file)


def write_mirrors(path: Path, server: FileServer, extra: dict[str, str] | None = None) -> Path:
    mapping = {url: server.url + prefix for url, (prefix, _) in REPOS.items()}
    mapping.update(extra or {})
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path


def component(repo_url: str, chart: str, version: str, namespace: str = "default") -> dict[str, Any]:
    return {"repoURL": repo_url, "chart": chart, "version": version, "namespace": namespace, "values": {}}


def run_check(kit: Path, mirrors: Path | None, *args: str, json_output: bool = True) -> Any:
    argv = ["--kit", str(kit)]
    if mirrors is not None:
        argv += ["--mirrors", str(mirrors)]
    if json_output:
        argv.append("--json")
    return CliRunner().invoke(app, [*argv, "check", *args])


def expected_latest(index_file: Path, chart: str, current: str, pre: bool = False) -> dict[str, str | None]:
    """Independent reference: a full CSafeLoader parse and the `semver` library."""
    data = yaml.load(index_file.read_bytes(), Loader=yaml.CSafeLoader)
    versions: list[tuple[semver.Version, str]] = []
    for entry in data["entries"][chart]:
        raw = str(entry["version"])
        try:
            parsed = semver.Version.parse(raw[1:] if raw.startswith("v") else raw)
        except ValueError:
            continue
        if parsed.prerelease and not pre:
            continue
        versions.append((parsed, raw))
    cur = semver.Version.parse(current.removeprefix("v"))

    def best(pick: Any) -> str | None:
        found = [(v, raw) for v, raw in versions if v > cur and pick(v)]
        return max(found, key=lambda x: x[0])[1] if found else None

    return {
        "patch": best(lambda v: (v.major, v.minor) == (cur.major, cur.minor)),
        "minor": best(lambda v: v.major == cur.major and v.minor > cur.minor),
        "major": best(lambda v: v.major > cur.major),
    }


def kit_components(**sections: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """All four sections (a kit needs them), with the given components."""
    return {s: sections.get(s, {}) for s in ("base", "aws", "gcp", "addons")}


def quiet_upstream_env(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    """No retries, a fixed date and a private cache: an upstream answers once, the same way."""
    monkeypatch.setenv("RELEASER_HTTP_RETRIES", "0")
    monkeypatch.setenv("RELEASER_TODAY", "2026-11-22")
    monkeypatch.setenv("RELEASER_CACHE_DIR", str(cache))

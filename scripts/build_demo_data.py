"""Rebuild the demo's package data from ../shared/upstream-data (run by hand, output committed).

- releaser/data/helm-repos/*.index.yaml.gz: the real (and two rebuilt) Helm index files the
  kit's components come from, gzipped, so `releaser demo` serves them offline;
- releaser/data/demo/releases.json: three past kit releases whose component versions and
  dates come from the upstream chart histories, plus the kit on main (from core/) and the
  date it is as of, which the demo runs on;
- releaser/data/demo/charts.json.gz: the index entries of the kit's charts (from the oldest
  version the demo's history pins), from which the demo builds its local Helm repository.

Usage: python scripts/build_demo_data.py [--kit .] [--upstream ../shared/upstream-data]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
from pathlib import Path
from typing import Any

import semver
import yaml

# (version, cut date, Kubernetes range) of the demo's past releases.
PAST_RELEASES = [
    ("2026.1", "2026-02-18", ("1.32", "1.34")),
    ("2026.2", "2026-05-19", ("1.33", "1.35")),
    ("2026.3", "2026-08-18", ("1.34", "1.36")),
]
# Which history record a component's versions come from (loki lives in the community fork).
HISTORY_NAME = {"loki": "loki@grafana-community"}
STABLE = re.compile(r"^v?\d+\.\d+\.\d+$")
# The day the demo's kit on main is as of, after every snapshot it uses: the demo's "today".
MAIN_DATE = "2026-10-20"
# What a Helm index entry carries from Chart.yaml and the product reads (no urls, no digest:
# the demo builds a stand-in archive per entry and serves both itself).
CHART_KEYS = (
    "name", "version", "apiVersion", "appVersion", "kubeVersion", "type", "created",
    "deprecated", "description", "home", "sources", "annotations",
)  # fmt: skip


def kit_components(kit: Path) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for section in ("base", "aws", "gcp", "addons"):
        values = yaml.safe_load((kit / "core" / section / "values.yaml").read_text())
        for name, component in values["components"].items():
            out[name] = {
                "section": section,
                "repoURL": component["repoURL"],
                "chart": component["chart"],
                "version": str(component["version"]),
            }
    return out


def _semver(version: str) -> semver.Version:
    return semver.Version.parse(version.lstrip("v"))


def newest_before(versions: list[dict[str, Any]], date: str, ceiling: str) -> str:
    """The newest stable release out by `date`, never above what main runs now (so the
    demo's history only ever moves forward)."""
    candidates = [
        v
        for v in versions
        if v.get("in_published_index")
        and STABLE.match(str(v["version"]))
        and str(v["date"])[:10] <= date
        and not v.get("deprecated")
        and _semver(str(v["version"])) <= _semver(ceiling)
    ]
    best = max(candidates, key=lambda v: _semver(str(v["version"])))
    return str(best["version"])


def build_releases(kit: Path, upstream: Path) -> dict[str, Any]:
    histories = yaml.safe_load((upstream / "core-kit-chart-histories.yaml").read_text())
    by_name = {c["component"]: c["versions"] for c in histories["charts"]}
    components = kit_components(kit)
    releases = []
    for version, date, (kmin, kmax) in PAST_RELEASES:
        pins = {
            name: newest_before(by_name[HISTORY_NAME.get(name, name)], date, c["version"])
            for name, c in components.items()
        }
        releases.append(
            {
                "version": version,
                "date": date,
                "kubernetes": {"min": kmin, "max": kmax},
                "versions": pins,
            }
        )
    kit_yaml = yaml.safe_load((kit / "core/kit.yaml").read_text())
    main = {
        "date": MAIN_DATE,
        "kubernetes": kit_yaml["kubernetes"],
        "versions": {n: c["version"] for n, c in components.items()},
    }
    return {
        "source": "component versions: newest stable release published before each cut date, "
        "from ../shared/upstream-data/core-kit-chart-histories.yaml (snapshots of "
        "2026-08-22); main: the kit in core/",
        "components": {
            n: {k: c[k] for k in ("section", "repoURL", "chart")} for n, c in components.items()
        },
        "releases": releases,
        "main": main,
    }


INDEX_FILES = {
    "https://charts.jetstack.io": "jetstack-cert-manager.index.yaml",
    "https://kubernetes.github.io/ingress-nginx": "ingress-nginx.index.yaml",
    "https://prometheus-community.github.io/helm-charts": "prometheus-community.index.yaml",
    "https://grafana.github.io/helm-charts": "grafana.index.yaml",
    "https://grafana-community.github.io/helm-charts": "grafana-community.index.yaml",
    "https://bitnami-labs.github.io/sealed-secrets": "sealed-secrets.index.yaml",
    "https://argoproj.github.io/argo-helm": "argo.index.yaml",
    "https://kubernetes.github.io/autoscaler": "autoscaler.index.yaml",
    "https://aws.github.io/eks-charts": "eks.index.yaml",
    "https://kubernetes-sigs.github.io/aws-ebs-csi-driver": "aws-ebs-csi-driver.index.yaml",
    "https://kubernetes-sigs.github.io/external-dns/": "external-dns.index.yaml",
    "https://charts.external-secrets.io": "external-secrets.index.yaml",
    "https://opensource.zalando.com/postgres-operator/charts/postgres-operator": "postgres-operator.index.yaml",
    "https://victoriametrics.github.io/helm-charts/": "victoriametrics.index.yaml",
}


def copy_indexes(kit: Path, upstream: Path, dest: Path) -> dict[str, str]:
    dest.mkdir(parents=True, exist_ok=True)
    used = {c["repoURL"] for c in kit_components(kit).values()}
    mapping = {}
    for url in sorted(used):
        name = INDEX_FILES[url]
        data = (upstream / "helm-repos" / name).read_bytes()
        # mtime=0 keeps the archive byte-identical between rebuilds.
        (dest / f"{name}.gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))
        mapping[url] = name
    (dest / "repositories.json").write_text(json.dumps(mapping, indent=2) + "\n")
    return mapping


def _entry(raw: dict[str, Any]) -> dict[str, Any]:
    entry = {k: raw[k] for k in CHART_KEYS if k in raw}
    if "deprecated" in entry:  # the base loader keeps every scalar a string
        entry["deprecated"] = entry["deprecated"] == "true"
    return entry


def build_charts(releases: dict[str, Any], indexes: Path) -> dict[str, Any]:
    """Per upstream repository, each kit chart's entries at or above the oldest version the
    demo's history pins: every version a demo step can ask about."""
    files = json.loads((indexes / "repositories.json").read_text())
    pins = [r["versions"] for r in releases["releases"]] + [releases["main"]["versions"]]
    out: dict[str, Any] = {}
    for name, component in releases["components"].items():
        url, chart = component["repoURL"], component["chart"]
        raw = gzip.decompress((indexes / f"{files[url]}.gz").read_bytes())
        index = yaml.load(raw, Loader=yaml.CBaseLoader)
        floor = min(_semver(p[name]) for p in pins)
        entries = [
            _entry(e)
            for e in index["entries"][chart]
            if semver.Version.is_valid(e["version"].lstrip("v"))
            and _semver(e["version"]) >= floor
        ]
        repo = out.setdefault(url, {"path": files[url].removesuffix(".index.yaml"), "charts": {}})
        repo["charts"][chart] = entries
    return out


def section_defaults(kit: Path) -> dict[str, Any]:
    """Each section's values.yaml without its component pins: the demo kit's defaults."""
    out = {}
    for section in ("base", "aws", "gcp", "addons"):
        values = yaml.safe_load((kit / "core" / section / "values.yaml").read_text())
        values["components"] = {
            n: {k: v for k, v in c.items() if k not in ("repoURL", "chart", "version")}
            for n, c in values["components"].items()
        }
        out[section] = values
    return out


def copy_templates(kit: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for template in sorted((kit / "core/base/templates").iterdir()):
        (dest / template.name).write_text(template.read_text())
    # The kit's upstream support matrices travel with the templates.
    (dest.parent / "compatibility.yaml").write_text((kit / "core/compatibility.yaml").read_text())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kit", type=Path, default=Path("."))
    parser.add_argument("--upstream", type=Path, default=Path("../shared/upstream-data"))
    args = parser.parse_args()
    data = Path(__file__).resolve().parents[1] / "releaser" / "data"
    copy_indexes(args.kit, args.upstream, data / "helm-repos")
    demo = data / "demo"
    demo.mkdir(parents=True, exist_ok=True)
    releases = build_releases(args.kit, args.upstream)
    releases["defaults"] = section_defaults(args.kit)
    copy_templates(args.kit, demo / "templates")
    (demo / "releases.json").write_text(json.dumps(releases, indent=2) + "\n")
    charts = json.dumps(build_charts(releases, data / "helm-repos"), indent=1).encode()
    (demo / "charts.json.gz").write_bytes(gzip.compress(charts, compresslevel=9, mtime=0))


if __name__ == "__main__":
    main()

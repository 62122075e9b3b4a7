#!/usr/bin/env python3
"""Rebuild releaser's packaged data, its refresh test fixtures and core/compatibility.yaml.

Input: the offline upstream snapshot in ../shared/upstream-data (see its PROVENANCE.md).
Output (run from the repository root: `python scripts/build_datasets.py [UPSTREAM_DIR]`):
- tests/data/refresh/products/*.json: endoflife.date API v1 answers rebuilt from the
  snapshot's values (the real API's shape, real dates), and tests/data/refresh/versions.yaml
  (pluto's file, byte-identical);
- releaser/data/*.json: the packaged snapshots, built from those fixtures by the very
  translation `releaser data refresh` uses, plus kubent-rules.json (static input);
- core/compatibility.yaml: the upstream support matrices of the kit's components.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from releaser.adapters import data_refresh as dr  # noqa: E402

SNAPSHOT = date(2026, 8, 22)
FIXTURES = ROOT / "tests" / "data" / "refresh"
DATA = ROOT / "releaser" / "data"
EOL_COMMIT = "a70eca337600e7d721dc48112c271f98661d208b"
EOL_REPO = "https://github.com/endoflife-date/endoflife.date/blob"


def _flag_and_date(value: Any) -> tuple[bool | None, str | None]:
    """endoflife.date front matter holds a date or a boolean; v1 splits it into is*/…From."""
    if isinstance(value, bool):
        return value, None
    if value is None:
        return None, None
    return date.fromisoformat(str(value)) <= SNAPSHOT, str(value)


def v1_release(
    name: str,
    released: Any,
    eoas: Any,
    eol: Any,
    eoes: Any,
    latest: Any,
    latest_date: Any,
    product: str,
) -> dict[str, Any]:
    is_eoas, eoas_from = _flag_and_date(eoas)
    is_eol, eol_from = _flag_and_date(eol)
    is_eoes, eoes_from = _flag_and_date(eoes)
    return {
        "name": name,
        "codename": None,
        "label": name,
        "releaseDate": str(released) if released else None,
        "isLts": False,
        "ltsFrom": None,
        "isEoas": is_eoas,
        "eoasFrom": eoas_from,
        "isEol": bool(is_eol),
        "eolFrom": eol_from,
        "isEoes": is_eoes,
        "eoesFrom": eoes_from,
        "isMaintained": not is_eol,
        "latest": None
        if latest is None
        else {
            "name": str(latest),
            "date": str(latest_date) if latest_date else None,
            "link": None,
        },
        "custom": None,
    }


def v1_answer(product: str, label: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schema_version": "1.2.0",
        "generated_at": f"{SNAPSHOT.isoformat()}T08:52:34+00:00",
        "last_modified": f"{SNAPSHOT.isoformat()}T08:52:34+00:00",
        "result": {
            "name": product,
            "label": label,
            "aliases": [],
            "category": "server-app",
            "tags": [],
            "versionCommand": None,
            "identifiers": [],
            "labels": {"eoas": None, "discontinued": None, "eol": None, "eoes": None},
            "links": {
                "icon": None,
                "html": f"https://endoflife.date/{product}",
                "releasePolicy": None,
            },
            "releases": releases,
        },
    }


def kubernetes_fixtures(upstream: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((upstream / "kubernetes-lifecycle.yaml").read_text())
    k8s, eks, gke = [], [], []
    for m in data["minors"]:
        k, e, g = m["kubernetes"], m.get("eks") or {}, m.get("gke") or {}
        k8s.append(
            v1_release(
                m["minor"],
                k.get("releaseDate"),
                k.get("endOfMaintenance"),
                k.get("endOfLife"),
                None,
                k.get("latestPatch"),
                k.get("latestPatchDate"),
                "kubernetes",
            )
        )
        if e:
            eks.append(
                v1_release(
                    m["minor"],
                    e.get("releaseDate"),
                    None,
                    e.get("endOfStandardSupport"),
                    e.get("endOfExtendedSupport"),
                    e.get("latestPlatformVersion"),
                    None,
                    "amazon-eks",
                )
            )
        if g:
            gke.append(
                v1_release(
                    m["minor"],
                    g.get("releaseDate"),
                    g.get("endOfMaintenance"),
                    g.get("endOfStandardSupport"),
                    None,
                    g.get("latest"),
                    None,
                    "google-kubernetes-engine",
                )
            )
    return {
        "kubernetes": v1_answer("kubernetes", "Kubernetes", k8s),
        "amazon-eks": v1_answer("amazon-eks", "Amazon EKS", eks),
        "google-kubernetes-engine": v1_answer(
            "google-kubernetes-engine", "Google Kubernetes Engine", gke
        ),
    }


def component_fixtures(upstream: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((upstream / "component-lifecycles.yaml").read_text())
    out = {}
    for p in data["products"]:
        releases = [
            v1_release(
                str(r["releaseCycle"]),
                r.get("releaseDate"),
                r.get("eoas"),
                r.get("eol"),
                None,
                r.get("latest"),
                r.get("latestReleaseDate"),
                p["product"],
            )
            for r in p["releases"]
        ]
        out[p["product"]] = v1_answer(p["product"], p["title"], releases)
    return out


def write_json(path: Path, doc: Any, indent: int | None = 1) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


def kubent_rules(upstream: Path) -> dict[str, Any]:
    data = yaml.safe_load((upstream / "deprecated-apis" / "kubent-rules.yaml").read_text())
    keep = ("apiVersion", "kind", "removedIn", "replacementApi", "deprecatedSince", "ruleFile")
    return {
        "format": 1,
        "name": "kubent-rules",
        "date": "2025-01-11",
        "source": {
            "description": "doitintl/kube-no-trouble pkg/rules/rego/deprecated-*.rego",
            "urls": [
                "https://github.com/doitintl/kube-no-trouble/tree/"
                f"{data['source']['commit']}/pkg/rules/rego"
            ],
            "commit": data["source"]["commit"],
        },
        "note": data["note"],
        "rules": [{k: r.get(k) for k in keep} for r in data["rules"]],
    }


# -- core/compatibility.yaml ---------------------------------------------------------------

COMPAT_HEADER = """\
# Upstream Kubernetes support matrices of the kit's components (SPEC §6, source 2).
# Facts that do not change per kit release; `releaser compat` and `releaser report` read them.
# Generated from ../shared/upstream-data/compatibility-matrices.yaml by
# scripts/build_datasets.py; edit freely by hand afterwards (keep the format below).
#
# components:
#   <component name as in core/<section>/values.yaml>:
#     source: {url, commit, date}   where the matrix is published (url pinned to the commit)
#     match: appVersion | chartVersion   which version of a chart release selects a line
#                                   (appVersion from the Helm index; a leading v is ignored)
#     outside: fail | warn          verdict for a Kubernetes minor outside the matched line:
#                                   fail where upstream states support or requirements,
#                                   warn where upstream only lists the versions it tests
#     status: active | deprecated | retired   (default active; anything else warns)
#     statusNote: text              why, since when
#     notes: [text]                 upstream caveats, for people
#     lines:                        first match wins (exact versions before their line)
#       - {versions: SELECTOR, min: "1.33", max: "1.36", chart: text, note: text}
#         SELECTOR: "1.21"            every 1.21.* version (a release line)
#                   "1.10.0"          one exact version
#                   ">=0.10.0 <0.18.0"  comparators (>=, >, <=, <, =), all must hold
#         min/max: Kubernetes minors, inclusive; a missing bound is open-ended.
#         chart: the chart versions upstream names for the line (information only).
"""


def _q(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _flow(line: dict[str, Any]) -> str:
    parts = [f"{k}: {_q(v)}" for k, v in line.items() if v is not None]
    return "      - {" + ", ".join(parts) + "}"


def _strip_x(version: str) -> str:
    """`1.34.x`, `1.29.X`, `0.20.x` -> the release line `1.34`."""
    text = version.strip().lstrip("v")
    return text[:-2] if text.lower().endswith(".x") else text


def _lines_by_minor(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows per exact version -> one line per release line, exact lines for the outliers."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        version = e["appVersion"].lstrip("v")
        groups.setdefault(".".join(version.split("-")[0].split(".")[:2]), []).append(e)
    lines = []
    for minor, rows in groups.items():
        ranges = [(r["k8sMin"], r["k8sMax"]) for r in rows]
        common = max(ranges, key=ranges.count)  # ties: the newest row (listed first)
        charts = {".".join(str(r.get("chartVersion", "")).split(".")[:2]) for r in rows}
        chart = f"{charts.pop()}.x" if len(charts) == 1 and "" not in charts else None
        for r in rows:
            if (r["k8sMin"], r["k8sMax"]) != common:
                lines.append(
                    {
                        "versions": r["appVersion"].lstrip("v"),
                        "min": r["k8sMin"],
                        "max": r["k8sMax"],
                        "chart": r.get("chartVersion"),
                    }
                )
        lines.append({"versions": minor, "min": common[0], "max": common[1], "chart": chart})
    return lines


def _simple_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines = [
        {"versions": _strip_x(e["appVersion"]), "min": e["k8sMin"], "max": e["k8sMax"]}
        for e in entries
        if e.get("k8sMin") or e.get("k8sMax")
    ]
    exact = [line for line in lines if line["versions"].count(".") >= 2]
    return exact + [line for line in lines if line not in exact]


def _autoscaler_lines(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = [
        {
            "versions": "1.35",
            "min": "1.35",
            "max": "1.35",
            "note": "not yet in the README table at this commit; from its rule "
            "that the autoscaler minor matches the Kubernetes minor",
        }
    ]
    for e in entries:
        first = e["appVersion"].split(",")[0]
        chart = e.get("chartVersionMin")
        lines.append(
            {
                "versions": _strip_x(first),
                "min": e["k8sMin"],
                "max": e["k8sMax"],
                "chart": f">={chart.rstrip('+')}" if chart else None,
                "note": "0.6.X is listed for 1.6 too (with a footnote)"
                if "," in e["appVersion"]
                else None,
            }
        )
    return lines


AWS_LBC = [
    {"versions": ">=2.0.0 <=2.1.3", "min": "1.15", "max": "1.21"},
    {"versions": ">=2.2.0 <=2.3.1", "min": "1.16", "max": "1.21"},
    {
        "versions": ">=2.4.0 <2.5.0",
        "min": "1.19",
        "max": None,
        "note": "upstream: v2.4.0+ requires 1.19+",
    },
    {"versions": ">=2.5.0", "min": "1.22", "max": None, "note": "upstream: v2.5.0+ requires 1.22+"},
]
EXTERNAL_DNS = [
    {"versions": "<0.10.0", "min": None, "max": "1.21", "note": "upstream: <=0.9.x"},
    {
        "versions": ">=0.10.0 <0.18.0",
        "min": "1.19",
        "max": "1.32",
        "note": "upstream: >=0.10.x <=0.17.x",
    },
    {"versions": ">=0.18.0", "min": "1.21", "max": None, "note": "upstream: >=0.18.x"},
]


def _gh(repo: str, commit: str, path: str, anchor: str = "") -> str:
    return f"https://{repo}/blob/{commit}/{path}{anchor}"


def _source(c: dict[str, Any], path: str, anchor: str = "") -> dict[str, str]:
    src = c["source"]
    return {
        "url": _gh(src["repo"], src["commit"], path, anchor),
        "commit": src["commit"],
        "date": str(src["date"])[:10],
    }


def _components(upstream: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((upstream / "compatibility-matrices.yaml").read_text())
    by = {c["component"]: c for c in data["components"]}
    cm, ing, ca = by["cert-manager"], by["ingress-nginx"], by["cluster-autoscaler"]
    eso, argo = by["external-secrets"], by["argo-cd"]
    lbc, dns = by["aws-load-balancer-controller"], by["external-dns"]
    newest_argo = argo["entries"][0]
    return {
        "cert-manager": {
            "source": _source(cm, "content/docs/releases/README.md"),
            "match": "appVersion",
            "outside": "fail",
            "notes": cm["notes"]
            + ["1.22 (upcoming, ~Nov 2026): Kubernetes support not yet published"],
            "lines": _simple_lines(cm["entries"]),
        },
        "ingress-nginx": {
            "source": _source(ing, "README.md", "#supported-versions-table"),
            "match": "appVersion",
            "outside": "fail",
            "status": "retired",
            "statusNote": 'best-effort maintenance ended in March 2026 (README "Ingress NGINX '
            'Retirement", kubernetes.io blog 2025-11-11); plan a replacement',
            "notes": [
                "Rows per controller version, grouped here by release line; "
                "rows dropped from the README over time were recovered from its history."
            ],
            "lines": _lines_by_minor(ing["entries"]),
        },
        "cluster-autoscaler": {
            "source": _source(ca, "cluster-autoscaler/README.md", "#releases"),
            "match": "appVersion",
            "outside": "fail",
            "notes": [
                "Upstream recommends the autoscaler minor that matches the control "
                "plane's minor; `chart` gives the first chart version of each line."
            ],
            "lines": _autoscaler_lines(ca["entries"]),
        },
        "aws-load-balancer-controller": {
            "source": _source(lbc, "docs/deploy/installation.md", "#supported-kubernetes-versions"),
            "match": "appVersion",
            "outside": "fail",
            "lines": AWS_LBC,
        },
        "external-secrets": {
            "source": _source(eso, "docs/introduction/stability-support.md"),
            "match": "appVersion",
            "outside": "warn",
            "notes": [
                "Kubernetes versions covered by the ESO test suites; upstream supports "
                "only the newest minor release."
            ],
            "lines": _simple_lines(eso["entries"]),
        },
        "argo-cd": {
            "source": {
                "url": _gh(
                    "github.com/argoproj/argo-cd",
                    newest_argo["commit"],
                    "docs/operator-manual/tested-kubernetes-versions.md",
                ),
                "commit": newest_argo["commit"],
                "date": str(newest_argo["date"])[:10],
            },
            "match": "appVersion",
            "outside": "warn",
            "notes": [
                "Tested versions, from docs/operator-manual/tested-kubernetes-versions.md "
                "on each release-X.Y branch (empty on master); older rows come from "
                "older branches (see each line's note)."
            ],
            "lines": [
                {
                    "versions": e["appVersion"],
                    "min": e["k8sMin"],
                    "max": e["k8sMax"],
                    "note": f"{e['fromBranch']} @ {e['commit'][:12]}",
                }
                for e in argo["entries"]
            ],
        },
        "external-dns": {
            "source": _source(dns, "README.md", "#kubernetes-version-compatibility"),
            "match": "appVersion",
            "outside": "fail",
            "notes": dns["notes"],
            "lines": EXTERNAL_DNS,
        },
        "promtail": {
            "status": "deprecated",
            "statusNote": "the chart is marked deprecated in the grafana Helm repository "
            "(last release 6.17.1, 2025-11-01)",
        },
    }


def write_compatibility(upstream: Path, path: Path) -> None:
    out = [COMPAT_HEADER, "components:"]
    for name, c in _components(upstream).items():
        out.append(f"  {name}:")
        if "source" in c:
            out.append("    source:")
            out.extend(
                f"      {k}: {v}" if k == "url" else f"      {k}: {_q(v)}"
                for k, v in c["source"].items()
            )
        for key in ("match", "outside", "status"):
            if key in c:
                out.append(f"    {key}: {c[key]}")
        if "statusNote" in c:
            out.append(f"    statusNote: {_q(c['statusNote'])}")
        if c.get("notes"):
            out.append("    notes:")
            out.extend(f"      - {_q(n)}" for n in c["notes"])
        if c.get("lines"):
            out.append("    lines:")
            out.extend(_flow(line) for line in c["lines"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def main(upstream: Path) -> None:
    products = {**kubernetes_fixtures(upstream), **component_fixtures(upstream)}
    for name, answer in products.items():
        write_json(FIXTURES / "products" / f"{name}.json", answer, indent=None)
    pluto_path = upstream / "deprecated-apis" / "pluto-versions.yaml"
    shutil.copyfile(pluto_path, FIXTURES / "versions.yaml")

    def rel(name: str) -> list[dict[str, Any]]:
        body = (FIXTURES / "products" / f"{name}.json").read_bytes()
        return dr.releases_of(body, name)

    eol_source = {
        "description": "endoflife.date products/{kubernetes,amazon-eks,google-kubernetes-engine}"
        ".md",
        "urls": [
            f"{EOL_REPO}/{EOL_COMMIT}/products/{p}.md"
            for p in ("kubernetes", "amazon-eks", "google-kubernetes-engine")
        ],
        "commit": EOL_COMMIT,
    }
    lifecycle = dr.lifecycle_document(
        rel("kubernetes"),
        rel("amazon-eks"),
        rel("google-kubernetes-engine"),
        snapshot=SNAPSHOT,
        source=eol_source,
    )
    component_names = [p for p in products if p in dr.COMPONENT_PRODUCTS]
    comp_source = {
        **eol_source,
        "description": "endoflife.date products/<product>.md",
        "urls": [f"{EOL_REPO}/{EOL_COMMIT}/products/{p}.md" for p in component_names],
    }
    components = dr.component_lifecycles_document(
        {p: rel(p) for p in component_names},
        dr.COMPONENT_PRODUCTS,
        snapshot=SNAPSHOT,
        source=comp_source,
    )
    kubent = kubent_rules(upstream)
    pluto_commit = "46b3b711d10f"
    dep_source = {
        "description": "FairwindsOps/pluto versions.yaml merged with kube-no-trouble rules",
        "urls": [
            f"https://github.com/FairwindsOps/pluto/blob/{pluto_commit}/versions.yaml",
            kubent["source"]["urls"][0],
        ],
        "commit": f"pluto {pluto_commit}, kube-no-trouble {kubent['source']['commit'][:12]}",
    }
    pluto = dr.pluto_entries(pluto_path.read_bytes(), str(pluto_path))
    deprecations = dr.deprecations_document(
        pluto, kubent["rules"], snapshot=SNAPSHOT, source=dep_source
    )
    write_json(DATA / "kubernetes-lifecycle.json", lifecycle)
    write_json(DATA / "component-lifecycles.json", components)
    write_json(DATA / "deprecated-apis.json", deprecations)
    write_json(DATA / "kubent-rules.json", kubent)
    write_compatibility(upstream, ROOT / "core" / "compatibility.yaml")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "upstream-data")

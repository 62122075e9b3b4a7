"""The real kit in core/: its files, its pins against the real upstream indexes, and its four
section charts rendered by a real helm binary (`helm template`, local charts, no network)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from releaser.adapters.local_helm_repo import shipped_repositories
from tests.helm_support import helm_or_skip, run_helm
from tests.upstream import HELM_REPOS as INDEXES

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "core"
SECTIONS = ("base", "aws", "gcp", "addons")
ALWAYS_ON = ("base", "aws", "gcp")
NAME_RE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
GLOBAL_REF = re.compile(r"\{\{\s*\.Values\.global\.(\w+)\s*\}\}")

# Helm repository URL -> index file in helm-repos/: the mapping the package ships.
INDEX_FILES = shipped_repositories()


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def section_values(section: str) -> dict[str, Any]:
    values: dict[str, Any] = load(CORE / section / "values.yaml")
    return values


def all_components() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for section in SECTIONS:
        for name, component in section_values(section)["components"].items():
            yield section, name, component


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of values: maps merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def fill_globals(value: Any, global_values: dict[str, Any]) -> Any:
    """What `tpl` does to the kit's defaults: replaces {{ .Values.global.X }} references."""
    if isinstance(value, dict):
        return {k: fill_globals(v, global_values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill_globals(v, global_values) for v in value]
    if isinstance(value, str):
        return GLOBAL_REF.sub(lambda m: str(global_values[m.group(1)]), value)
    return value


def expected_values(values: dict[str, Any], name: str) -> Any:
    """The valuesObject a component should get, computed without helm."""
    own = values["components"][name].get("values") or {}
    merged = deep_merge({"global": values["global"]}, own)
    return fill_globals(merged, values["global"])


# --- the kit files ------------------------------------------------------------------------


def test_kit_metadata_on_main_has_no_version_and_the_reviewed_range() -> None:
    kit = load(CORE / "kit.yaml")
    assert kit["name"] == "core-kit"
    assert "version" not in kit
    assert kit["kubernetes"] == {"min": "1.35", "max": "1.36"}
    assert kit["providers"] == ["aws", "gcp"]


@pytest.mark.parametrize("section", SECTIONS)
def test_section_chart_metadata(section: str) -> None:
    chart = load(CORE / section / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["type"] == "application"
    assert chart["name"] == f"core-{section}"
    assert chart["version"] == "0.1.0"


def test_component_names_are_valid_and_unique_across_sections() -> None:
    seen: dict[str, str] = {}
    for section, name, component in all_components():
        assert NAME_RE.fullmatch(name), name
        assert name not in seen, f"{name} in both {seen.get(name)} and {section}"
        seen[name] = section
        assert set(component) >= {"repoURL", "chart", "version", "namespace", "values"}, name
        assert NAME_RE.fullmatch(component["namespace"]), name
    assert len(seen) == 16


def test_addons_are_off_by_default() -> None:
    assert section_values("addons")["appEnabled"] == []
    for section in ALWAYS_ON:
        assert "appEnabled" not in section_values(section)


def test_the_template_helpers_are_identical_in_every_section() -> None:
    for name in ("_helpers.tpl", "applications.yaml"):
        copies = {(CORE / s / "templates" / name).read_text(encoding="utf-8") for s in SECTIONS}
        assert len(copies) == 1, f"templates/{name} differs between sections"


# --- the pins against the real upstream indexes ------------------------------------------


def index_entry(index_file: Path, chart: str, version: str) -> dict[str, Any] | None:
    """The index entry of chart@version, found by a text scan so the 5 MB indexes stay cheap:
    slice out the chart's list under `entries:`, then parse only the matching item."""
    text = index_file.read_text(encoding="utf-8")
    start = re.search(rf"^  {re.escape(chart)}:\n", text, re.MULTILINE)
    if start is None:
        return None
    end = re.compile(r"^  [^\s-][^\n]*:\n|^\S", re.MULTILINE).search(text, start.end())
    block = text[start.end() : end.start() if end else len(text)]
    wanted = re.compile(rf"^    version: ['\"]?{re.escape(version)}['\"]?$", re.MULTILINE)
    for item in re.split(r"^  - ", block, flags=re.MULTILINE)[1:]:
        if not wanted.search(item):
            continue
        entry = yaml.safe_load("    " + item)
        if isinstance(entry, dict) and str(entry.get("version")) == version:
            return entry
    return None


def admits_vendor_builds(constraint: str | None, minors: tuple[str, ...]) -> bool:
    """True when a kubeVersion constraint admits `v<minor>.2-eks-...` builds. Only the
    `>= X.Y.Z-0` form occurs in our pins; anything else fails so that it gets looked at."""
    if constraint is None:
        return True
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)\.(\d+)-0", constraint.strip())
    assert match, f"unexpected kubeVersion form {constraint!r}: extend this check"
    low = tuple(int(x) for x in match.groups())
    return all((1, int(m.split(".")[1]), 2) >= low for m in minors)


def test_pinned_versions_exist_in_index() -> None:
    kube = load(CORE / "kit.yaml")["kubernetes"]
    minors = (kube["min"], kube["max"])
    for _, name, c in all_components():
        index_file = INDEXES / INDEX_FILES[c["repoURL"]]
        entry = index_entry(index_file, c["chart"], str(c["version"]))
        assert entry is not None, f"{name}: {c['chart']} {c['version']} not in {index_file.name}"
        assert entry["name"] == c["chart"]
        assert "-" not in str(c["version"]), f"{name}: pre-release pinned"
        assert not entry.get("deprecated"), f"{name}: {c['version']} is marked deprecated"
        assert admits_vendor_builds(entry.get("kubeVersion"), minors), name


def test_index_scan_finds_real_entries_and_rejects_missing_ones() -> None:
    promtail = index_entry(INDEXES / "grafana.index.yaml", "promtail", "6.17.1")
    assert promtail is not None and promtail["deprecated"] is True
    assert index_entry(INDEXES / "grafana.index.yaml", "promtail", "99.0.0") is None
    assert index_entry(INDEXES / "grafana.index.yaml", "no-such-chart", "1.0.0") is None
    # the last chart of a file and a `v`-prefixed version
    cm = index_entry(INDEXES / "jetstack-cert-manager.index.yaml", "cert-manager", "v1.21.0")
    assert cm is not None and cm["kubeVersion"] == ">= 1.22.0-0"


def test_index_scan_agrees_with_a_full_parse() -> None:
    """Every entry of a multi-chart index (cluster-autoscaler is followed by the similarly
    named cluster-autoscaler-chart) is found exactly as a full YAML parse sees it."""
    index_file = INDEXES / "autoscaler.index.yaml"
    parsed = yaml.load(index_file.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    checked = 0
    for chart, entries in parsed["entries"].items():
        for entry in entries:
            assert index_entry(index_file, chart, str(entry["version"])) == entry
            checked += 1
    assert checked == 132
    only_in_other = {str(e["version"]) for e in parsed["entries"]["cluster-autoscaler-chart"]}
    only_in_other -= {str(e["version"]) for e in parsed["entries"]["cluster-autoscaler"]}
    assert only_in_other
    for version in only_in_other:
        assert index_entry(index_file, "cluster-autoscaler", version) is None


def test_kube_version_check_handles_the_prerelease_rule() -> None:
    assert admits_vendor_builds(">=1.25.0-0", ("1.35", "1.36"))
    assert admits_vendor_builds(None, ("1.35",))
    assert not admits_vendor_builds(">=1.37.0-0", ("1.35", "1.36"))
    with pytest.raises(AssertionError):
        admits_vendor_builds(">=1.25.0", ("1.35",))  # would reject v1.35.2-eks-...


# --- rendering with real helm --------------------------------------------------------------


@pytest.fixture(scope="module")
def helm() -> str:
    return helm_or_skip()


def template(
    helm: str, tmp_path: Path, section: str, override: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """`helm template` of one section chart, with `override` as a customer's values file."""
    args = ["template", f"core-{section}", str(CORE / section)]
    if override is not None:
        override_file = tmp_path / f"{section}-override.yaml"
        override_file.write_text(yaml.safe_dump(override), encoding="utf-8")
        args += ["-f", str(override_file)]
    result = run_helm(helm, args, tmp_path / "helm-home")
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d is not None]


def by_name(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs}


@pytest.mark.parametrize("section", ALWAYS_ON)
def test_every_component_becomes_one_application(helm: str, tmp_path: Path, section: str) -> None:
    values = section_values(section)
    docs = template(helm, tmp_path, section)
    assert [d["metadata"]["name"] for d in docs] == sorted(values["components"])
    for doc in docs:
        name = doc["metadata"]["name"]
        c = values["components"][name]
        assert (doc["apiVersion"], doc["kind"]) == ("argoproj.io/v1alpha1", "Application")
        assert doc["metadata"]["namespace"] == "argocd"
        assert doc["metadata"]["labels"]["core-kit/section"] == section
        spec = doc["spec"]
        assert spec["project"] == "default"
        source = spec["source"]
        assert source["repoURL"] == c["repoURL"]
        assert source["chart"] == c["chart"]
        assert source["targetRevision"] == str(c["version"])
        assert source["helm"]["valuesObject"] == expected_values(values, name)
        assert spec["destination"] == {
            "server": "https://kubernetes.default.svc",
            "namespace": c["namespace"],
        }
        assert {"CreateNamespace=true", "ServerSideApply=true"} <= set(
            spec["syncPolicy"]["syncOptions"]
        )


def test_addons_render_nothing_by_default(helm: str, tmp_path: Path) -> None:
    assert template(helm, tmp_path, "addons") == []


def test_addons_render_only_the_enabled_ones(helm: str, tmp_path: Path) -> None:
    values = section_values("addons")
    docs = template(
        helm, tmp_path, "addons", {"appEnabled": ["victoria-metrics-single", "external-dns"]}
    )
    assert [d["metadata"]["name"] for d in docs] == ["external-dns", "victoria-metrics-single"]
    vm = by_name(docs)["victoria-metrics-single"]["spec"]
    assert (
        vm["source"]["targetRevision"] == values["components"]["victoria-metrics-single"]["version"]
    )
    assert vm["source"]["helm"]["valuesObject"] == expected_values(
        values, "victoria-metrics-single"
    )


def test_enabling_an_unknown_addon_fails_with_its_name(helm: str, tmp_path: Path) -> None:
    override = tmp_path / "typo.yaml"
    override.write_text("appEnabled: [external-dnss]\n", encoding="utf-8")
    result = run_helm(
        helm, ["template", "x", str(CORE / "addons"), "-f", str(override)], tmp_path / "h"
    )
    assert result.returncode != 0
    assert 'appEnabled names "external-dnss"' in result.stderr
    assert "external-dns, external-secrets" in result.stderr  # lists what exists


def test_the_customer_domain_reaches_the_components(helm: str, tmp_path: Path) -> None:
    apps = by_name(template(helm, tmp_path, "base", {"global": {"domain": "kuvaq.example.com"}}))
    kps = apps["kube-prometheus-stack"]["spec"]["source"]["helm"]["valuesObject"]
    assert kps["grafana"]["ingress"]["hosts"] == ["grafana.kuvaq.example.com"]
    assert kps["global"]["domain"] == "kuvaq.example.com"
    cm = apps["cert-manager"]["spec"]["source"]["helm"]["valuesObject"]
    assert cm["global"] == {
        "domain": "kuvaq.example.com",
        "clusterName": "example-cluster",
        "githubOrg": "example",
    }
    # a component's own global key wins over the kit's, and is itself templated
    argo = apps["argo-cd"]["spec"]["source"]["helm"]["valuesObject"]
    assert argo["global"]["domain"] == "argocd.kuvaq.example.com"


def test_the_spec_example_customer_addons_override(helm: str, tmp_path: Path) -> None:
    """The customer Application of SPEC §4, fed to the addons chart as its values."""
    override = {
        "global": {"domain": "kuvaq.example.com"},
        "appEnabled": ["external-dns"],
        "components": {"external-dns": {"values": {"txtOwnerId": "kuvaq"}}},
    }
    docs = template(helm, tmp_path, "addons", override)
    assert len(docs) == 1
    dns = docs[0]["spec"]["source"]["helm"]["valuesObject"]
    assert dns["txtOwnerId"] == "kuvaq"
    assert dns["domainFilters"] == ["kuvaq.example.com"]
    assert dns["policy"] == "upsert-only"  # untouched default kept


def test_a_nested_override_merges_with_the_defaults(helm: str, tmp_path: Path) -> None:
    values = section_values("base")
    override = {
        "components": {
            "kube-prometheus-stack": {
                "values": {
                    "grafana": {"ingress": {"ingressClassName": "traefik"}},
                    "prometheus": {"prometheusSpec": {"retention": "30d"}},
                }
            }
        }
    }
    apps = by_name(template(helm, tmp_path, "base", override))
    got = apps["kube-prometheus-stack"]["spec"]["source"]["helm"]["valuesObject"]
    want = expected_values(values, "kube-prometheus-stack")
    want["grafana"]["ingress"]["ingressClassName"] = "traefik"
    want["prometheus"]["prometheusSpec"]["retention"] = "30d"
    assert got == want
    assert got["grafana"]["ingress"]["hosts"] == ["grafana.example.com"]
    assert got["prometheus"]["prometheusSpec"]["serviceMonitorSelectorNilUsesHelmValues"] is False
    # other components are not touched by the override
    assert apps["loki"]["spec"]["source"]["helm"]["valuesObject"] == expected_values(values, "loki")


def test_argocd_placement_is_configurable(helm: str, tmp_path: Path) -> None:
    override = {
        "argocd": {
            "namespace": "gitops",
            "project": "platform",
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        }
    }
    docs = template(helm, tmp_path, "gcp", override)
    assert len(docs) == 1
    assert docs[0]["metadata"]["namespace"] == "gitops"
    assert docs[0]["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    assert docs[0]["spec"]["project"] == "platform"
    assert docs[0]["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}


def test_a_component_missing_its_version_fails_clearly(helm: str, tmp_path: Path) -> None:
    override = tmp_path / "broken.yaml"
    override.write_text(
        "components:\n  prometheus-stackdriver-exporter:\n    version: null\n", encoding="utf-8"
    )
    result = run_helm(
        helm, ["template", "x", str(CORE / "gcp"), "-f", str(override)], tmp_path / "h"
    )
    assert result.returncode != 0
    assert 'component prometheus-stackdriver-exporter: "version" is required' in result.stderr


@pytest.mark.parametrize("section", SECTIONS)
def test_helm_lint_passes(helm: str, tmp_path: Path, section: str) -> None:
    result = run_helm(helm, ["lint", str(CORE / section)], tmp_path / "helm-home")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout

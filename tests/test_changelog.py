"""The changelog entry: the pure tree, the text edits of CHANGELOG.md / kit.yaml / values.yaml,
the packaged template (golden files) and its override by the kit repository."""

from __future__ import annotations

import copy
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from releaser.adapters.kit_files import WorktreeFiles
from releaser.adapters.yaml import parse_document
from releaser.app.cut import CutRequest, cut
from releaser.app.hotfix import HotfixRequest, hotfix
from releaser.app.kit import load_kit
from releaser.domain.changelog import EntryInput, build_entry
from releaser.domain.charts import ChartChange
from releaser.domain.diff import diff_kits
from releaser.domain.errors import InvalidFileError, UsageError
from releaser.domain.kit import Component, Kit, KubernetesRange, Section
from releaser.domain.release_files import (
    entry_text,
    has_entry,
    insert_entry,
    set_component_version,
    set_kit_version,
)
from releaser.domain.release_rules import (
    Fix,
    check_later_than_all,
    cut_version,
    downgrades,
    trailer,
    upgrade_path,
    with_trailers,
)
from releaser.domain.versions import KitVersion
from releaser.render.changelog import ChangelogTemplate
from tests.kitrepo import commit_all, init_repo, write_kit
from tests.release_helpers import ROOT, IndexChanges, RuleGate, deps_for, show

GOLDEN = Path(__file__).parent / "golden" / "changelog"
UPDATE = os.environ.get("RELEASER_UPDATE_GOLDEN") == "1"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"missing golden file {path}; run with RELEASER_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- a realistic kit


def component(repo: str, chart: str, version: str, ns: str, **values: Any) -> dict[str, Any]:
    return {"repoURL": repo, "chart": chart, "version": version, "namespace": ns, "values": values}


KIT_2024_2: dict[str, dict[str, dict[str, Any]]] = {
    "base": {
        "cert-manager": component(
            "https://charts.jetstack.io",
            "cert-manager",
            "v1.20.3",
            "cert-manager",
            crds={"enabled": True},
            replicaCount=2,
        ),
        "ingress-nginx": component(
            "https://kubernetes.github.io/ingress-nginx",
            "ingress-nginx",
            "4.14.3",
            "ingress-nginx",
            controller={"replicaCount": 2, "metrics": {"enabled": True}},
        ),
        "kube-prometheus-stack": component(
            "https://prometheus-community.github.io/helm-charts",
            "kube-prometheus-stack",
            "87.21.0",
            "monitoring",
            prometheus={"prometheusSpec": {"retention": "15d"}},
        ),
    },
    "aws": {
        "aws-ebs-csi-driver": component(
            "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
            "aws-ebs-csi-driver",
            "2.62.0",
            "kube-system",
        ),
        "cluster-autoscaler": component(
            "https://kubernetes.github.io/autoscaler",
            "cluster-autoscaler",
            "9.50.0",
            "kube-system",
        ),
    },
    "gcp": {},
    "addons": {
        "external-dns": component(
            "https://kubernetes-sigs.github.io/external-dns/",
            "external-dns",
            "1.20.0",
            "external-dns",
            txtOwnerId="kit",
        ),
        "argo-cd": component(
            "https://argoproj.github.io/argo-helm",
            "argo-cd",
            "9.7.1",
            "argocd",
            configs={"params": {"server.insecure": True}},
        ),
        "sealed-secrets": component(
            "https://bitnami-labs.github.io/sealed-secrets",
            "sealed-secrets",
            "2.18.5",
            "kube-system",
        ),
    },
}


def kit_2024_3() -> dict[str, dict[str, dict[str, Any]]]:
    kit = copy.deepcopy(KIT_2024_2)
    base, addons = kit["base"], kit["addons"]
    base["cert-manager"]["version"] = "v1.21.0"
    base["cert-manager"]["values"]["crds"]["keep"] = True
    base["ingress-nginx"]["version"] = "4.15.1"
    base["ingress-nginx"]["values"]["controller"]["allowSnippetAnnotations"] = False
    base["kube-prometheus-stack"]["version"] = "88.3.0"
    kit["aws"]["aws-ebs-csi-driver"]["version"] = "2.63.1"
    addons["external-dns"]["version"] = "1.21.1"
    addons["argo-cd"]["version"] = "10.1.1"
    del addons["sealed-secrets"]
    addons["external-secrets"] = component(
        "https://charts.external-secrets.io",
        "external-secrets",
        "2.9.0",
        "external-secrets",
        installCRDs=True,
    )
    return kit


WARNINGS = [
    "ingress-nginx 4.15.1 is retired upstream (best-effort maintenance ended March 2026): "
    "plan the move to a Gateway API controller",
    "Kubernetes 1.35: upstream maintenance ends 2026-12-28",
]


@pytest.fixture
def realistic(tmp_path: Path) -> Path:
    kit = init_repo(tmp_path / "kit")
    write_kit(kit, components=KIT_2024_2, kubernetes=("1.34", "1.35"))
    commit_all(kit, "kit as of 2024.2")
    cut(CutRequest("2024.2"), deps_for(kit, day=date(2024, 6, 3)))
    write_kit(kit, components=kit_2024_3(), kubernetes=("1.35", "1.36"))
    commit_all(kit, "kit for 2024.3")
    return kit


def test_cut_2024_3_golden(realistic: Path, upstream: Path) -> None:
    deps = deps_for(realistic, RuleGate(warns=WARNINGS), IndexChanges(upstream / "helm-repos"))
    result = cut(CutRequest("2024.3"), deps)
    assert_golden("cut-2024.3.md", result.entry)
    assert show(realistic, "main", "CHANGELOG.md").startswith("# Changelog\n\n" + result.entry)


def test_hotfix_golden(realistic: Path, upstream: Path) -> None:
    deps = deps_for(realistic, changes=IndexChanges(upstream / "helm-repos"), day=date(2024, 9, 30))
    cut(CutRequest("2024.3"), deps)
    request = HotfixRequest(
        "2024.3", ("cert-manager=v1.21.1",), note="CVE-2024-12345 in the webhook"
    )
    assert_golden("hotfix-2024.3.1.md", hotfix(request, deps).entry)


def test_first_release_golden(tmp_path: Path) -> None:
    kit = init_repo(tmp_path / "kit")
    write_kit(kit, components=KIT_2024_2, kubernetes=("1.34", "1.35"))
    commit_all(kit, "first kit")
    assert_golden("cut-first-2024.1.md", cut(CutRequest("2024.1"), deps_for(kit)).entry)


def test_cut_on_a_copy_of_this_repositorys_kit(tmp_path: Path) -> None:
    core = ROOT / "core"
    if not (core / "kit.yaml").is_file():
        pytest.skip(
            "core/kit.yaml is not in this checkout yet (the real kit lands on another branch)"
        )
    kit = init_repo(tmp_path / "kit")
    shutil.copytree(core, kit / "core")
    commit_all(kit, "copy of the repository's kit (its own changelog is not copied)")
    version = "2024.3"
    result = cut(CutRequest(version), deps_for(kit))
    kit_yaml = show(kit, f"release/{version}", "core/kit.yaml")
    assert f'version: "{version}"' in kit_yaml
    assert result.entry.startswith(f"## {version} — 2024-09-12\n")
    for item in load_kit(WorktreeFiles(kit), parse_document):
        assert f"- {item.name} {item.version} (added)" in result.entry


# --------------------------------------------------------------------------- the pure tree


def kit_of(*components: Component, kubernetes: tuple[str, str] = ("1.30", "1.31")) -> Kit:
    sections = tuple(
        Section(name, tuple(c for c in components if c.section == name))
        for name in ("base", "aws", "gcp", "addons")
    )
    return Kit("k", None, KubernetesRange(*kubernetes), ("aws", "gcp"), sections)


def comp(name: str, version: str, section: str = "base", **values: Any) -> Component:
    return Component(name, section, "https://example.org", name, version, name, values)


def test_entry_groups_by_section_and_calls_out_what_needs_attention() -> None:
    old = kit_of(comp("a", "1.2.0", x=1), comp("b", "2.0.0"), comp("c", "1.0.0", "addons"))
    new = kit_of(
        comp("a", "1.3.0", x=2),
        comp("b", "3.0.0"),
        comp("d", "0.1.0", "aws"),
        kubernetes=("1.31", "1.32"),
    )
    data = EntryInput(
        "2024.3", date(2024, 9, 12), previous="2024.2", warnings=["w1"], incompatible=["f1"]
    )
    entry = build_entry(diff_kits(old, new), new, data)
    assert [s.name for s in entry.sections] == ["base", "aws", "addons"]
    assert [u.change for u in entry.sections[0].upgraded] == ["minor", "major"]
    assert entry.kubernetes_was == KubernetesRange("1.30", "1.31")
    assert entry.attention == (
        "released with --allow-incompatible despite: f1",
        "Kubernetes 1.30 is no longer supported (range 1.30–1.31 → 1.31–1.32): upgrade clusters to 1.31 or later before rolling out",
        "b 2.0.0 → 3.0.0 is a major upgrade: read the upstream notes before rolling out",
        "c 1.0.0 is removed from the kit",
        "default values of a changed (x): check customers that override them",
        "w1",
    )


def test_a_downgrade_is_flagged_in_the_entry() -> None:
    old, new = kit_of(comp("a", "1.3.0")), kit_of(comp("a", "1.2.9"))
    entry = build_entry(
        diff_kits(old, new), new, EntryInput("2024.3", date(2024, 1, 1), previous="2024.2")
    )
    assert entry.sections[0].upgraded[0].direction == "down"
    assert "a 1.3.0 → 1.2.9 goes down a version" in entry.attention
    assert "(minor, downgrade)" in ChangelogTemplate().render(entry)


def test_an_entry_without_changes_says_so() -> None:
    kit = kit_of(comp("a", "1.0.0"))
    entry = build_entry(
        diff_kits(kit, kit), kit, EntryInput("2024.3", date(2024, 1, 1), previous="2024.2")
    )
    text = ChangelogTemplate().render(entry)
    assert "Kubernetes 1.30–1.31 (unchanged). Changes since 2024.2." in text
    assert "No component changes." in text and "Needs attention" not in text


def test_a_broken_override_template_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / ".releaser").mkdir()
    (tmp_path / ".releaser/changelog.md.j2").write_text("## {{ entry.verison }}\n")
    kit = kit_of(comp("a", "1.0.0"))
    entry = build_entry(diff_kits(kit, kit), kit, EntryInput("2024.3", date(2024, 1, 1)))
    with pytest.raises(InvalidFileError, match=r"changelog\.md\.j2.*verison"):
        ChangelogTemplate(tmp_path).render(entry)


def test_an_override_template_cannot_print_upstream_text_raw(tmp_path: Path) -> None:
    """A kit's own template writes `<{{ link }}>` naively; the values are still escaped."""
    (tmp_path / ".releaser").mkdir()
    (tmp_path / ".releaser/changelog.md.j2").write_text(
        "{% for s in entry.sections %}{% for u in s.upgraded %}{% for c in u.changes %}"
        "- {{ c.description }} <{{ c.links[0] }}>\n{% endfor %}{% endfor %}{% endfor %}"
    )
    old, new = kit_of(comp("a", "1.0.0")), kit_of(comp("a", "1.1.0"))
    hostile = ChartChange("", "# <b>x</b>\n| y", ("javascript:alert(1)",))
    data = EntryInput("2024.3", date(2024, 1, 1), previous="2024.2", changes={"a": [hostile]})
    text = ChangelogTemplate(tmp_path).render(build_entry(diff_kits(old, new), new, data))
    assert text == "- \\# &lt;b&gt;x&lt;/b&gt; \\| y <javascript\\:alert(1)>\n"


# --------------------------------------------------------------------------- text edits

LOG = "# Changelog\n\nIntro.\n\n## Unreleased\n\n- wip\n\n## 2024.2 — d\n\n- b\n\n## 2024.1 — d\n\n- a\n"


@pytest.mark.parametrize(
    ("version", "before"),
    [("2024.3", "## 2024.2 "), ("2024.2.1", "## 2024.2 "), ("2024.1.1", "## 2024.1 ")],
)
def test_insert_entry_keeps_the_file_newest_first(version: str, before: str) -> None:
    out = insert_entry(LOG, f"## {version} — x\n\n- new\n", KitVersion.parse(version))
    assert out.index(f"## {version} ") < out.index(before)
    assert out.index("## Unreleased") < out.index(f"## {version} ")
    assert f"- new\n\n{before}" in out
    assert entry_text(out, version) == f"## {version} — x\n\n- new\n"


def test_insert_entry_into_an_empty_or_header_only_changelog() -> None:
    assert insert_entry("", "## 2024.1 — d\n", KitVersion(2024, 1)) == "## 2024.1 — d\n"
    assert (
        insert_entry("# Changelog\n", "## 2024.1 — d\n", KitVersion(2024, 1))
        == "# Changelog\n\n## 2024.1 — d\n"
    )
    older = insert_entry("# Changelog\n\n## 2024.2 — d\n", "## 2024.1 — d\n", KitVersion(2024, 1))
    assert older == "# Changelog\n\n## 2024.2 — d\n\n## 2024.1 — d\n"


def test_has_entry_matches_whole_versions_only() -> None:
    text = "## 2024.1.1 — d\n"
    assert has_entry(text, "2024.1.1") and not has_entry(text, "2024.1")
    assert entry_text(text, "2024.1") is None


def test_set_kit_version_replaces_or_inserts_and_keeps_comments() -> None:
    text = "# kit\nname: k  # the name\nkubernetes:\n  min: '1.30'\n  max: '1.31'\n"
    out = set_kit_version(text, parse_document(text, "core/kit.yaml"), "2024.3")
    assert (
        out
        == "# kit\nname: k  # the name\nversion: \"2024.3\"\nkubernetes:\n  min: '1.30'\n  max: '1.31'\n"
    )
    again = set_kit_version(out, parse_document(out, "core/kit.yaml"), "2024.3.1")
    assert again == out.replace('"2024.3"', '"2024.3.1"')
    commented = "name: k\nversion: 2024.3   # set by releaser\n"
    assert set_kit_version(commented, parse_document(commented, "k"), "2024.10") == (
        'name: k\nversion: "2024.10"   # set by releaser\n'
    )


def test_set_component_version_edits_only_that_value() -> None:
    text = (
        "components:\n"
        "  a:\n"
        "    chart: a\n"
        '    version: "1.2.3"   # pinned: see #42\n'
        "  b: {chart: b, version: 1.2.3}\n"
    )
    doc = parse_document(text, "values.yaml")
    out = set_component_version(text, doc, "a", "1.2.4")
    assert out == text.replace('"1.2.3"', '"1.2.4"')
    flow = set_component_version(text, doc, "b", "2.0.0")
    assert flow == text.replace("version: 1.2.3}", "version: 2.0.0}")


# --------------------------------------------------------------------------- rules


def test_trailers_round_trip() -> None:
    message = with_trailers("Release 2024.3", "Cut from main.", {"Releaser-Cut": "2024.3"})
    assert message == "Release 2024.3\n\nCut from main.\n\nReleaser-Cut: 2024.3\n"
    assert trailer(message, "Releaser-Cut") == "2024.3"
    assert trailer("Releaser-Cut: 2024.3 in the subject only\n\nbody", "Releaser-Cut") is None


def test_version_rules() -> None:
    with pytest.raises(UsageError, match="hotfix version"):
        cut_version("2024.3.1")
    with pytest.raises(UsageError, match=r"the next release is 2025\.2") as err:
        check_later_than_all(KitVersion(2024, 9), [KitVersion(2025, 1), KitVersion(2024, 2)])
    assert "2025.1 exists" in str(err.value)
    check_later_than_all(KitVersion(2025, 2), [KitVersion(2025, 1)])


def test_downgrades_ignore_versions_that_cannot_be_ordered() -> None:
    old = kit_of(comp("a", "2.0.0"), comp("b", "2.0.0"), comp("c", "1.0"))
    new = kit_of(comp("a", "1.9.9"), comp("b", "2.0.1"), comp("c", "0.9"))
    assert [c.name for c in downgrades(diff_kits(old, new))] == ["a"]


def test_upgrade_path_of_a_fix() -> None:
    fix = Fix("a", "base", "1.0.0", "1.0.1")
    later = [
        ("release/2024.3", kit_of(comp("a", "1.0.0"))),
        ("release/2024.4", kit_of(comp("a", "1.1.0"))),
    ]
    problems, warnings = upgrade_path(KitVersion(2024, 2), [fix], later, kit_of(comp("a", "1.0.0")))
    assert problems == [
        "release/2024.3 carries a 1.0.0, below the fix 1.0.1: customers moving from 2024.2 to it would go down"
    ]
    assert warnings == [
        "main carries a 1.0.0, below the fix 1.0.1: bump it on main too, or the next cut will refuse the downgrade"
    ]
    assert upgrade_path(KitVersion(2024, 2), [fix], later[1:], kit_of()) == ([], [])

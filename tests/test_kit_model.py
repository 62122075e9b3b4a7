"""The kit model: loading from the working tree and from git refs, and every validation error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.cli.main import app
from tests.kitrepo import DEFAULT_COMPONENTS, commit_all, git, make_kit_repo, write_kit

runner = CliRunner()


def run(kit: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--kit", str(kit), *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    return make_kit_repo(tmp_path / "kit")


def test_components_json_lists_every_component_in_kit_order(kit: Path) -> None:
    code, out, _ = run(kit, "--json", "components")
    assert code == 0
    names = [(c["section"], c["name"]) for c in json.loads(out)["components"]]
    assert names == [
        ("base", "cert-manager"),
        ("base", "ingress-nginx"),
        ("aws", "cluster-autoscaler"),
        ("addons", "external-dns"),
    ]
    first = json.loads(out)["components"][0]
    assert first == {
        "name": "cert-manager",
        "section": "base",
        "chart": "cert-manager",
        "repoURL": "https://charts.jetstack.io",
        "version": "v1.20.2",
        "namespace": "cert-manager",
    }


def test_components_filters_by_section_and_rejects_unknown_section(kit: Path) -> None:
    code, out, _ = run(kit, "--json", "components", "--section", "aws")
    assert code == 0
    assert [c["name"] for c in json.loads(out)["components"]] == ["cluster-autoscaler"]
    code, _, err = run(kit, "components", "--section", "azure")
    assert code == 2
    assert "unknown section 'azure'" in err


def test_reads_a_ref_without_checking_it_out(kit: Path) -> None:
    first = git(kit, "rev-parse", "HEAD")
    values = kit / "core/base/values.yaml"
    values.write_text(values.read_text().replace("v1.20.2", "v1.21.1"))
    commit_all(kit, "bump cert-manager")
    values.write_text(values.read_text().replace("v1.21.1", "v1.21.2"))  # uncommitted
    versions = {}
    for ref in (first, "main", None):
        args = ["--json", "components", "--section", "base"] + (["--ref", ref] if ref else [])
        code, out, _ = run(kit, *args)
        assert code == 0
        versions[ref] = json.loads(out)["components"][0]["version"]
    assert versions == {first: "v1.20.2", "main": "v1.21.1", None: "v1.21.2"}
    assert git(kit, "status", "--porcelain") == "M core/base/values.yaml"


def test_unknown_ref_is_a_usage_error(kit: Path) -> None:
    code, _, err = run(kit, "components", "--ref", "release/1999.1")
    assert code == 2
    assert "unknown git ref 'release/1999.1'" in err
    assert "Traceback" not in err


def test_validate_accepts_a_good_kit(kit: Path) -> None:
    code, out, _ = run(kit, "validate")
    assert code == 0
    assert "4 components" in out and "valid" in out


def _break(kit: Path, section: str, old: str, new: str) -> None:
    path = kit / f"core/{section}/values.yaml"
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


BROKEN = [
    # (section file, old text, new text, expected fragment)
    (
        "base",
        "  cert-manager:\n    repoURL",
        "  cert-manager:\n    repoUrl",
        "core/base/values.yaml:5: components.cert-manager.repoUrl: unknown key; did you mean 'repoURL'?",
    ),
    (
        "base",
        "version: v1.20.2",
        "version: latest",
        "components.cert-manager.version: 'latest' is not a SemVer 2 chart version",
    ),
    (
        "base",
        "  ingress-nginx:",
        "  Ingress_Nginx:",
        "components.Ingress_Nginx: invalid component name",
    ),
    (
        "base",
        "    namespace: cert-manager\n",
        "",
        "components.cert-manager.namespace: missing required value",
    ),
    (
        "base",
        "    chart: ingress-nginx",
        "    chart: ingress-nginx\n    chart: other",
        "components.ingress-nginx.chart: duplicate key",
    ),
    ("base", "  domain: example.com", "  domain: [example.com", "YAML syntax error"),
    (
        "aws",
        "  cluster-autoscaler:",
        "  cert-manager:",
        "core/aws/values.yaml:4: components.cert-manager: duplicate component name: already defined in section 'base'",
    ),
    (
        "addons",
        "appEnabled: []",
        "appEnabled: [external-dsn]",
        "appEnabled[0]: 'external-dsn' is not a component of addons; did you mean 'external-dns'?",
    ),
    ("base", "components:", "componets:", "componets: unknown key; did you mean 'components'?"),
    (
        "base",
        "repoURL: https://charts.jetstack.io",
        "repoURL: charts.jetstack.io",
        "components.cert-manager.repoURL: expected an http(s):// Helm repository or oci://",
    ),
]


@pytest.mark.parametrize(("section", "old", "new", "expected"), BROKEN)
def test_broken_kit_names_file_and_line(
    kit: Path, section: str, old: str, new: str, expected: str
) -> None:
    _break(kit, section, old, new)
    code, out, err = run(kit, "validate")
    assert code == 1, (out, err)
    assert expected in out
    code, _, err = run(kit, "components")
    assert code == 3
    assert expected in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("min: '1.35'", "min: '1.37'", "core/kit.yaml:2: kubernetes: min is above max"),
        ("min: '1.35'", "min: one", "kubernetes.min"),
        ("name: test-kit", "name: test-kit\nversion: 2024.x", "core/kit.yaml:2: version:"),
        ("providers:", "provders:", "provders: unknown key; did you mean 'providers'?"),
        ("- gcp", "- gpc", "providers[1]: unknown provider 'gpc'; did you mean 'gcp'?"),
    ],
)
def test_broken_kit_yaml(kit: Path, old: str, new: str, expected: str) -> None:
    path = kit / "core/kit.yaml"
    text = path.read_text()
    assert old in text, text
    path.write_text(text.replace(old, new))
    code, _, err = run(kit, "components")
    assert code == 3
    assert expected in err


def test_missing_kit_file_is_reported(kit: Path) -> None:
    (kit / "core/gcp/values.yaml").unlink()
    code, _, err = run(kit, "components")
    assert code == 3
    assert "core/gcp/values.yaml: file is missing (working tree)" in err


def test_kubernetes_minor_written_as_number_keeps_its_text(tmp_path: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    path = kit / "core/kit.yaml"
    path.write_text(path.read_text().replace("'1.35'", "1.30").replace("'1.36'", "1.31"))
    code, out, _ = run(kit, "validate")
    assert code == 0, out
    assert "Kubernetes 1.30–1.31" in out


def test_not_a_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    write_kit(tmp_path / "plain")
    code, _, err = run(tmp_path / "plain", "components")
    assert code == 2
    assert "not inside a git repository" in err


def test_verbose_shows_the_traceback(kit: Path) -> None:
    (kit / "core/kit.yaml").write_text("name: [\n")
    code, _, err = run(kit, "--verbose", "components")
    assert code == 3
    assert "Traceback" in err


def test_defaults_keep_unknown_top_level_keys(kit: Path) -> None:
    _break(kit, "base", "components:", "argocd:\n  namespace: argocd\ncomponents:")
    code, _, _ = run(kit, "validate")
    assert code == 0
    assert DEFAULT_COMPONENTS["base"]["cert-manager"]["chart"] == "cert-manager"

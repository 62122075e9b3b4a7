"""`releaser example fleet|mirrors|kit`: each example is read back by the real readers, so
the commented files a newcomer starts from can never drift from what releaser accepts."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from releaser.adapters.fleet_file import load_fleet
from releaser.adapters.mirrors import Mirrors
from releaser.cli.main import app

SECTIONS = ("base", "aws", "gcp", "addons")


def example(kind: str) -> str:
    result = CliRunner().invoke(app, ["example", kind], prog_name="releaser")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_fleet_example_is_a_valid_fleet_with_a_gated_customer(tmp_path: Path) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(example("fleet"), encoding="utf-8")
    fleet = load_fleet(path)
    assert [c.name for c in fleet.customers] == ["kuvaq", "menetekel"]
    gated = fleet.customer("kuvaq").argocd
    assert gated is not None and gated.token_env == "KUVAQ_ARGOCD_TOKEN"
    assert gated.soak == 120.0
    assert "#" in path.read_text()  # commented, not a bare dump


def test_the_mirrors_example_maps_http_and_oci_upstreams(tmp_path: Path) -> None:
    path = tmp_path / "mirrors.yaml"
    path.write_text(example("mirrors"), encoding="utf-8")
    mirrors = Mirrors.load(path)
    assert mirrors.apply("https://charts.jetstack.io/index.yaml") == (
        "https://artifactory.example.com/artifactory/api/helm/jetstack/index.yaml"
    )
    assert mirrors.apply("oci://quay.io/jetstack/charts/cert-manager").startswith(
        "oci://harbor.example.com/"
    )


def test_the_kit_example_validates_once_the_charts_are_added(tmp_path: Path) -> None:
    kit_yaml, base_values = example("kit").split("\n---\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for section in SECTIONS:
        folder = tmp_path / "core" / section
        folder.mkdir(parents=True)
        chart = f"apiVersion: v2\nname: {section}\nversion: 0.1.0\n"
        (folder / "Chart.yaml").write_text(chart, encoding="utf-8")
        (folder / "values.yaml").write_text("components: {}\n", encoding="utf-8")
    (tmp_path / "core/kit.yaml").write_text(kit_yaml, encoding="utf-8")
    (tmp_path / "core/base/values.yaml").write_text(base_values, encoding="utf-8")
    result = CliRunner().invoke(app, ["--kit", str(tmp_path), "validate"], prog_name="releaser")
    assert result.exit_code == 0, result.output
    assert "2 components" in result.output


def test_an_unknown_example_is_a_usage_error_listing_the_choices() -> None:
    result = CliRunner().invoke(app, ["example", "cluster"], prog_name="releaser")
    assert result.exit_code == 2
    words = " ".join(result.output.replace("│", " ").split())  # the usage error is boxed
    assert "unknown kind 'cluster'; choose from fleet, mirrors, kit" in words


def test_a_bad_fleet_file_points_at_the_example_and_the_readme(tmp_path: Path) -> None:
    bad = tmp_path / "fleet.yaml"
    bad.write_text("customers: 3\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--fleet", str(bad), "rollout", "--status"])
    assert result.exit_code == 3
    assert f"{bad}:1: customers:" in result.output
    assert "`releaser example fleet`" in result.output and 'README: "Fleet file"' in result.output


def test_a_bad_mirrors_file_points_at_the_example(tmp_path: Path) -> None:
    bad = tmp_path / "mirrors.yaml"
    bad.write_text("https://charts.jetstack.io: oci://harbor.example.com/x\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--mirrors", str(bad), "check", "--offline"])
    assert result.exit_code == 3
    assert "cannot be mirrored" in result.output and "`releaser example mirrors`" in result.output


def test_no_hint_sends_the_user_to_the_spec() -> None:
    """Users have the README and `releaser example`, not the project's specification."""
    package = Path(__file__).resolve().parents[1] / "releaser"
    offenders = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "SPEC" in line and ("hint" in line.lower() or "raise" in line)
    ]
    assert offenders == []

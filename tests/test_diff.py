"""`releaser diff`: the pure diff of two kit snapshots, read from real git commits."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from releaser.cli.main import app
from tests.kitrepo import DEFAULT_COMPONENTS, commit_all, git, make_kit_repo, write_kit

runner = CliRunner()


def test_diff_reports_exact_changes_between_two_commits(tmp_path: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    old = git(kit, "rev-parse", "HEAD")
    components = json.loads(json.dumps(DEFAULT_COMPONENTS))
    base = components["base"]
    base["cert-manager"]["version"] = "v1.21.1"  # minor
    base["cert-manager"]["values"]["crds"]["keep"] = True  # default added
    base["ingress-nginx"]["version"] = "4.14.3"  # patch
    base["ingress-nginx"]["values"]["controller"]["replicaCount"] = 3  # default changed
    components["aws"]["cluster-autoscaler"]["version"] = "10.0.0"  # major
    del components["addons"]["external-dns"]
    components["addons"]["external-secrets"] = {
        "repoURL": "https://charts.external-secrets.io",
        "chart": "external-secrets",
        "version": "2.9.0",
        "namespace": "external-secrets",
    }
    write_kit(kit, components=components, kubernetes=("1.35", "1.37"))
    commit_all(kit, "next")

    result = runner.invoke(app, ["--kit", str(kit), "--json", "diff", old, "main"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["from"] == old and data["to"] == "main"
    assert data["added"] == [{"name": "external-secrets", "section": "addons", "version": "2.9.0"}]
    assert data["removed"] == [{"name": "external-dns", "section": "addons", "version": "1.19.0"}]
    assert data["changed"] == [
        {
            "name": "cert-manager",
            "section": "base",
            "from": "v1.20.2",
            "to": "v1.21.1",
            "change": "minor",
        },
        {
            "name": "ingress-nginx",
            "section": "base",
            "from": "4.14.1",
            "to": "4.14.3",
            "change": "patch",
        },
        {
            "name": "cluster-autoscaler",
            "section": "aws",
            "from": "9.50.0",
            "to": "10.0.0",
            "change": "major",
        },
    ]
    assert data["defaults"] == [
        {"name": "cert-manager", "path": "crds.keep", "from": None, "to": True},
        {"name": "ingress-nginx", "path": "controller.replicaCount", "from": 2, "to": 3},
    ]
    assert data["kubernetes"] == {
        "from": {"min": "1.35", "max": "1.36"},
        "to": {"min": "1.35", "max": "1.37"},
    }


def test_diff_text_and_no_changes(tmp_path: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    result = runner.invoke(app, ["--kit", str(kit), "diff", "main", "HEAD"])
    assert result.exit_code == 0
    assert "no changes" in result.stdout

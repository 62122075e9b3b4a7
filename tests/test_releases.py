"""`releaser releases`: release branches local and remote, with versions, dates and customers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.adapters.git_repo import GitRepo
from releaser.adapters.yaml import parse_document
from releaser.app.cut import CutRequest, cut
from releaser.app.hotfix import HotfixRequest, hotfix
from releaser.app.releases import list_releases
from releaser.cli.main import app
from tests.kitrepo import (
    DEFAULT_COMPONENTS,
    commit_all,
    git,
    make_bare_remote,
    make_kit_repo,
    write_kit,
)
from tests.release_helpers import Fleet, deps_for

runner = CliRunner()


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """release/2024.1 (hotfixed once, pushed), release/2024.2 (local only, Kubernetes 1.36-1.37)."""
    repo = make_kit_repo(tmp_path / "kit")
    make_bare_remote(tmp_path / "remote.git", repo)
    cut(CutRequest("2024.1", push=True), deps_for(repo))
    hotfix(HotfixRequest("2024.1", ("cert-manager=v1.20.3",), push=True), deps_for(repo))
    components = json.loads(json.dumps(DEFAULT_COMPONENTS))
    components["base"]["cert-manager"]["version"] = "v1.20.3"  # main carries the fix too
    write_kit(repo, components=components, kubernetes=("1.36", "1.37"))
    commit_all(repo, "next range")
    cut(CutRequest("2024.2"), deps_for(repo))
    return repo


def test_releases_json_lists_every_branch_newest_first(kit: Path) -> None:
    result = runner.invoke(app, ["--kit", str(kit), "--json", "releases"])
    assert result.exit_code == 0, result.stderr
    today = date.today().isoformat()  # committer date of the tip
    assert json.loads(result.stdout) == {
        "releases": [
            {
                "version": "2024.2",
                "branch": "release/2024.2",
                "date": today,
                "kubernetes": {"min": "1.36", "max": "1.37"},
                "customers": [],
                "retire": False,
                "local": True,
                "remote": False,
                "error": None,
            },
            {
                "version": "2024.1.1",
                "branch": "release/2024.1",
                "date": today,
                "kubernetes": {"min": "1.35", "max": "1.36"},
                "customers": [],
                "retire": False,
                "local": True,
                "remote": True,
                "error": None,
            },
        ]
    }


def test_releases_text_is_a_table(kit: Path) -> None:
    result = runner.invoke(app, ["--kit", str(kit), "releases"])
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["VERSION", "BRANCH", "DATE", "KUBERNETES", "WHERE", "CUSTOMERS", "NOTE"]
    assert lines[2].split()[:5] == [
        "2024.2",
        "release/2024.2",
        date.today().isoformat(),
        "1.36–1.37",
        "local",
    ]
    assert lines[3].split()[4] == "local/remote"


def test_customers_per_release_and_candidates_to_retire(kit: Path, tmp_path: Path) -> None:
    git(kit, "push", "-q", "origin", "release/2024.2")
    git(
        kit, "update-ref", "refs/remotes/origin/release/2023.4", "release/2024.1"
    )  # a remote-only old one
    fleet = Fleet({"kuvaq": "release/2024.1", "zorab": "release/2024.1", "mira": "main"})

    items = list_releases(GitRepo(kit), parse_document, fleet)

    by_branch = {i.branch: i for i in items}
    assert [i.branch for i in items] == ["release/2024.2", "release/2024.1", "release/2023.4"]
    assert by_branch["release/2024.1"].customers == ("kuvaq", "zorab")
    assert by_branch["release/2024.2"].customers == ()
    assert not by_branch["release/2024.2"].retire  # newest: nobody has rolled yet
    assert not by_branch["release/2024.1"].retire
    assert by_branch["release/2023.4"].retire
    assert (by_branch["release/2023.4"].local, by_branch["release/2023.4"].remote) == (False, True)


def test_a_branch_whose_kit_does_not_load_is_still_listed(kit: Path) -> None:
    git(kit, "checkout", "-q", "release/2024.2")
    (kit / "core/kit.yaml").write_text("name: broken\n")
    commit_all(kit, "break it")
    git(kit, "checkout", "-q", "main")
    items = list_releases(GitRepo(kit), parse_document)
    broken = items[0]
    assert broken.version == "2024.2" and broken.kubernetes is None
    assert broken.error is not None and "core/kit.yaml" in broken.error
    assert broken.customers is None


def test_no_release_branches(tmp_path: Path) -> None:
    repo = make_kit_repo(tmp_path / "fresh")
    result = runner.invoke(app, ["--kit", str(repo), "releases"])
    assert result.exit_code == 0
    assert result.stdout.strip() == "no release branches"

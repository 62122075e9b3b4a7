"""`releaser hotfix` on real repositories with a bare remote over file://."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.app.cut import CutRequest, cut
from releaser.app.hotfix import HotfixRequest, hotfix
from releaser.cli.main import app
from releaser.domain.release_files import entry_text
from tests.kitrepo import (
    DEFAULT_COMPONENTS,
    commit_all,
    git,
    make_bare_remote,
    make_kit_repo,
    write_kit,
)
from tests.release_helpers import Fleet, deps_for, refs, show, snapshot

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("readable_upstreams")


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    repo = make_kit_repo(tmp_path / "kit")
    make_bare_remote(tmp_path / "remote.git", repo)
    cut(CutRequest("2024.1", push=True), deps_for(repo))
    return repo


def remote_of(kit: Path) -> Path:
    return kit.parent / "remote.git"


def cli(kit: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["--kit", str(kit), *args])


def bump_main(kit: Path, **versions: str) -> None:
    components = json.loads(json.dumps(DEFAULT_COMPONENTS))
    for section in components.values():
        for name, comp in section.items():
            comp["version"] = versions.get(name, comp["version"])
    write_kit(kit, components=components)
    commit_all(kit, "bump on main")


def entries(text: str) -> dict[str, str]:
    versions = [line[3:].split(" ")[0] for line in text.splitlines() if line.startswith("## ")]
    return {v: entry_text(text, v) or "" for v in versions}


def test_a_third_hotfix_is_p3_and_branch_and_main_changelogs_agree(kit: Path) -> None:
    bump_main(
        kit, **{"cert-manager": "v1.21.1", "ingress-nginx": "4.15.0", "external-dns": "1.20.0"}
    )
    assert cli(kit, "cut", "2024.2").exit_code == 0
    for fix in ("cert-manager=v1.20.3", "ingress-nginx=4.14.2"):
        assert cli(kit, "hotfix", "2024.1", "--set", fix).exit_code == 0

    result = cli(kit, "hotfix", "2024.1", "--set", "external-dns=1.19.1", "--note", "CVE-2024-0001")

    assert result.exit_code == 0, result.stderr
    assert "created" not in result.stdout and "updated release/2024.1" in result.stdout
    assert 'version: "2024.1.3"' in show(kit, "release/2024.1", "core/kit.yaml")
    assert "version: 1.19.1" in show(kit, "release/2024.1", "core/addons/values.yaml")
    assert "version: v1.20.3" in show(kit, "release/2024.1", "core/base/values.yaml")
    branch, main = (
        entries(show(kit, "release/2024.1", "CHANGELOG.md")),
        entries(show(kit, "main", "CHANGELOG.md")),
    )
    assert list(branch) == ["2024.1.3", "2024.1.2", "2024.1.1", "2024.1"]
    assert list(main) == ["2024.2", "2024.1.3", "2024.1.2", "2024.1.1", "2024.1"]
    assert all(main[v] == text for v, text in branch.items())
    entry = branch["2024.1.3"]
    assert "Hotfix after 2024.1.2" in entry
    assert "- external-dns 1.19.0 → 1.19.1 (patch)" in entry
    assert "- CVE-2024-0001" in entry
    assert git(kit, "status", "--porcelain") == ""
    assert (kit / "CHANGELOG.md").read_text() == show(kit, "main", "CHANGELOG.md")
    assert "Releaser-Hotfix: 2024.1.3" in git(kit, "log", "-1", "--format=%B", "release/2024.1")


def test_hotfix_lists_the_customers_that_receive_it(kit: Path) -> None:
    fleet = Fleet(
        {"kuvaq": "release/2024.1", "zorab": "refs/heads/release/2024.1", "old": "release/2023.4"}
    )
    result = hotfix(HotfixRequest("2024.1", ("cert-manager=v1.20.3",)), deps_for(kit), fleet)
    assert result.customers == ("kuvaq", "zorab")
    assert result.version == "2024.1.1"


def test_hotfix_warns_when_main_lacks_the_fix(kit: Path) -> None:
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 0, result.stderr
    assert "main carries cert-manager v1.20.2, below the fix v1.20.3" in result.stderr
    assert (
        "customers on release/2024.1 receive it without a rollout (customers are listed once a fleet is read)"
        in result.stdout
    )


def test_hotfix_refuses_a_fix_above_what_a_later_release_carries(kit: Path) -> None:
    assert cli(kit, "cut", "2024.2").exit_code == 0  # carries cert-manager v1.20.2
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 1
    assert "release/2024.2 carries cert-manager v1.20.2, below the fix v1.20.3" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["2024.1", "--set", "cert-manger=v1.20.3"], "did you mean 'cert-manager'"),
        (["2024.1", "--set", "cert-manager"], "expected COMPONENT=VERSION"),
        (["2024.1", "--set", "cert-manager=v1.20.2"], "already at v1.20.2"),
        (["2024.1", "--set", "cert-manager=v1.19.0"], "goes down"),
        (["2024.1", "--set", "cert-manager=latest"], "not a SemVer 2 chart version"),
        (["2024.1"], "nothing to fix"),
        (["2024.9", "--set", "cert-manager=v1.20.3"], "there is no release 2024.9"),
        (["2024.1.1", "--set", "cert-manager=v1.20.3"], "not 2024.1.1"),
        (["2024.x", "--set", "cert-manager=v1.20.3"], "invalid kit version"),
    ],
)
def test_hotfix_refuses_bad_input(kit: Path, args: list[str], message: str) -> None:
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "hotfix", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_hotfix_refuses_a_dirty_tree(kit: Path) -> None:
    (kit / "CHANGELOG.md").write_text("edited\n")
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 5
    assert "uncommitted changes" in result.stderr


def test_hotfix_dry_run_changes_nothing(kit: Path) -> None:
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3", "--push", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert snapshot(kit, remote_of(kit)) == before
    assert "would move release/2024.1" in result.stdout
    assert "-    version: v1.20.2" in result.stdout and "+    version: v1.20.3" in result.stdout
    assert "would push release/2024.1, main to origin" in result.stdout


def test_hotfix_of_a_release_known_only_on_the_remote(kit: Path) -> None:
    git(kit, "branch", "-D", "release/2024.1")
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3", "--push")
    assert result.exit_code == 0, result.stderr
    assert "created release/2024.1" in result.stdout
    assert refs(remote_of(kit))["refs/heads/release/2024.1"] == git(
        kit, "rev-parse", "release/2024.1"
    )
    assert git(kit, "rev-parse", "release/2024.1~1") == git(
        kit, "rev-parse", "origin/release/2024.1~1"
    )


def test_hotfix_with_the_release_branch_checked_out_updates_the_checkout(kit: Path) -> None:
    git(kit, "checkout", "-q", "release/2024.1")
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 0, result.stderr
    assert "working tree updated" in result.stdout
    assert "version: v1.20.3" in (kit / "core/base/values.yaml").read_text()
    assert git(kit, "status", "--porcelain") == ""


def assert_hotfix_complete(kit: Path) -> None:
    branch_log = show(kit, "release/2024.1", "CHANGELOG.md")
    main_log = show(kit, "main", "CHANGELOG.md")
    assert main_log.count("## 2024.1.1 ") == 1 and "## 2024.1.2" not in main_log
    assert entry_text(main_log, "2024.1.1") == entry_text(branch_log, "2024.1.1")
    assert 'version: "2024.1.1"' in show(kit, "release/2024.1", "core/kit.yaml")
    assert git(kit, "status", "--porcelain") == ""
    remote = refs(remote_of(kit))
    assert remote["refs/heads/release/2024.1"] == git(kit, "rev-parse", "release/2024.1")
    assert remote["refs/heads/main"] == git(kit, "rev-parse", "main")


def test_a_rejected_hotfix_push_is_completed_by_a_rerun(kit: Path) -> None:
    hook = remote_of(kit) / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    args = ("hotfix", "2024.1", "--set", "cert-manager=v1.20.3", "--push")
    assert cli(kit, *args).exit_code == 5
    hook.unlink()
    rerun = cli(kit, *args)
    assert rerun.exit_code == 0, rerun.stderr
    assert "already on release/2024.1" in rerun.stderr
    assert_hotfix_complete(kit)


def test_hotfix_warns_when_mains_kit_does_not_load(kit: Path) -> None:
    (kit / "core/kit.yaml").write_text("name: broken\n")
    commit_all(kit, "main is mid-rework")
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 0, result.stderr
    assert "main's kit does not load, not compared" in result.stderr


def test_hotfix_refuses_a_branch_carrying_another_releases_version(kit: Path) -> None:
    git(kit, "checkout", "-q", "release/2024.1")
    path = kit / "core/kit.yaml"
    path.write_text(path.read_text().replace('"2024.1"', '"2024.2"'))
    commit_all(kit, "wrong version")
    git(kit, "checkout", "-q", "main")
    result = cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 2
    assert "release/2024.1 carries kit version 2024.2, not 2024.1.x" in result.stderr


def test_hotfix_json_output(kit: Path) -> None:
    result = cli(kit, "--json", "hotfix", "2024.1", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == "2024.1.1" and data["customers"] is None
    assert data["commits"]["release/2024.1"] == git(kit, "rev-parse", "release/2024.1")


# --------------------------------------------------------------------------- --revert


def test_revert_restores_what_the_last_hotfix_changed_and_stacks_like_undo(kit: Path) -> None:
    for fix in ("cert-manager=v1.20.3", "ingress-nginx=4.14.2"):
        assert cli(kit, "hotfix", "2024.1", "--set", fix, "--push").exit_code == 0

    first = cli(kit, "hotfix", "2024.1", "--revert", "--push")

    assert first.exit_code == 0, first.stderr
    assert 'version: "2024.1.3"' in show(kit, "release/2024.1", "core/kit.yaml")
    assert "version: 4.14.1" in show(kit, "release/2024.1", "core/base/values.yaml")
    assert "version: v1.20.3" in show(kit, "release/2024.1", "core/base/values.yaml")
    message = git(kit, "log", "-1", "--format=%B", "release/2024.1")
    assert message.startswith("Hotfix 2024.1.3: revert of 2024.1.2\n\ningress-nginx 4.14.2 -> 4.14.1")
    assert "Releaser-Hotfix: 2024.1.3" in message and "Releaser-Revert: 2024.1.2" in message
    entry = entries(show(kit, "main", "CHANGELOG.md"))["2024.1.3"]
    assert "- Reverts hotfix 2024.1.2" in entry
    assert refs(remote_of(kit))["refs/heads/release/2024.1"] == git(kit, "rev-parse", "release/2024.1")

    second = cli(kit, "hotfix", "2024.1", "--revert", "--push")
    assert second.exit_code == 0, second.stderr
    assert "version: v1.20.2" in show(kit, "release/2024.1", "core/base/values.yaml")
    assert "Releaser-Revert: 2024.1.1" in git(kit, "log", "-1", "--format=%B", "release/2024.1")

    before = snapshot(kit, remote_of(kit))
    none_left = cli(kit, "hotfix", "2024.1", "--revert", "--push")
    assert none_left.exit_code == 1
    assert "release/2024.1 has no hotfix to revert since its cut" in none_left.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_an_interrupted_revert_is_finished_not_repeated(kit: Path) -> None:
    for fix in ("cert-manager=v1.20.3", "ingress-nginx=4.14.2"):
        assert cli(kit, "hotfix", "2024.1", "--set", fix, "--push").exit_code == 0
    hook = remote_of(kit) / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\nexit 1\n")
    hook.chmod(0o755)
    assert cli(kit, "hotfix", "2024.1", "--revert", "--push").exit_code == 5
    hook.unlink()
    rerun = cli(kit, "hotfix", "2024.1", "--revert", "--push")
    assert rerun.exit_code == 0, rerun.stderr
    assert "hotfix 2024.1.3 is already on release/2024.1" in rerun.stderr
    assert "version: v1.20.3" in show(kit, "release/2024.1", "core/base/values.yaml")  # 2024.1.1 stays
    assert refs(remote_of(kit))["refs/heads/release/2024.1"] == git(kit, "rev-parse", "release/2024.1")


def test_a_revert_refuses_when_a_later_change_moved_the_component(kit: Path) -> None:
    assert cli(kit, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3").exit_code == 0
    git(kit, "checkout", "-q", "release/2024.1")
    path = kit / "core/base/values.yaml"
    path.write_text(path.read_text().replace("version: v1.20.3", "version: v1.20.4"))
    commit_all(kit, "a hand-made change on the release branch")
    git(kit, "checkout", "-q", "main")
    result = cli(kit, "hotfix", "2024.1", "--revert")
    assert result.exit_code == 1
    assert "cert-manager is v1.20.4 now, not v1.20.3 as hotfix 2024.1.1 left it" in result.stderr


def test_revert_takes_no_set(kit: Path) -> None:
    result = cli(kit, "hotfix", "2024.1", "--revert", "--set", "cert-manager=v1.20.3")
    assert result.exit_code == 2
    assert "--revert undoes the last hotfix: it takes no --set" in result.stderr

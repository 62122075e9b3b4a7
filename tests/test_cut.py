"""`releaser cut` on real repositories with a bare remote over file://."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.adapters.git_repo import GitRepo
from releaser.app.cut import CutRequest, cut
from releaser.domain.errors import GitError, ProblemsFound, UpstreamError
from releaser.domain.release_files import entry_text
from releaser.domain.unverified import Unverified
from tests.kitrepo import (
    DEFAULT_COMPONENTS,
    commit_all,
    git,
    make_bare_remote,
    make_kit_repo,
    write_kit,
)
from tests.release_helpers import RuleGate, deps_for, refs, show, snapshot

runner = CliRunner()
TODAY = date.today().isoformat()


pytestmark = pytest.mark.usefixtures("readable_upstreams")


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    repo = make_kit_repo(tmp_path / "kit")
    make_bare_remote(tmp_path / "remote.git", repo)
    return repo


def remote_of(kit: Path) -> Path:
    return kit.parent / "remote.git"


def cli(kit: Path, *args: str):  # type: ignore[no-untyped-def]
    from releaser.cli.main import app

    return runner.invoke(app, ["--kit", str(kit), *args])


def components_with(**versions: str) -> dict:  # type: ignore[type-arg]
    components = json.loads(json.dumps(DEFAULT_COMPONENTS))
    for section in components.values():
        for name, comp in section.items():
            if name in versions:
                comp["version"] = versions[name]
    return components


def test_cut_on_a_clean_kit_creates_the_branch_records_the_changelog_and_pushes(kit: Path) -> None:
    main_before = git(kit, "rev-parse", "main")

    result = cli(kit, "cut", "2024.1", "--push")

    assert result.exit_code == 0, result.stderr
    assert "created release/2024.1" in result.stdout
    assert "pushed release/2024.1, main to origin" in result.stdout
    kit_yaml = show(kit, "release/2024.1", "core/kit.yaml")
    assert 'version: "2024.1"' in kit_yaml
    branch_log = show(kit, "release/2024.1", "CHANGELOG.md")
    assert branch_log.startswith(f"# Changelog\n\n## 2024.1 — {TODAY}\n")
    assert "- cert-manager v1.20.2 (added)" in branch_log
    # main: exactly one new commit with the same entry; the checkout shows it; tree clean
    assert git(kit, "rev-parse", "main~1") == main_before
    assert entry_text(show(kit, "main", "CHANGELOG.md"), "2024.1") == entry_text(
        branch_log, "2024.1"
    )
    assert "version:" not in show(kit, "main", "core/kit.yaml")
    assert (kit / "CHANGELOG.md").read_text() == show(kit, "main", "CHANGELOG.md")
    assert git(kit, "status", "--porcelain") == ""
    # the release branch is a child of the commit it was cut from
    assert git(kit, "rev-parse", "release/2024.1~1") == main_before
    remote = refs(remote_of(kit))
    assert remote["refs/heads/release/2024.1"] == git(kit, "rev-parse", "release/2024.1")
    assert remote["refs/heads/main"] == git(kit, "rev-parse", "main")
    message = git(kit, "log", "-1", "--format=%B", "release/2024.1")
    assert "Releaser-Cut: 2024.1" in message


def test_second_cut_lists_changes_since_the_previous_release(kit: Path) -> None:
    assert cli(kit, "cut", "2024.1").exit_code == 0
    write_kit(
        kit, components=components_with(**{"cert-manager": "v1.21.1"}), kubernetes=("1.35", "1.37")
    )
    commit_all(kit, "bump cert-manager")

    result = cli(kit, "cut", "2024.2")

    assert result.exit_code == 0, result.stderr
    entry = entry_text(show(kit, "release/2024.2", "CHANGELOG.md"), "2024.2") or ""
    assert "Kubernetes 1.35–1.37 (was 1.35–1.36). Changes since 2024.1." in entry
    assert "- cert-manager v1.20.2 → v1.21.1 (minor)" in entry
    main_log = show(kit, "main", "CHANGELOG.md")
    assert main_log.index("## 2024.2") < main_log.index("## 2024.1")


@pytest.mark.parametrize("version", ["2024.03", "24.3", "2024.3.1", "2024", "latest"])
def test_cut_refuses_a_malformed_or_hotfix_version(kit: Path, version: str) -> None:
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", version)
    assert result.exit_code == 2
    assert "error:" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_cut_refuses_a_version_older_than_an_existing_release(kit: Path) -> None:
    assert cli(kit, "cut", "2024.2").exit_code == 0
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.1")
    assert result.exit_code == 2
    assert "2024.1 is not later than every existing release: 2024.2 exists" in result.stderr
    assert "the next release is 2024.3" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_cut_refuses_an_existing_local_branch(kit: Path) -> None:
    git(kit, "branch", "release/2024.5")
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.5")
    assert result.exit_code == 5
    assert "release/2024.5 already exists locally" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_cut_refuses_a_branch_that_exists_only_on_the_remote(kit: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", remote_of(kit).as_uri(), str(other))
    git(other, "push", "-q", "origin", "HEAD:refs/heads/release/2024.5")
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.5")
    assert result.exit_code == 5
    assert "release/2024.5 already exists on the remote 'origin'" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


@pytest.mark.parametrize("change", ["modified", "untracked"])
def test_cut_refuses_a_dirty_working_tree(kit: Path, change: str) -> None:
    if change == "modified":
        (kit / "CHANGELOG.md").write_text("# Changelog\n\nlocal edit\n")
    else:
        (kit / "notes.txt").write_text("draft\n")
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.1")
    assert result.exit_code == 5
    assert "uncommitted changes" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_cut_refuses_a_kit_that_does_not_validate(kit: Path) -> None:
    values = kit / "core/base/values.yaml"
    values.write_text(values.read_text().replace("chart: cert-manager", "chrt: cert-manager"))
    commit_all(kit, "typo")
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.1")
    assert result.exit_code == 3
    assert "core/base/values.yaml:" in result.stderr and "did you mean 'chart'" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_cut_refuses_compat_failures_unless_allowed(kit: Path) -> None:
    gate = RuleGate(failing={"ingress-nginx": "4.14.1"})
    before = snapshot(kit, remote_of(kit))
    with pytest.raises(
        ProblemsFound, match=r"ingress-nginx 4\.14\.1: excluded on Kubernetes 1\.36"
    ):
        cut(CutRequest("2024.1"), deps_for(kit, gate=gate))
    assert snapshot(kit, remote_of(kit)) == before

    result = cut(CutRequest("2024.1", allow_incompatible=True), deps_for(kit, gate=gate))

    assert result.written is not None
    entry = entry_text(show(kit, "release/2024.1", "CHANGELOG.md"), "2024.1") or ""
    assert "### Needs attention" in entry
    assert "- released with --allow-incompatible despite: ingress-nginx 4.14.1: excluded" in entry


def test_cut_refuses_an_unjudged_component_unless_allowed(kit: Path) -> None:
    """The gate could not read loki's repository: exit 4 before anything is written, even
    with --allow-incompatible; --allow-unverified cuts and says so in the entry."""
    loki = Unverified.of("ingress-nginx", "https://kubernetes.github.io/ingress-nginx",
                         "connection refused")
    gate = RuleGate(unread=[loki])
    before = snapshot(kit, remote_of(kit))
    for allow_incompatible in (False, True):
        request = CutRequest("2024.1", push=True, allow_incompatible=allow_incompatible)
        with pytest.raises(UpstreamError, match=r"cut 2024\.1 refused: .*could not be read") as err:
            cut(request, deps_for(kit, gate=gate))
        assert "--allow-unverified" in str(err.value)
        assert snapshot(kit, remote_of(kit)) == before

    result = cut(CutRequest("2024.1", allow_unverified=True), deps_for(kit, gate=gate))

    assert result.written is not None
    entry = entry_text(show(kit, "release/2024.1", "CHANGELOG.md"), "2024.1") or ""
    assert (
        "Released without verifying: ingress-nginx "
        "(https://kubernetes.github.io/ingress-nginx: connection refused)." in entry
    )
    assert "released without verifying: ingress-nginx" in " ".join(result.warnings)


def test_cut_refuses_a_component_going_down_against_the_previous_release(kit: Path) -> None:
    assert cli(kit, "cut", "2024.1").exit_code == 0
    write_kit(kit, components=components_with(**{"ingress-nginx": "4.13.0"}))
    commit_all(kit, "oops, older ingress")
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.2")
    assert result.exit_code == 1
    assert "components would go down against 2024.1" in result.stderr
    assert "ingress-nginx 4.14.1 → 4.13.0" in result.stderr
    assert snapshot(kit, remote_of(kit)) == before


def test_dry_run_prints_the_commits_and_changes_nothing(kit: Path) -> None:
    before = snapshot(kit, remote_of(kit))
    result = cli(kit, "cut", "2024.1", "--push", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert snapshot(kit, remote_of(kit)) == before
    out = result.stdout
    assert "would create release/2024.1: new commit on" in out
    assert "would move main: new commit on" in out
    assert '+version: "2024.1"' in out
    assert f"+## 2024.1 — {TODAY}" in out
    assert "Releaser-Cut: 2024.1" in out
    assert "would push release/2024.1, main to origin (atomic, never forced)" in out


def test_cut_from_an_older_commit_records_the_entry_on_main_tip(kit: Path) -> None:
    old = git(kit, "rev-parse", "HEAD")
    (kit / "README.md").write_text("kit\n")
    tip = commit_all(kit, "docs")
    result = cli(kit, "cut", "2024.1", "--from", old)
    assert result.exit_code == 0, result.stderr
    assert git(kit, "rev-parse", "release/2024.1~1") == old
    assert git(kit, "rev-parse", "main~1") == tip
    assert "## 2024.1" in show(kit, "main", "CHANGELOG.md")


def test_cut_leaves_the_checkout_alone_when_main_is_not_checked_out(kit: Path) -> None:
    git(kit, "checkout", "-q", "-b", "work")
    result = cli(kit, "cut", "2024.1")
    assert result.exit_code == 0, result.stderr
    assert "## 2024.1" in show(kit, "main", "CHANGELOG.md")
    assert "## 2024.1" not in (kit / "CHANGELOG.md").read_text()
    assert git(kit, "status", "--porcelain") == ""


def test_a_template_in_the_kit_repository_replaces_the_packaged_one(kit: Path) -> None:
    (kit / ".releaser").mkdir()
    (kit / ".releaser/changelog.md.j2").write_text(
        "## {{ entry.version }} — {{ entry.date }}\n\nOur own format: "
        "{{ entry.sections | length }} section(s).\n"
    )
    commit_all(kit, "own changelog format")
    result = cut(CutRequest("2024.1"), deps_for(kit))
    assert result.entry == "## 2024.1 — 2024-09-12\n\nOur own format: 3 section(s).\n"


def test_push_without_a_remote_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    repo = make_kit_repo(tmp_path / "lonely")
    before = snapshot(repo)
    result = cli(repo, "cut", "2024.1", "--push")
    assert result.exit_code == 5
    assert "no remote 'origin'" in result.stderr
    assert snapshot(repo) == before


def test_json_output_names_the_commits(kit: Path) -> None:
    result = cli(kit, "--json", "cut", "2024.1")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["branch"] == "release/2024.1" and data["source"] == "main"
    assert data["commits"]["release/2024.1"] == git(kit, "rev-parse", "release/2024.1")
    assert data["commits"]["main"] == git(kit, "rev-parse", "main")
    assert data["changelog"].startswith("## 2024.1 — ")


def assert_cut_complete(kit: Path, pushed: bool) -> None:
    """The state a successful `cut 2024.1 [--push]` leaves, whatever happened before."""
    main_log = show(kit, "main", "CHANGELOG.md")
    assert main_log.count("## 2024.1 ") == 1
    branch_log = show(kit, "release/2024.1", "CHANGELOG.md")
    assert entry_text(main_log, "2024.1") == entry_text(branch_log, "2024.1")
    assert 'version: "2024.1"' in show(kit, "release/2024.1", "core/kit.yaml")
    assert git(kit, "rev-list", "--count", "main") == "2"  # initial + one changelog commit
    assert (kit / "CHANGELOG.md").read_text() == main_log
    assert git(kit, "status", "--porcelain") == ""
    if pushed:
        remote = refs(remote_of(kit))
        assert remote["refs/heads/main"] == git(kit, "rev-parse", "main")
        assert remote["refs/heads/release/2024.1"] == git(kit, "rev-parse", "release/2024.1")


def reject_pushes(remote: Path) -> Path:
    hook = remote / "hooks/pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected: pushes are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    return hook


def test_a_push_rejected_by_the_remote_leaves_a_state_the_rerun_completes(kit: Path) -> None:
    remote = remote_of(kit)
    remote_before = refs(remote)
    hook = reject_pushes(remote)

    result = cli(kit, "cut", "2024.1", "--push")

    assert result.exit_code == 5
    assert "push of release/2024.1, main to 'origin' was rejected" in result.stderr
    assert "protected: pushes are frozen" in result.stderr
    assert refs(remote) == remote_before  # atomic: nothing half-pushed
    assert_cut_complete(kit, pushed=False)  # local state consistent

    hook.unlink()
    rerun = cli(kit, "cut", "2024.1", "--push")

    assert rerun.exit_code == 0, rerun.stderr
    assert "already cut" in rerun.stderr
    assert_cut_complete(kit, pushed=True)


def test_a_diverged_remote_main_is_never_overwritten(kit: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", remote_of(kit).as_uri(), str(other))
    (other / "README.md").write_text("someone else\n")
    commit_all(other, "concurrent work")
    git(other, "push", "-q", "origin", "main")
    theirs = git(other, "rev-parse", "HEAD")

    result = cli(kit, "cut", "2024.1", "--push")

    assert result.exit_code == 5
    assert "git pull --rebase" in result.stderr
    assert refs(remote_of(kit))["refs/heads/main"] == theirs
    git(kit, "pull", "-q", "--rebase", "origin", "main")
    rerun = cli(kit, "cut", "2024.1", "--push")
    assert rerun.exit_code == 0, rerun.stderr
    assert git(kit, "rev-parse", "main~1") == theirs
    assert refs(remote_of(kit))["refs/heads/main"] == git(kit, "rev-parse", "main")


def test_an_unreachable_remote_blocks_a_push_but_not_a_local_cut(kit: Path, tmp_path: Path) -> None:
    git(kit, "remote", "set-url", "origin", (tmp_path / "gone.git").as_uri())
    before = snapshot(kit)
    pushed = cli(kit, "cut", "2024.1", "--push")
    assert pushed.exit_code == 5
    assert "cannot reach the remote 'origin'" in pushed.stderr
    assert snapshot(kit) == before
    local = cli(kit, "cut", "2024.1")
    assert local.exit_code == 0, local.stderr
    assert "checked the remote-tracking branches instead" in local.stderr


def test_an_unknown_from_ref_is_a_usage_error(kit: Path) -> None:
    result = cli(kit, "cut", "2024.1", "--from", "no-such-ref")
    assert result.exit_code == 2
    assert "unknown git ref 'no-such-ref'" in result.stderr


def test_failing_upstream_notes_cost_the_notes_not_the_cut(kit: Path) -> None:
    class Offline:
        def changes(self, component: object, from_version: str, to_version: str) -> list[object]:
            raise UpstreamError("https://charts.jetstack.io: connection refused")

    assert cli(kit, "cut", "2024.1").exit_code == 0
    write_kit(kit, components=components_with(**{"cert-manager": "v1.21.1"}))
    commit_all(kit, "bump")
    deps = replace(deps_for(kit), changes=Offline())
    result = cut(CutRequest("2024.2"), deps)
    assert result.written is not None
    assert result.warnings == (
        "upstream notes of cert-manager unavailable: https://charts.jetstack.io: connection refused",
    )
    assert "- cert-manager v1.20.2 → v1.21.1 (minor)" in result.entry


def test_refs_move_only_from_the_expected_value(kit: Path) -> None:
    repo = GitRepo(kit)
    main = git(kit, "rev-parse", "main")
    other = repo.write_commit(main, {"x.txt": "x\n"}, "x\n")
    with pytest.raises(GitError, match="moved while releaser was working"):
        repo.move_branch("main", other, other)  # main is not at `other`
    with pytest.raises(GitError, match="exists already"):
        repo.create_branch("main", other)
    assert git(kit, "rev-parse", "main") == main
    assert git(kit, "status", "--porcelain") == ""  # write_commit never touches the checkout


def test_git_repo_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitError, match="not a git repository"):
        GitRepo(tmp_path)


def test_previous_release_only_on_the_remote_needs_a_fetch(kit: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", remote_of(kit).as_uri(), str(other))
    assert cli(other, "cut", "2024.1", "--push").exit_code == 0
    result = cli(kit, "cut", "2024.2")
    assert result.exit_code == 5
    assert "release/2024.1 exists on the remote but not in this clone" in result.stderr
    git(kit, "fetch", "-q", "origin")
    git(kit, "merge", "-q", "--ff-only", "origin/main")
    assert cli(kit, "cut", "2024.2").exit_code == 0


def test_cut_from_a_release_branch_records_the_entry_on_main_not_on_that_branch(kit: Path) -> None:
    assert cli(kit, "cut", "2024.1").exit_code == 0
    old_release = git(kit, "rev-parse", "release/2024.1")
    result = cli(kit, "cut", "2024.2", "--from", "release/2024.1")
    assert result.exit_code == 0, result.stderr
    assert git(kit, "rev-parse", "release/2024.1") == old_release
    assert git(kit, "rev-parse", "release/2024.2~1") == old_release
    assert 'version: "2024.2"' in show(kit, "release/2024.2", "core/kit.yaml")
    assert "## 2024.2 " in show(kit, "main", "CHANGELOG.md")

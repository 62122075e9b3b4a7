"""Reads at fleet scale: a warm clone already at the remote's head is not fetched again, yet
every read still sees the remote as it is now (moved branches, new and deleted rollout
branches, packed refs); a manifest many customers share is parsed once. Real bare remotes
over file://; git's own calls are counted through the recording wrapper (tests/gitwrap.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from releaser.adapters.customer_repo import GitCustomerRepos
from releaser.adapters.git import GitRemote
from releaser.adapters.git_cache import CacheRepo, RefSpec, fetched_refs
from releaser.adapters.kit_remote import KitRemote
from releaser.adapters.yaml import parse_manifests
from releaser.app.rollout_read import parsed_once
from releaser.domain.document import ManifestDoc
from releaser.domain.errors import GitError, InvalidFileError
from releaser.domain.fleet import Customer
from releaser.domain.versions import KitVersion, KubeVersion
from tests.customerrepo import make_customer_remote, make_kit_remote, remote_head
from tests.gitwrap import GitWrap, install
from tests.kitrepo import commit_all, git

WORK = "releaser/kuvaq-2024.3"
MAIN = "refs/heads/main"


@pytest.fixture
def wrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitWrap:
    installed = install(tmp_path / "gitwrap")
    for name, value in installed.env().items():
        monkeypatch.setenv(name, value)
    return installed


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    return make_customer_remote(tmp_path, "kuvaq", "2024.2")


def _customer(bare: Path) -> Customer:
    return Customer("kuvaq", bare.as_uri(), "main", "argocd", None, KubeVersion.parse("1.30"))


def _subcommands(wrap: GitWrap, since: int) -> list[str]:
    return [call.sub for call in wrap.calls()[since:]]


def _move_on(tmp_path: Path, bare: Path, branch: str = "main") -> str:
    """A new commit on `branch` of the remote, made from its source checkout."""
    src = tmp_path / "kuvaq-src"
    git(src, "checkout", "-q", "-B", branch)
    (src / "README.md").write_text(f"moved on {branch}\n")
    commit_all(src, f"moved on {branch}")
    git(src, "push", "-q", bare.as_uri(), f"{branch}:{branch}")
    return remote_head(bare, branch)


def test_a_warm_clone_at_the_remotes_head_is_not_fetched(
    tmp_path: Path, bare: Path, wrap: GitWrap
) -> None:
    repos = GitCustomerRepos(tmp_path / "customers")
    first = repos.open(_customer(bare)).base().commit
    assert "fetch" in _subcommands(wrap, 0)
    seen = len(wrap.calls())
    again = repos.open(_customer(bare), WORK).base()
    assert _subcommands(wrap, seen) == ["ls-remote", "rev-list"]  # asked, checked, no fetch
    assert again.commit == first == remote_head(bare)
    assert again.read(["README.md"]) == {"README.md": b"# kuvaq gitops\n"}


def test_a_remote_that_moved_on_is_fetched(tmp_path: Path, bare: Path, wrap: GitWrap) -> None:
    repos = GitCustomerRepos(tmp_path / "customers")
    repos.open(_customer(bare))
    moved = _move_on(tmp_path, bare)
    seen = len(wrap.calls())
    base = repos.open(_customer(bare)).base()
    assert base.commit == moved
    assert base.read(["README.md"]) == {"README.md": b"moved on main\n"}
    assert "fetch" in _subcommands(wrap, seen)


def test_rollout_branches_appear_and_go_as_on_the_remote(tmp_path: Path, bare: Path) -> None:
    repos = GitCustomerRepos(tmp_path / "customers")
    assert repos.open(_customer(bare), WORK).remote_work() is None
    pushed = _move_on(tmp_path, bare, WORK)
    assert repos.open(_customer(bare), WORK).remote_work().commit == pushed  # type: ignore[union-attr]
    git(bare, "update-ref", "-d", f"refs/heads/{WORK}")
    assert repos.open(_customer(bare), WORK).remote_work() is None  # pruned, not remembered
    assert repos.open(_customer(bare), WORK).base().commit == remote_head(bare)


def test_a_branch_gone_from_the_remote_is_the_remotes_error(tmp_path: Path, bare: Path) -> None:
    repos = GitCustomerRepos(tmp_path / "customers")
    repos.open(_customer(bare))
    git(bare, "branch", "-m", "main", "trunk")
    with pytest.raises(GitError, match="cannot fetch kuvaq's repository"):
        repos.open(_customer(bare))


def test_refs_are_read_from_packed_and_loose_files(tmp_path: Path, bare: Path) -> None:
    repos = GitCustomerRepos(tmp_path / "customers")
    head = repos.open(_customer(bare)).base().commit
    clone = CacheRepo(repos.clone_dir(_customer(bare)))
    git(clone.root, "update-ref", "refs/releaser/old", head)
    git(clone.root, "pack-refs", "--all")
    assert not (clone.root / "refs/heads/main").exists()
    assert clone.refs() == {"refs/heads/main": head, "refs/releaser/old": head}
    moved = _move_on(tmp_path, bare)
    repos.open(_customer(bare))  # the fetch writes a loose ref over the packed one
    assert clone.refs()["refs/heads/main"] == moved
    assert repos.open(_customer(bare)).base().commit == moved


def test_a_warm_kit_branch_is_not_fetched_again_until_it_moves(
    tmp_path: Path, wrap: GitWrap
) -> None:
    url = make_kit_remote(tmp_path / "kit").as_uri()
    version = KitVersion.parse("2024.3")
    first = KitRemote(url, tmp_path / "kits").files(version)
    assert first is not None
    seen = len(wrap.calls())
    again = KitRemote(url, tmp_path / "kits").files(version)
    assert "fetch" not in _subcommands(wrap, seen)
    assert again is not None and again.snapshot.commit == first.snapshot.commit
    work = tmp_path / "kit/kit"
    git(work, "checkout", "-q", "release/2024.3")
    (work / "CHANGELOG.md").write_text("# Changelog\n\n- a fix\n")
    moved = commit_all(work, "a fix")
    git(work, "push", "-q", "origin", "release/2024.3")
    fixed = KitRemote(url, tmp_path / "kits").files(version)
    assert fixed is not None and fixed.snapshot.commit == moved
    assert fixed.read_text("CHANGELOG.md") == "# Changelog\n\n- a fix\n"


def test_an_unreachable_remote_fails_the_check_not_the_clone(tmp_path: Path, bare: Path) -> None:
    repos = GitCustomerRepos(tmp_path / "customers")
    head = repos.open(_customer(bare)).base().commit
    clone = CacheRepo(repos.clone_dir(_customer(bare)))
    with pytest.raises(GitError, match="ls-remote"):
        clone.fetch(GitRemote.parse((tmp_path / "gone.git").as_uri()), [f"+{MAIN}:{MAIN}"])
    assert clone.refs()["refs/heads/main"] == head and clone.intact()


def test_a_commit_keeps_each_files_mode_in_one_index_update(
    tmp_path: Path, bare: Path, wrap: GitWrap
) -> None:
    src = tmp_path / "kuvaq-src"
    (src / "argocd/hook.sh").write_text("#!/bin/sh\n")
    (src / "argocd/hook.sh").chmod(0o755)
    commit_all(src, "a hook")
    git(src, "push", "-q", bare.as_uri(), "main")
    repo = GitCustomerRepos(tmp_path / "customers").open(_customer(bare), WORK)
    base = repo.base().commit
    seen = len(wrap.calls())
    files = {"argocd/hook.sh": b"#!/bin/sh\nexit 0\n", "argocd/new.yaml": b"a: 1\n",
             "README.md": b"# kuvaq\n"}  # fmt: skip
    commit = repo.commit(base, files, "edit")
    assert _subcommands(wrap, seen).count("update-index") == 1
    assert "ls-tree" not in _subcommands(wrap, seen)  # modes read in-process
    listing = git(repo.root, "ls-tree", "-r", commit).splitlines()
    modes = {line.split("\t")[1]: line.split()[0] for line in listing}
    assert modes["argocd/hook.sh"] == "100755"
    assert modes["argocd/new.yaml"] == modes["README.md"] == "100644"
    assert git(repo.root, "show", f"{commit}:argocd/hook.sh") == "#!/bin/sh\nexit 0"
    assert git(repo.root, "rev-parse", f"refs/releaser/{WORK}") == commit


# --------------------------------------------------------------------------- refspecs

REMOTE = {
    "refs/heads/main": "a" * 40,
    "refs/heads/releaser/x-2024.3": "b" * 40,
    "refs/heads/releaser/x-2024.3-retry": "c" * 40,
    "refs/heads/releaser/y-2024.3": "d" * 40,
}


def test_a_fetch_maps_remote_refs_through_exact_and_glob_specs() -> None:
    specs = [
        RefSpec.parse("+refs/heads/main:refs/remotes/kit/main"),
        RefSpec.parse("+refs/heads/releaser/x-2024.3*:refs/heads/releaser/x-2024.3*"),
    ]
    assert fetched_refs(specs, REMOTE) == {
        "refs/remotes/kit/main": "a" * 40,
        "refs/heads/releaser/x-2024.3": "b" * 40,
        "refs/heads/releaser/x-2024.3-retry": "c" * 40,
    }
    assert specs[1].stores("refs/heads/releaser/x-2024.3-old")
    assert not specs[1].stores("refs/heads/releaser/y-2024.3")
    assert not specs[0].stores("refs/heads/main")


def test_a_missing_exact_branch_means_the_fetch_must_run() -> None:
    assert fetched_refs([RefSpec.parse("+refs/heads/trunk:refs/heads/trunk")], REMOTE) is None
    glob = RefSpec.parse("+refs/heads/none*:refs/heads/none*")
    assert fetched_refs([glob], REMOTE) == {}


# --------------------------------------------------------------------------- parsing


def test_a_fleet_read_parses_each_shared_manifest_once() -> None:
    seen: list[tuple[str, str]] = []

    def parse(text: str, file: str) -> list[ManifestDoc]:
        seen.append((text, file))
        return [ManifestDoc(file, 0, {"text": text})]

    once = parsed_once(parse)
    first = once("a: 1\n", "argocd/apps.yaml")
    assert once("a: 1\n", "argocd/apps.yaml") is first  # a second customer's identical file
    assert once("a: 1\n", "other/apps.yaml")[0].file == "other/apps.yaml"
    assert once("a: 2\n", "argocd/apps.yaml")[0].data == {"text": "a: 2\n"}
    assert seen == [("a: 1\n", "argocd/apps.yaml"), ("a: 1\n", "other/apps.yaml"),
                    ("a: 2\n", "argocd/apps.yaml")]  # fmt: skip


def test_a_manifest_that_does_not_parse_fails_for_every_customer() -> None:
    calls = []

    def parse(text: str, file: str) -> list[ManifestDoc]:
        calls.append(file)
        return parse_manifests(text, file)

    once = parsed_once(parse)
    for _ in range(2):
        with pytest.raises(InvalidFileError, match=r"argocd/apps\.yaml:2: YAML syntax error"):
            once("a: [\n", "argocd/apps.yaml")
    assert calls == ["argocd/apps.yaml", "argocd/apps.yaml"]  # errors are not remembered

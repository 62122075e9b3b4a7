"""find_repo_root answers as GitPython does, and for ordinary checkouts without GitPython."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import git
import pytest

from releaser.adapters.kit_files import _plain_root, find_repo_root
from releaser.domain.errors import UsageError
from tests.kitrepo import git as run_git

ROOT = Path(__file__).resolve().parents[1]


def gitpython_root(start: Path) -> Path:
    repo = git.Repo(start, search_parent_directories=True)
    return Path(repo.working_tree_dir or start)


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    run_git(path, "init", "-q", "-b", "main")
    (path / "kit.txt").write_text("x\n")
    run_git(path, "add", ".")
    run_git(path, "commit", "-qm", "first")
    return path


def test_checkout_root_subdirectory_and_file_need_no_gitpython(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "kit")
    (repo / "core" / "base").mkdir(parents=True)
    for start in (repo, repo / "core" / "base", repo / "kit.txt"):
        assert _plain_root(start) == repo
        assert find_repo_root(start) == gitpython_root(start) == repo


def test_relative_start_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = new_repo(tmp_path / "kit")
    (repo / "core").mkdir()
    monkeypatch.chdir(repo / "core")
    assert find_repo_root(Path("..")) == gitpython_root(Path("..")) == repo
    assert find_repo_root(Path(".")) == repo


def test_linked_worktree_root_needs_no_gitpython(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "kit")
    run_git(repo, "worktree", "add", "-q", str(tmp_path / "wt"), "-b", "other")
    start = tmp_path / "wt"
    assert _plain_root(start) == start.resolve()
    assert find_repo_root(start) == gitpython_root(start)


def test_symlinked_start_is_kept_like_gitpython_keeps_it(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "kit")
    (tmp_path / "link").symlink_to(repo)
    start = tmp_path / "link" / "." / "kit.txt"
    assert _plain_root(start) == tmp_path / "link"
    assert find_repo_root(start) == gitpython_root(start) == tmp_path / "link"


def test_broken_dotgit_inside_a_repository_is_left_to_gitpython(tmp_path: Path) -> None:
    outer = new_repo(tmp_path / "outer")
    inner = outer / "inner"
    (inner / ".git").mkdir(parents=True)  # empty: not a repository, GitPython looks above
    assert _plain_root(inner) is None
    assert find_repo_root(inner) == gitpython_root(inner) == outer


def test_bare_repository_is_left_to_gitpython(tmp_path: Path) -> None:
    bare = tmp_path / "kit.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert _plain_root(bare) is None
    assert find_repo_root(bare) == gitpython_root(bare) == bare


def test_git_environment_variables_leave_the_search_to_gitpython(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = new_repo(tmp_path / "kit")
    monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path))
    assert _plain_root(repo) is None
    assert find_repo_root(repo) == gitpython_root(repo)


def test_outside_any_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="is not inside a git repository"):
        find_repo_root(tmp_path)
    with pytest.raises(UsageError, match="is not inside a git repository"):
        find_repo_root(tmp_path / "missing")


def test_reading_the_working_tree_kit_does_not_import_gitpython(tmp_path: Path) -> None:
    repo = new_repo(tmp_path / "kit")
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from releaser.adapters.kit_files import WorktreeFiles, find_repo_root\n"
        f"root = find_repo_root(Path({str(repo)!r}))\n"
        "assert WorktreeFiles(root).read_text('kit.txt') == 'x\\n'\n"
        "print('git' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"

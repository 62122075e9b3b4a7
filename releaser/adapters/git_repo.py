"""The kit repository for the release commands, through git plumbing.

Commits are built without a checkout (objects, a temporary index, `commit-tree`) and refs are
moved last with compare-and-swap (`update-ref NEW OLD`), so an interrupted run leaves either
nothing or a state the same command recognises and finishes. Pushes are atomic and never
forced. Every git failure surfaces as `GitError` (exit 5) with what to do.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

from releaser.adapters.git import (
    END_OF_OPTIONS,
    GitCommandFailed,
    checked_branch,
    git_ok,
    run_git,
)
from releaser.adapters.git_objects import GitRefFiles
from releaser.domain.errors import GitError
from releaser.domain.repo_refs import BranchRef, CommitInfo

ZERO = "0" * 40
RELEASE_PREFIX = "release/"


class GitRepo:
    """A kit checkout at `root`, talking to the remote `remote` (default origin)."""

    def __init__(self, root: Path, remote: str = "origin") -> None:
        if not root.is_dir() or not git_ok(root, "rev-parse", "--git-dir"):
            raise GitError(f"{root} is not a git repository")
        self.root = root
        self.remote = remote
        self._files: dict[str, GitRefFiles] = {}  # object id -> its files (never change)

    # ------------------------------------------------------------------ plumbing

    def _git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        try:
            return run_git(self.root, *args, env=env).decode()
        except GitError as err:
            raise GitError(
                err.message, hint="fix the repository state, then run the same command again"
            ) from None

    def _ok(self, *args: str) -> bool:
        return git_ok(self.root, *args)

    # ------------------------------------------------------------------ reading

    def resolve(self, ref: str) -> str | None:
        try:
            out = run_git(self.root, "rev-parse", "--verify", "--quiet", END_OF_OPTIONS,
                          f"{ref}^{{commit}}")  # fmt: skip
        except GitError:
            return None
        return out.decode().strip() or None

    def local_branch(self, branch: str) -> str | None:
        return self.resolve(f"refs/heads/{branch}")

    def has_remote(self) -> bool:
        return self.remote in self._git("remote").split()

    def remote_branches(self, prefix: str) -> dict[str, str] | None:
        if not self.has_remote():
            return None
        try:
            out = run_git(self.root, "ls-remote", "--heads", END_OF_OPTIONS, self.remote,
                          f"refs/heads/{prefix}*").decode()  # fmt: skip
        except GitCommandFailed as err:
            raise GitError(
                f"cannot reach the remote '{self.remote}' of {self.root}: {err.reason}",
                hint="check the network and the remote URL (git remote -v)",
            ) from None
        heads = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            heads[ref.removeprefix("refs/heads/")] = sha
        return heads

    def release_branches(self) -> list[BranchRef]:
        local_prefix, remote_prefix = "refs/heads/", f"refs/remotes/{self.remote}/"
        out = self._git(
            "for-each-ref",
            "--format=%(objectname) %(refname)",
            local_prefix + RELEASE_PREFIX,
            remote_prefix + RELEASE_PREFIX,
        )
        local: dict[str, str] = {}
        remote: dict[str, str] = {}
        for line in out.splitlines():
            sha, _, ref = line.partition(" ")
            if ref.startswith(local_prefix):
                local[ref.removeprefix(local_prefix)] = sha
            else:
                remote[ref.removeprefix(remote_prefix)] = sha
        names = sorted(local.keys() | remote.keys())
        return [BranchRef(n, local.get(n), remote.get(n)) for n in names]

    def head_branch(self) -> str | None:
        try:
            out = run_git(self.root, "symbolic-ref", "--quiet", "--short", "HEAD")
        except GitError:
            return None
        return out.decode().strip() or None

    def dirty_paths(self) -> list[str]:
        out = self._git("status", "--porcelain=v1", "--untracked-files=normal")
        return [line[3:] for line in out.splitlines() if line.strip()]

    def worktree_matches(self, commit: str) -> bool:
        self._ok("update-index", "-q", "--refresh")  # stat-only changes are not changes
        staged = self._ok("diff-index", "--cached", "--quiet", commit, "--")
        return staged and self._ok("diff-files", "--quiet")

    def files(self, commit: str) -> GitRefFiles:
        if len(commit) != len(ZERO):  # a name, which may move: resolve it every time
            return GitRefFiles(self.root, commit)
        if commit not in self._files:
            self._files[commit] = GitRefFiles(self.root, commit)
        return self._files[commit]

    def commit_info(self, commit: str) -> CommitInfo:
        out = self._git("log", "-1", "--format=%H%x00%P%x00%cs%x00%B", END_OF_OPTIONS, commit)
        sha, parents, day, message = out.split("\x00", 3)
        return CommitInfo(sha, tuple(parents.split()), message, date.fromisoformat(day))

    def is_ancestor(self, ancestor: str, commit: str) -> bool:
        return self._ok("merge-base", "--is-ancestor", END_OF_OPTIONS, ancestor, commit)

    # ------------------------------------------------------------------ writing

    def _mode(self, parent: str, path: str) -> str:
        out = self._git("ls-tree", parent, "--", path)
        return out.split()[0] if out.strip() else "100644"

    def write_commit(self, parent: str, files: Mapping[str, str], message: str) -> str:
        with tempfile.TemporaryDirectory(prefix="releaser-") as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            self._git("read-tree", parent, env=env)
            for index, (path, text) in enumerate(sorted(files.items())):
                blob_file = Path(tmp, f"blob{index}")
                blob_file.write_bytes(text.encode("utf-8"))
                blob = self._git("hash-object", "-w", "--no-filters", str(blob_file)).strip()
                cache = f"{self._mode(parent, path)},{blob},{path}"
                self._git("update-index", "--add", "--cacheinfo", cache, env=env)
            tree = self._git("write-tree", env=env).strip()
            message_file = Path(tmp, "message")
            message_file.write_text(message, encoding="utf-8")
            return self._git("commit-tree", tree, "-p", parent, "-F", str(message_file)).strip()

    def create_branch(self, branch: str, commit: str) -> None:
        ref = f"refs/heads/{checked_branch(branch)}"
        try:
            run_git(self.root, "update-ref", "-m", "releaser", ref, commit, ZERO)
        except GitError:
            raise GitError(
                f"cannot create {branch}: it exists already (created concurrently?)",
                hint=f"inspect it with `git log {branch}`",
            ) from None

    def move_branch(self, branch: str, new: str, old: str) -> None:
        ref = f"refs/heads/{checked_branch(branch)}"
        try:
            run_git(self.root, "update-ref", "-m", "releaser", ref, new, old)
        except GitError:
            raise GitError(
                f"{branch} moved while releaser was working (expected it at {old[:12]})",
                hint="run the same command again: it starts from the branch's new tip",
            ) from None

    def sync_worktree(self, branch: str, old: str, new: str) -> bool:
        if self.head_branch() != branch:
            return False
        # Two-tree fast-forward: updates only files that differ between old and new, and
        # refuses (leaving everything as is) if one of them has local changes.
        self._git("read-tree", "-m", "-u", old, new)
        return True

    def push(self, branches: Sequence[str]) -> None:
        specs = [f"refs/heads/{b}:refs/heads/{b}" for b in map(checked_branch, branches)]
        try:
            run_git(self.root, "push", "--atomic", "--porcelain", END_OF_OPTIONS, self.remote,
                    *specs)  # fmt: skip
        except GitCommandFailed as err:
            raise GitError(
                f"push of {', '.join(branches)} to '{self.remote}' was rejected: {err.reason}",
                hint="nothing was pushed (atomic push); integrate the remote's changes "
                "(git pull --rebase), then run the same command again",
            ) from None

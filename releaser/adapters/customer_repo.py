"""Customer repositories: a cache of shallow clones, refreshed on every run.

The cache clone is bare and has no working tree: files are read from git objects and a
rollout commit is built with plumbing (a temporary index, `write-tree`, `commit-tree`), so a
killed run never leaves a half-edited checkout behind; a clone damaged by a killed run is
rebuilt (see `git_cache`). Pushes are plain fast-forwards, never forced.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from releaser.adapters.git import END_OF_OPTIONS, GitRemote, checked_branch, run_git
from releaser.adapters.git_cache import CacheRepo
from releaser.adapters.git_objects import GitSnapshot
from releaser.domain.errors import GitError
from releaser.domain.fleet import Customer
from releaser.domain.redaction import redact_url

LOCAL_REFS = "refs/releaser"


class GitCustomerRepo:
    def __init__(self, root: Path, customer: Customer, work_branch: str | None) -> None:
        self.root = root
        self.customer = customer
        self.work_branch = work_branch

    def _resolve(self, ref: str) -> str | None:
        return CacheRepo(self.root).refs().get(ref)  # read from the files: no git process

    def base(self) -> GitSnapshot:
        commit = self._resolve(f"refs/heads/{self.customer.branch}")
        if commit is None:
            raise GitError(f"branch '{self.customer.branch}' not found in {self.label}")
        return GitSnapshot(self.root, commit)

    def remote_work(self) -> GitSnapshot | None:
        if not self.work_branch:
            return None
        commit = self._resolve(f"refs/heads/{self.work_branch}")
        return GitSnapshot(self.root, commit) if commit else None

    def local_work(self) -> GitSnapshot | None:
        if not self.work_branch:
            return None
        commit = self._resolve(f"{LOCAL_REFS}/{self.work_branch}")
        return GitSnapshot(self.root, commit) if commit else None

    @property
    def label(self) -> str:
        return f"{self.customer.name}'s repository {redact_url(self.customer.repo)}"

    def commit(self, base: str, files: Mapping[str, bytes], message: str) -> str:
        snapshot = GitSnapshot(self.root, base)
        entries = []
        for path, data in files.items():
            blob = run_git(self.root, "hash-object", "-w", "--stdin", stdin=data).decode().strip()
            entries.append(f"{snapshot.mode(path)} {blob}\t{path}\n")
        with tempfile.TemporaryDirectory(prefix="releaser-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            run_git(self.root, "read-tree", base, env=env)
            run_git(self.root, "update-index", "--index-info", env=env,
                    stdin="".join(entries).encode())  # fmt: skip
            tree = run_git(self.root, "write-tree", env=env).decode().strip()
        commit = run_git(self.root, "commit-tree", tree, "-p", base, "-m", message)
        sha = commit.decode().strip()
        if self.work_branch:
            run_git(self.root, "update-ref", f"{LOCAL_REFS}/{self.work_branch}", sha)
        return sha

    def push(self, commit: str, branch: str, options: Sequence[str] = ()) -> None:
        """Plain push: the remote refuses anything but a fast-forward, and so do we."""
        target = f"{commit}:refs/heads/{checked_branch(branch)}"
        remote = GitRemote.parse(self.customer.repo)
        flags = [f"--push-option={option}" for option in options]
        try:
            run_git(self.root, "push", "--porcelain", *flags, END_OF_OPTIONS, remote.url, target,
                    remote=remote)  # fmt: skip
        except GitError as err:
            rejected = "rejected" in err.message or "non-fast-forward" in err.message
            raise GitError(
                f"push of {commit[:12]} to {branch} in {self.label} was "
                + ("rejected: the branch moved on (not a fast-forward)" if rejected else "refused"),
                hint="nothing was changed on the remote; run the rollout again to rebuild the "
                "commit on the new tip"
                if rejected
                else err.message,
            ) from None


class GitCustomerRepos:
    """Clones live under `<customers cache>/<name>-<hash of URL>`.

    Each is a bare, shallow mirror of the branches it needs: `refs/heads/*` are the remote's
    branches as last fetched; commits made here live under `refs/releaser/*` until pushed."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache

    def clone_dir(self, customer: Customer) -> Path:
        digest = hashlib.sha256(customer.repo.encode()).hexdigest()[:12]
        return self.cache / f"{customer.name}-{digest}"

    def open(self, customer: Customer, work_branch: str | None = None) -> GitCustomerRepo:
        root = self.clone_dir(customer)
        remote = GitRemote.parse(customer.repo)
        branch = checked_branch(customer.branch)
        specs = [f"+refs/heads/{branch}:refs/heads/{branch}"]
        if work_branch:
            checked_branch(work_branch)
            specs.append(f"+refs/heads/{work_branch}*:refs/heads/{work_branch}*")
        try:
            CacheRepo(root).fetch(remote, specs, prune=True)
        except GitError as err:
            raise GitError(
                f"cannot fetch {customer.name}'s repository {remote.shown} (branch {branch})",
                hint=err.message,
            ) from None
        return GitCustomerRepo(root, customer, work_branch)

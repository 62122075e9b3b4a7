"""Customer repositories: a cache of shallow clones, refreshed on every run.

The cache clone is bare and has no working tree: files are read from git objects and a
rollout commit is built with plumbing (a temporary index, `write-tree`, `commit-tree`), so a
killed run never leaves a half-edited checkout behind. Pushes are plain fast-forwards.
Git runs with argument lists, never through a shell.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from releaser.domain.customer import redact_url
from releaser.domain.errors import GitError
from releaser.domain.fleet import Customer

_ENV = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "LC_ALL": "C"}


def run_git(
    cwd: Path, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
) -> bytes:
    """Run git; a failure becomes a `GitError` whose message has credentials redacted."""
    full_env = {**os.environ, **_ENV, **(env or {})}
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True, env=full_env, check=False
        )
    except OSError as err:
        raise GitError(f"cannot run git: {err}", hint="install git and put it on PATH") from None
    if done.returncode != 0:
        words = " ".join(redact_url(a) for a in args[:2])
        detail = " ".join(redact_url(w) for w in done.stderr.decode(errors="replace").split())
        raise GitError(f"git {words} failed in {cwd}: {detail or 'no message'}")
    return done.stdout


class GitSnapshot:
    """The repository at one commit."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root = root
        self._commit = commit

    @property
    def commit(self) -> str:
        return self._commit

    @property
    def parent(self) -> str | None:
        raw = run_git(self.root, "cat-file", "commit", self._commit).decode()
        for line in raw.splitlines():
            if line.startswith("parent "):
                return line.split()[1]
            if not line:
                break
        return None

    def files(self, under: str) -> list[str]:
        args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", self._commit]
        out = run_git(self.root, *args, *(["--", under] if under else []))
        return [p for p in out.decode().split("\0") if p]

    def read(self, paths: list[str]) -> dict[str, bytes]:
        if not paths:
            return {}
        request = "".join(f"{self._commit}:{p}\n" for p in paths).encode()
        out = run_git(self.root, "cat-file", "--batch", stdin=request)
        return _parse_batch(out, paths)

    def mode(self, path: str) -> str:
        out = run_git(self.root, "ls-tree", "--full-tree", self._commit, "--", path).decode()
        return out.split(" ", 1)[0] if out else "100644"


def _parse_batch(out: bytes, paths: list[str]) -> dict[str, bytes]:
    """Split `git cat-file --batch` output: `<sha> <type> <size>\\n<data>\\n` or `... missing`."""
    found: dict[str, bytes] = {}
    pos = 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if header[-1] == b"missing" or len(header) != 3:
            continue
        size = int(header[2])
        if header[1] == b"blob":
            found[path] = out[pos : pos + size]
        pos += size + 1
    return found


class GitCustomerRepo:
    def __init__(self, root: Path, customer: Customer, work_branch: str | None) -> None:
        self.root = root
        self.customer = customer
        self.work_branch = work_branch

    def _resolve(self, ref: str) -> str | None:
        try:
            return run_git(self.root, "rev-parse", "--verify", "-q", ref).decode().strip()
        except GitError:
            return None

    def base(self) -> GitSnapshot:
        commit = self._resolve(f"refs/remotes/origin/{self.customer.branch}")
        if commit is None:
            raise GitError(f"branch '{self.customer.branch}' not found in {self.label}")
        return GitSnapshot(self.root, commit)

    def remote_work(self) -> GitSnapshot | None:
        if not self.work_branch:
            return None
        commit = self._resolve(f"refs/remotes/origin/{self.work_branch}")
        return GitSnapshot(self.root, commit) if commit else None

    def local_work(self) -> GitSnapshot | None:
        if not self.work_branch:
            return None
        commit = self._resolve(f"refs/heads/{self.work_branch}")
        return GitSnapshot(self.root, commit) if commit else None

    @property
    def label(self) -> str:
        return f"{self.customer.name}'s repository {redact_url(self.customer.repo)}"

    def commit(self, base: str, files: Mapping[str, bytes], message: str) -> str:
        snapshot = GitSnapshot(self.root, base)
        with tempfile.TemporaryDirectory(prefix="releaser-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            run_git(self.root, "read-tree", base, env=env)
            for path, data in files.items():
                blob = run_git(self.root, "hash-object", "-w", "--stdin", stdin=data)
                info = f"{snapshot.mode(path)},{blob.decode().strip()},{path}"
                run_git(self.root, "update-index", "--cacheinfo", info, env=env)
            tree = run_git(self.root, "write-tree", env=env).decode().strip()
        commit = run_git(self.root, "commit-tree", tree, "-p", base, "-m", message)
        sha = commit.decode().strip()
        if self.work_branch:
            run_git(self.root, "update-ref", f"refs/heads/{self.work_branch}", sha)
        return sha

    def push(self, commit: str, branch: str) -> None:
        """Plain push: the remote refuses anything but a fast-forward, and so do we."""
        try:
            run_git(self.root, "push", "--porcelain", "origin", f"{commit}:refs/heads/{branch}")
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
    """Clones live under `<cache>/customers/<name>-<hash of URL>`."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache / "customers"

    def clone_dir(self, customer: Customer) -> Path:
        digest = hashlib.sha256(customer.repo.encode()).hexdigest()[:12]
        return self.cache / f"{customer.name}-{digest}"

    def open(self, customer: Customer, work_branch: str | None = None) -> GitCustomerRepo:
        root = self.clone_dir(customer)
        if not (root / "HEAD").is_file():
            root.mkdir(parents=True, exist_ok=True)
            run_git(root, "init", "--quiet", "--bare")
            run_git(root, "remote", "add", "origin", customer.repo)
        run_git(root, "remote", "set-url", "origin", customer.repo)
        specs = [f"+refs/heads/{customer.branch}:refs/remotes/origin/{customer.branch}"]
        if work_branch:
            specs.append(f"+refs/heads/{work_branch}*:refs/remotes/origin/{work_branch}*")
        depth = [] if _is_plain_path(customer.repo) else ["--depth", "1"]
        try:
            run_git(root, "fetch", "--quiet", "--prune", "--no-tags", *depth, "origin", *specs)
        except GitError as err:
            raise GitError(
                f"cannot fetch {customer.name}'s repository {redact_url(customer.repo)} "
                f"(branch {customer.branch})",
                hint=err.message,
            ) from None
        return GitCustomerRepo(root, customer, work_branch)


def _is_plain_path(url: str) -> bool:
    """Local paths (not file:// URLs) ignore --depth; git warns, so do not ask."""
    return url.startswith(("/", "./", "../")) or (len(url) > 1 and url[1] == ":")

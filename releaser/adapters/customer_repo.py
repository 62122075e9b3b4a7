"""Customer repositories: a cache of shallow clones, refreshed on every run.

The cache clone is bare and has no working tree: files are read from git objects and a
rollout commit is built with plumbing (a temporary index, `write-tree`, `commit-tree`), so a
killed run never leaves a half-edited checkout behind. Pushes are plain fast-forwards.
Git runs with argument lists, never through a shell.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from git import BadObject
from git.db import GitDB

from releaser.domain.errors import GitError
from releaser.domain.fleet import Customer
from releaser.domain.redaction import redact_url

LOCAL_REFS = "refs/releaser"
# What GitPython's object database raises for a missing, odd or unreadable object.
_DB_ERRORS = (BadObject, OSError, ValueError, KeyError, IndexError, AssertionError)
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
    """The repository at one commit.

    Objects are read in-process through GitPython's pure-Python object database (loose
    objects and packs), which saves two git processes per customer on `rollout --status`;
    if that cannot read something, the git commands answer instead."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root = root
        self._commit = commit
        self._db: GitDB | None = None

    @property
    def commit(self) -> str:
        return self._commit

    def _object(self, sha: str) -> tuple[bytes, bytes]:
        if self._db is None:
            self._db = GitDB(str(self.root / "objects"))
        stream = self._db.stream(bytes.fromhex(sha))
        return stream.type, stream.read()

    def _commit_fields(self) -> dict[str, str]:
        _, raw = self._object(self._commit)
        header = raw.split(b"\n\n", 1)[0].decode()
        fields: dict[str, str] = {}
        for line in header.splitlines():
            key, _, value = line.partition(" ")
            fields.setdefault(key, value)
        return fields

    @property
    def parent(self) -> str | None:
        try:
            return self._commit_fields().get("parent")
        except _DB_ERRORS:  # the object database could not say: ask git
            raw = run_git(self.root, "cat-file", "commit", self._commit).decode()
            parents = [
                ln.split()[1]
                for ln in raw.split("\n\n")[0].splitlines()
                if ln.startswith("parent ")
            ]
            return parents[0] if parents else None

    def _tree_entries(self, sha: str) -> list[tuple[str, str, str]]:
        """(mode, name, sha) of each entry of a tree object."""
        _, raw = self._object(sha)
        entries: list[tuple[str, str, str]] = []
        pos = 0
        while pos < len(raw):
            space = raw.index(b" ", pos)
            nul = raw.index(b"\0", space)
            entries.append(
                (
                    raw[pos:space].decode(),
                    raw[space + 1 : nul].decode(),
                    raw[nul + 1 : nul + 21].hex(),
                )
            )
            pos = nul + 21
        return entries

    def _walk(self, under: str) -> dict[str, str]:
        """path -> blob sha for every file below `under`."""
        tree = self._commit_fields()["tree"]
        for part in [p for p in under.split("/") if p]:
            match = [e for e in self._tree_entries(tree) if e[1] == part and e[0] == "40000"]
            if not match:
                return {}
            tree = match[0][2]
        found: dict[str, str] = {}
        stack = [(tree, under.strip("/"))]
        while stack:
            sha, prefix = stack.pop()
            for mode, name, child in self._tree_entries(sha):
                path = f"{prefix}/{name}" if prefix else name
                if mode == "40000":
                    stack.append((child, path))
                elif mode.startswith("100"):
                    found[path] = child
        return found

    def files(self, under: str) -> list[str]:
        try:
            return sorted(self._walk(under))
        except _DB_ERRORS:  # the object database could not say: ask git
            args = ["ls-tree", "-r", "-z", "--name-only", "--full-tree", self._commit]
            out = run_git(self.root, *args, *(["--", under] if under else []))
            return [p for p in out.decode().split("\0") if p]

    def read(self, paths: list[str]) -> dict[str, bytes]:
        if not paths:
            return {}
        try:
            return self._read_in_process(paths)
        except _DB_ERRORS:  # the object database could not say: ask git
            request = "".join(f"{self._commit}:{p}\n" for p in paths).encode()
            out = run_git(self.root, "cat-file", "--batch", stdin=request)
            return _parse_batch(out, paths)

    def _read_in_process(self, paths: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        folders = {p.rsplit("/", 1)[0] if "/" in p else "" for p in paths}
        blobs: dict[str, str] = {}
        for folder in folders:
            blobs.update(self._walk(folder))
        for path in paths:
            if path in blobs:
                found[path] = self._object(blobs[path])[1]
        return found

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
        loose = self.root / ref
        if loose.is_file():  # what fetch just wrote; saves a git process per customer
            text = loose.read_text(encoding="ascii", errors="replace").strip()
            if len(text) in (40, 64):
                return text
        try:
            return run_git(self.root, "rev-parse", "--verify", "-q", ref).decode().strip()
        except GitError:
            return None

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
            run_git(self.root, "update-ref", f"{LOCAL_REFS}/{self.work_branch}", sha)
        return sha

    def push(self, commit: str, branch: str) -> None:
        """Plain push: the remote refuses anything but a fast-forward, and so do we."""
        try:
            target = f"{commit}:refs/heads/{branch}"
            run_git(self.root, "push", "--porcelain", self.customer.repo, target)
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
    """Clones live under `<cache>/customers/<name>-<hash of URL>`.

    Each is a bare mirror of the branches it needs: `refs/heads/*` are the remote's branches
    as last fetched; commits made here live under `refs/releaser/*` until pushed."""

    def __init__(self, cache: Path) -> None:
        self.cache = cache / "customers"

    def clone_dir(self, customer: Customer) -> Path:
        digest = hashlib.sha256(customer.repo.encode()).hexdigest()[:12]
        return self.cache / f"{customer.name}-{digest}"

    def open(self, customer: Customer, work_branch: str | None = None) -> GitCustomerRepo:
        root = self.clone_dir(customer)
        try:
            if not (root / "HEAD").is_file():
                self._clone(root, customer)
                specs = []
            else:
                specs = [f"+refs/heads/{customer.branch}:refs/heads/{customer.branch}"]
            if work_branch:
                specs.append(f"+refs/heads/{work_branch}*:refs/heads/{work_branch}*")
            if specs:
                run_git(root, "fetch", "--quiet", "--prune", "--no-tags", customer.repo, *specs)
        except GitError as err:
            raise GitError(
                f"cannot fetch {customer.name}'s repository {redact_url(customer.repo)} "
                f"(branch {customer.branch})",
                hint=err.message,
            ) from None
        return GitCustomerRepo(root, customer, work_branch)

    def _clone(self, root: Path, customer: Customer) -> None:
        """A bare, single-branch, shallow clone: one git process for the first read."""
        if root.exists():
            shutil.rmtree(root)  # a clone that died half-way; the cache is ours to redo
        root.parent.mkdir(parents=True, exist_ok=True)
        depth = [] if _is_plain_path(customer.repo) else ["--depth", "1"]
        args = ["clone", "--quiet", "--bare", "--no-tags", "--single-branch", *depth]
        run_git(root.parent, *args, "--branch", customer.branch, customer.repo, str(root))


def _is_plain_path(url: str) -> bool:
    """Local paths (not file:// URLs) ignore --depth; git warns, so do not ask."""
    return url.startswith(("/", "./", "../")) or (len(url) > 1 and url[1] == ":")

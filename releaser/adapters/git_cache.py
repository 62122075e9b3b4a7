"""Bare repositories releaser keeps in its cache (customer and kit clones), healed on use.

A run killed half-way can leave a clone with a `shallow.lock`, a ref `.lock`, a temporary
pack, missing objects, a damaged pack or no repository at all. The cache is ours: each use
first throws away a clone that shows such traces, and when a fetch or the check of the
fetched commits fails in a clone that turns out damaged, the clone is rebuilt once. Only a
failure in a fresh clone is the remote's.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from releaser.adapters.git import END_OF_OPTIONS, GitRemote, git_ok, run_git
from releaser.domain.errors import GitError

# What a killed git leaves behind: lock files and temporary packs or objects.
_LEFTOVER_SUFFIXES = (".lock",)
_LEFTOVER_PREFIXES = ("tmp_", "incoming-")


class CacheRepo:
    """A bare repository at `root`, fetched shallow from remotes given per call."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def fetch(self, remote: GitRemote, specs: Sequence[str], prune: bool = False) -> None:
        """Fetch `specs` (depth 1) and check every ref's commit and tree are whole."""
        with self._exclusive():
            self._fetch_healing(remote, specs, prune)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One releaser at a time heals and fetches a clone (other clones go on in
        parallel): a lock seen inside the clone then is a dead process's, not a concurrent
        run's. The lock is on the clone's directory, which a wipe empties but keeps; the
        kernel drops the lock of a killed run."""
        if self.root.is_symlink() or (self.root.exists() and not self.root.is_dir()):
            self.root.unlink()  # something else in its place: the cache is ours to redo
        self.root.mkdir(parents=True, exist_ok=True)
        folder = os.open(self.root, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)  # releases the lock

    def _fetch_healing(self, remote: GitRemote, specs: Sequence[str], prune: bool) -> None:
        fresh = self._prepare()
        try:
            self._fetch_checked(remote, specs, prune)
        except GitError:
            if fresh or self.intact():
                raise  # the cache is fine: the remote failed
            self.wipe()
            self._prepare()
            self._fetch_checked(remote, specs, prune)

    def _fetch_checked(self, remote: GitRemote, specs: Sequence[str], prune: bool) -> None:
        args = ["fetch", "--quiet", "--no-tags", "--depth", "1", *(["--prune"] if prune else [])]
        run_git(self.root, *args, END_OF_OPTIONS, remote.url, *specs, remote=remote)
        if not self._objects_whole():
            raise GitError(f"the cache clone {self.root} is damaged")

    def _prepare(self) -> bool:
        """Make sure a usable bare repository is there; True when it was (re)made."""
        if self.usable():
            return False
        self.wipe()
        run_git(self.root, "init", "--quiet", "--bare")
        return True

    def usable(self) -> bool:
        """A bare repository with no trace of a killed git."""
        if not (self.root / "HEAD").is_file() or not (self.root / "objects").is_dir():
            return False
        return not any(_is_leftover(name) for _, _, names in os.walk(self.root) for name in names)

    def intact(self) -> bool:
        return self.usable() and self._objects_whole()

    def _objects_whole(self) -> bool:
        """Every ref's commit and its whole tree are present and hash right."""
        return git_ok(self.root, "rev-list", "--objects", "--verify-objects", "--no-walk", "--all")

    def wipe(self) -> None:
        """Empty the clone's directory (kept: it carries the lock of `_exclusive`)."""
        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()


def _is_leftover(name: str) -> bool:
    return name.endswith(_LEFTOVER_SUFFIXES) or name.startswith(_LEFTOVER_PREFIXES)

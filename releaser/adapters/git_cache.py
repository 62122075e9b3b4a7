"""Bare repositories releaser keeps in its cache (customer and kit clones), healed on use.

A run killed half-way can leave a clone with a `shallow.lock`, a ref `.lock`, a temporary
pack, missing objects, a damaged pack or no repository at all. The cache is ours: each use
first throws away a clone that shows such traces, and when a fetch or the check of the
fetched commits fails in a clone that turns out damaged, the clone is rebuilt once. Only a
failure in a fresh clone is the remote's.

A clone whose refs already hold what the remote's branches point at is not fetched again:
`git ls-remote` asks the remote (a depth-1 fetch always transfers a whole pack, even when
nothing changed), so a warm read still sees the remote's current head.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from releaser.adapters.git import END_OF_OPTIONS, GitRemote, git_ok, run_git
from releaser.domain.errors import GitError

# What a killed git leaves behind: lock files and temporary packs or objects.
_LEFTOVER_SUFFIXES = (".lock",)
_LEFTOVER_PREFIXES = ("tmp_", "incoming-")
_OBJECT_NAME = re.compile(r"[0-9a-f]{40}([0-9a-f]{24})?")


class CacheRepo:
    """A bare repository at `root`, fetched shallow from remotes given per call."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def fetch(self, remote: GitRemote, specs: Sequence[str], prune: bool = False) -> None:
        """Fetch `specs` (`+src:dst`, depth 1) unless the clone holds them as the remote has
        them now; either way check every ref's commit and tree are whole."""
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
            if fresh or not self._current(remote, specs, prune):
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

    def _current(self, remote: GitRemote, specs: Sequence[str], prune: bool) -> bool:
        """True when a fetch of `specs` would change no ref and the objects are whole."""
        parsed = [RefSpec.parse(spec) for spec in specs]
        heads_only = all(spec.src.startswith("refs/heads/") for spec in parsed)
        listed = run_git(self.root, "ls-remote", *(["--heads"] if heads_only else []),
                         END_OF_OPTIONS, remote.url, remote=remote)  # fmt: skip
        wanted = fetched_refs(parsed, _ref_lines(listed.decode()))
        if wanted is None:
            return False  # a branch asked for by name is gone: let the fetch say so
        local = self.refs()
        if any(local.get(ref) != sha for ref, sha in wanted.items()):
            return False
        pruned = [ref for ref in local if ref not in wanted and any(s.stores(ref) for s in parsed)]
        return not (prune and pruned) and self._objects_whole()

    def refs(self) -> dict[str, str]:
        """Every ref of the clone and its object name, read from its files (the loose refs,
        then `packed-refs` for the others): no git process per customer."""
        found: dict[str, str] = {}
        for path in (self.root / "refs").rglob("*"):
            try:
                text = path.read_text(encoding="ascii", errors="replace").strip()
            except OSError:  # a folder, or a ref packed meanwhile (read from packed-refs)
                continue
            if _OBJECT_NAME.fullmatch(text):  # not a symbolic ref
                found[path.relative_to(self.root).as_posix()] = text
        # Read second: `git pack-refs` writes packed-refs before it deletes the loose refs.
        try:
            packed = (self.root / "packed-refs").read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            packed = ""
        for line in packed.splitlines():
            sha, _, ref = line.partition(" ")
            if _OBJECT_NAME.fullmatch(sha):
                found.setdefault(ref, sha)
        return found

    def _prepare(self) -> bool:
        """Make sure a usable bare repository is there; True when it was (re)made."""
        if self.usable():
            return False
        self.wipe()
        # The files ref format, whatever the user's git defaults to: `refs` reads it.
        run_git(self.root, "-c", "init.defaultRefFormat=files", "init", "--quiet", "--bare")
        return True

    def usable(self) -> bool:
        """A bare repository keeping its refs in files, with no trace of a killed git."""
        if not (self.root / "HEAD").is_file() or not (self.root / "objects").is_dir():
            return False
        if (self.root / "reftable").exists():
            return False  # made by another git's defaults: rebuilt in the files format
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


@dataclass(frozen=True)
class RefSpec:
    """A fetch refspec `+src:dst`; each side may hold one `*` (matching any text, `/` too)."""

    src: str
    dst: str

    @classmethod
    def parse(cls, spec: str) -> RefSpec:
        src, _, dst = spec.removeprefix("+").partition(":")
        return cls(src, dst)

    def stores(self, ref: str) -> bool:
        """True when `ref` is a local ref this spec writes (and `--prune` may delete)."""
        return _glob_match(self.dst, ref) is not None

    def local(self, remote_ref: str) -> str | None:
        """Where the fetch stores the remote's `remote_ref`, or None if the spec skips it."""
        middle = _glob_match(self.src, remote_ref)
        return None if middle is None or not self.dst else self.dst.replace("*", middle, 1)


def fetched_refs(specs: Sequence[RefSpec], remote: Mapping[str, str]) -> dict[str, str] | None:
    """The local refs a fetch of `specs` leaves, and their objects, from the remote's refs;
    None when a spec without `*` names a ref the remote does not have (the fetch fails)."""
    wanted: dict[str, str] = {}
    for spec in specs:
        if "*" not in spec.src and spec.src not in remote:
            return None
        for ref, sha in remote.items():
            local = spec.local(ref)
            if local is not None:
                wanted[local] = sha
    return wanted


def _glob_match(pattern: str, ref: str) -> str | None:
    """What the `*` of `pattern` stands for in `ref` ("" without one), or None."""
    head, star, tail = pattern.partition("*")
    if not star:
        return "" if ref == pattern else None
    fits = len(ref) >= len(head) + len(tail) and ref.startswith(head) and ref.endswith(tail)
    return ref[len(head) : len(ref) - len(tail)] if fits else None


def _ref_lines(text: str) -> dict[str, str]:
    """`<object><TAB><ref>` lines (ls-remote's) as ref -> object, peeled `^{}` ones left out."""
    refs: dict[str, str] = {}
    for line in text.splitlines():
        sha, _, ref = line.partition("\t")
        if _OBJECT_NAME.fullmatch(sha) and not ref.endswith("^{}"):
            refs[ref] = sha
    return refs


def _is_leftover(name: str) -> bool:
    return name.endswith(_LEFTOVER_SUFFIXES) or name.startswith(_LEFTOVER_PREFIXES)

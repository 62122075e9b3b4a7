"""A git commit's files, read in-process from the object database (git as the fallback)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gitdb import GitDB  # type: ignore[import-untyped]
from gitdb.exc import BadObject  # type: ignore[import-untyped]

from releaser.adapters.git import END_OF_OPTIONS, git_ok, run_git
from releaser.domain.errors import GitError, UsageError

# What the pure-Python object database raises for a missing, odd or unreadable object.
_DB_ERRORS = (BadObject, OSError, ValueError, KeyError, IndexError, AssertionError)


class GitSnapshot:
    """The repository at one commit.

    Objects are read in-process through gitdb, the pure-Python object database under
    GitPython (loose objects and packs), which saves two git processes per customer on
    `rollout --status`; if that cannot read something, the git commands answer instead.
    `objects` is the object directory when `root` is not a bare repository."""

    def __init__(self, root: Path, commit: str, objects: Path | None = None) -> None:
        self.root = root
        self._commit = commit
        self._objects = objects or root / "objects"
        self._db: Any = None
        self._trees: dict[str, list[tuple[str, str, str]]] = {}

    @property
    def commit(self) -> str:
        return self._commit

    def _object(self, sha: str) -> tuple[bytes, bytes]:
        if self._db is None:
            self._db = GitDB(str(self._objects))
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
        if sha not in self._trees:
            self._trees[sha] = self._parse_tree(sha)
        return self._trees[sha]

    def _parse_tree(self, sha: str) -> list[tuple[str, str, str]]:
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

    def _subtree(self, under: str) -> str | None:
        """The tree object at folder `under` ("" for the top), or None."""
        tree = self._commit_fields()["tree"]
        for part in [p for p in under.split("/") if p]:
            match = [e for e in self._tree_entries(tree) if e[1] == part and e[0] == "40000"]
            if not match:
                return None
            tree = match[0][2]
        return tree

    def entries(self, under: str) -> list[str]:
        """The names of the files and folders directly in folder `under`."""
        try:
            tree = self._subtree(under)
            return sorted(e[1] for e in self._tree_entries(tree)) if tree else []
        except _DB_ERRORS:  # the object database could not say: ask git
            spec = f"{self._commit}:{under.strip('/')}"
            if not git_ok(self.root, "cat-file", "-e", END_OF_OPTIONS, spec):
                return []
            out = run_git(self.root, "ls-tree", "-z", "--name-only", END_OF_OPTIONS, spec)
            return sorted(p for p in out.decode().split("\0") if p)

    def _walk(self, under: str) -> dict[str, str]:
        """path -> blob sha for every file below `under`."""
        tree = self._subtree(under)
        if tree is None:
            return {}
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
        """The file mode of `path` (`100755` for an executable), `100644` for a new file."""
        folder, _, name = path.rpartition("/")
        try:
            tree = self._subtree(folder)
            found = [e[0] for e in self._tree_entries(tree) if e[1] == name] if tree else []
        except _DB_ERRORS:  # the object database could not say: ask git
            out = run_git(self.root, "ls-tree", "--full-tree", self._commit, "--", path).decode()
            found = [out.split(" ", 1)[0]] if out else []
        return found[0] if found else "100644"


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


class GitRefFiles:
    """The kit as committed at `ref`; objects are read straight from the git database."""

    def __init__(self, root: Path, ref: str) -> None:
        self.snapshot = GitSnapshot(root, *_resolve(root, ref))
        self._ref = ref

    @property
    def ref(self) -> str | None:
        return self._ref

    @property
    def label(self) -> str:
        return f"{self._ref} ({self.snapshot.commit[:7]})"

    def read_text(self, path: str) -> str | None:
        data = self.snapshot.read([path]).get(path)
        # surrogateescape: the YAML loader names the line of a byte that is not UTF-8
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def list_dir(self, path: str) -> list[str]:
        return self.snapshot.entries(path)


def _resolve(root: Path, ref: str) -> tuple[str, Path]:
    """The commit `ref` names in the repository at `root`, and that repository's objects."""
    args = ["rev-parse", "--path-format=absolute", "--git-common-dir", "--verify", "--quiet"]
    try:
        out = run_git(root, *args, END_OF_OPTIONS, f"{ref}^{{commit}}").decode().split("\n")
    except GitError:
        raise UsageError(
            f"unknown git ref '{ref}' in {root}",
            hint="use a branch, tag or commit that exists (git branch -a)",
        ) from None
    return out[1].strip(), Path(out[0]) / "objects"

"""The kit's files in the working tree, and the root of its checkout.

Reading the working tree (most commands) needs no git at all; the files at a ref are
`releaser.adapters.git_objects.GitRefFiles`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from releaser.domain.errors import UsageError

# A valid HEAD, as GitPython (and git) accept it: a symbolic ref or an object id.
_HEAD = re.compile(rb"ref:\s*refs/|[0-9a-fA-F]{40}")
# Variables that change where GitPython looks for the repository.
_GIT_ENV = ("GIT_DIR", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY", "GIT_WORK_TREE")


def find_repo_root(start: Path) -> Path:
    """The git root at or above `start` (as `git.Repo(start, search_parent_directories=True)`
    finds it)."""
    return _plain_root(start) or _git_repo_root(start)


def _plain_root(start: Path) -> Path | None:
    """The root of an ordinary checkout or linked worktree, found without GitPython.

    None for anything less usual (no repository, bare repositories, broken or shared `.git`,
    GIT_* variables, `~` or `$` to expand): GitPython then decides, with its own answer and
    errors. Like GitPython, symbolic links in `start` are kept (the path is only made
    absolute and normalised)."""
    text = os.fspath(start)
    if any(name in os.environ for name in _GIT_ENV) or "$" in text or text.startswith("~"):
        return None
    try:
        here = Path(os.path.normpath(os.path.abspath(text)))
        if not here.exists():
            return None
        for folder in (here, *here.parents):
            dotgit = folder / ".git"
            if dotgit.is_dir() and not dotgit.is_symlink():
                return folder if _plain_git_dir(dotgit) else None
            if dotgit.exists() or dotgit.is_symlink():
                return folder if _worktree_gitfile(dotgit) else None
            if (folder / "HEAD").exists():  # perhaps a bare repository: GitPython's case
                return None
    except (OSError, ValueError):
        return None
    return None


def _valid_head(git_dir: Path) -> bool:
    head = git_dir / "HEAD"
    return not head.is_symlink() and bool(_HEAD.match(head.read_bytes()[:256]))


def _plain_git_dir(git_dir: Path) -> bool:
    """A `.git` directory with its own objects and refs (no `commondir` indirection)."""
    if (git_dir / "commondir").exists() or (git_dir / "commondir").is_symlink():
        return False
    return _valid_head(git_dir) and (git_dir / "objects").is_dir() and (git_dir / "refs").is_dir()


def _worktree_gitfile(dotgit: Path) -> bool:
    """`gitdir: PATH` naming a linked worktree's directory, whose objects and refs live in
    the directory its `commondir` names."""
    text = dotgit.read_bytes().decode().rstrip("\r\n")
    if not text.startswith("gitdir: ") or len(text) < 9:
        return False
    target = Path(os.path.normpath(dotgit.parent / text[8:]))
    common = (target / "commondir").read_bytes().decode().rstrip("\r\n")
    shared = Path(os.path.realpath(target / common)) if common else None
    return (
        shared is not None
        and _valid_head(target)
        and (shared / "objects").is_dir()
        and (shared / "refs").is_dir()
    )


def _git_repo_root(start: Path) -> Path:
    import git

    try:
        repo = git.Repo(start, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError(
            f"{start} is not inside a git repository",
            hint="run releaser inside the kit checkout or pass --kit PATH",
        ) from None
    return Path(repo.working_tree_dir or start)


class WorktreeFiles:
    """The kit as it is on disk."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def ref(self) -> str | None:
        return None

    @property
    def label(self) -> str:
        return "working tree"

    def read_text(self, path: str) -> str | None:
        file = self.root / path
        # Undecodable bytes stay as surrogates: the YAML loader names their line.
        return file.read_bytes().decode("utf-8", "surrogateescape") if file.is_file() else None

    def list_dir(self, path: str) -> list[str]:
        folder = self.root / path
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

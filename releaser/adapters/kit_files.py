"""The kit's files from the working tree or from any git ref, without checking it out."""

from __future__ import annotations

from pathlib import Path

import git

from releaser.domain.errors import GitError, UsageError


def find_repo_root(start: Path) -> Path:
    """The git root at or above `start`."""
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
        return file.read_text(encoding="utf-8") if file.is_file() else None

    def list_dir(self, path: str) -> list[str]:
        folder = self.root / path
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


class GitRefFiles:
    """The kit as committed at `ref`; objects are read straight from the git database."""

    def __init__(self, root: Path, ref: str) -> None:
        self.repo = git.Repo(root)
        try:
            self.commit = self.repo.commit(ref)
        except (git.BadName, ValueError, git.GitCommandError):
            raise UsageError(
                f"unknown git ref '{ref}' in {root}",
                hint="use a branch, tag or commit that exists (git branch -a)",
            ) from None
        self._ref = ref

    @property
    def ref(self) -> str | None:
        return self._ref

    @property
    def label(self) -> str:
        return f"{self._ref} ({self.commit.hexsha[:7]})"

    def read_text(self, path: str) -> str | None:
        try:
            blob = self.commit.tree / path
        except KeyError:
            return None
        if blob.type != "blob":
            return None
        try:
            return bytes(blob.data_stream.read()).decode("utf-8")
        except (ValueError, git.GitCommandError) as err:
            raise GitError(f"cannot read {path} at {self.label}: {err}") from None

    def list_dir(self, path: str) -> list[str]:
        try:
            tree = self.commit.tree / path
        except KeyError:
            return []
        return sorted(item.name for item in tree) if tree.type == "tree" else []

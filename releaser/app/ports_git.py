"""Ports of the release use cases (cut, hotfix, releases): the kit repository, the
compatibility gate, upstream change notes, customer references, the clock and the renderer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from releaser.app.ports import KitFiles
from releaser.domain.changelog import ChangelogEntry
from releaser.domain.charts import ChartChange
from releaser.domain.kit import Component, Kit
from releaser.domain.repo_refs import BranchRef, CommitInfo
from releaser.domain.unverified import Unverified


class ReleaseRepo(Protocol):
    """The kit's git repository. Writes never touch the working tree, except `sync_worktree`."""

    remote: str

    def resolve(self, ref: str) -> str | None:
        """The commit `ref` names, or None."""
        ...

    def local_branch(self, branch: str) -> str | None: ...

    def has_remote(self) -> bool: ...

    def remote_branches(self, prefix: str) -> dict[str, str] | None:
        """Branches under `prefix` on the remote itself (asks it); None without a remote.
        Raises GitError when the remote cannot be reached."""
        ...

    def release_branches(self) -> list[BranchRef]:
        """Every `release/*` branch, local and remote-tracking (no network)."""
        ...

    def head_branch(self) -> str | None:
        """The branch checked out in the working tree, None when detached."""
        ...

    def dirty_paths(self) -> list[str]: ...

    def worktree_matches(self, commit: str) -> bool:
        """Index and tracked files are exactly `commit`'s tree."""
        ...

    def files(self, commit: str) -> KitFiles: ...

    def commit_info(self, commit: str) -> CommitInfo: ...

    def is_ancestor(self, ancestor: str, commit: str) -> bool: ...

    def write_commit(self, parent: str, files: Mapping[str, str], message: str) -> str:
        """A new commit on `parent` with `files` replaced; only objects are written."""
        ...

    def create_branch(self, branch: str, commit: str) -> None:
        """Create `branch` at `commit`; GitError when it exists (compare-and-swap)."""
        ...

    def move_branch(self, branch: str, new: str, old: str) -> None:
        """Move `branch` from `old` to `new`; GitError when it is not at `old` any more."""
        ...

    def sync_worktree(self, branch: str, old: str, new: str) -> bool:
        """When `branch` is checked out, bring index and files from `old` to `new` (which
        refuses to overwrite local changes). True when the working tree was updated."""
        ...

    def push(self, branches: Sequence[str]) -> None:
        """Push these branches to the remote in one atomic push, never forced."""
        ...


class CompatGate(Protocol):
    """The compatibility engine as the release commands need it."""

    def failures(self, kit: Kit) -> list[str]:
        """Messages of the `fail` cells in the kit's Kubernetes range."""
        ...

    def warnings(self, kit: Kit) -> list[str]:
        """Deprecations and lifecycle warnings worth calling out in the changelog."""
        ...

    def unverified(self, kit: Kit) -> list[Unverified]:
        """Components no verdict could judge: their upstream could not be read."""
        ...

    def summary(self, kit: Kit) -> str:
        """One line: what was judged, and under which evaluator profiles."""
        ...


class ChangesLookup(Protocol):
    def changes(
        self, component: Component, from_version: str, to_version: str
    ) -> list[ChartChange]:
        """The upstream `artifacthub.io/changes` of the releases after `from_version` up to
        `to_version`; empty when the index has none."""
        ...


class CustomerVersions(Protocol):
    def versions(self) -> dict[str, str]:
        """Customer name -> the kit branch its repository references (`release/2024.2`)."""
        ...


class ChangelogRenderer(Protocol):
    def render(self, entry: ChangelogEntry) -> str: ...


class Clock(Protocol):
    def today(self) -> date: ...

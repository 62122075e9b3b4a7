"""The write boundary shared by `cut` and `hotfix`: build every commit, then move refs.

Order is the guarantee: all objects first (invisible until a ref points at them), then the
release branch (created or compare-and-swapped), then the source branch (compare-and-swap),
then the working tree when that branch is checked out, then one atomic push. A run killed at
any boundary leaves nothing, or a state the same command recognises by the commit trailers
and finishes. `--dry-run` stops before the first write and shows the same plan.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from releaser.app.ports_git import ReleaseRepo
from releaser.domain.errors import GitError


@dataclass(frozen=True)
class BranchUpdate:
    """One commit to add on top of `base`, then `branch` moved (or created) to it."""

    branch: str
    base: str  # parent of the new commit
    old: str | None  # the branch's current commit; None: create it (must not exist)
    files: Mapping[str, str]  # path -> new text
    before: Mapping[str, str | None]  # path -> text at `base` (None: absent), for dry runs
    message: str

    @property
    def subject(self) -> str:
        return self.message.splitlines()[0]


@dataclass(frozen=True)
class WritePlan:
    updates: tuple[BranchUpdate, ...]
    push: tuple[str, ...] = ()  # branches to push atomically, in this order


@dataclass(frozen=True)
class WriteResult:
    commits: dict[str, str] = field(default_factory=dict)  # branch -> new commit
    worktree_updated: bool = False
    pushed: tuple[str, ...] = ()


def apply_plan(repo: ReleaseRepo, plan: WritePlan) -> WriteResult:
    commits = {u.branch: repo.write_commit(u.base, u.files, u.message) for u in plan.updates}
    synced = False
    for update in plan.updates:
        new = commits[update.branch]
        if update.old is None:
            repo.create_branch(update.branch, new)
        else:
            repo.move_branch(update.branch, new, update.old)
        if update.old is not None:
            synced = repo.sync_worktree(update.branch, update.old, new) or synced
    if plan.push:
        push(repo, plan.push)
    return WriteResult(commits, synced, plan.push)


def push(repo: ReleaseRepo, branches: Sequence[str]) -> None:
    if not repo.has_remote():
        raise GitError(
            f"cannot push: the kit repository has no remote '{repo.remote}'",
            hint=f"add it with `git remote add {repo.remote} URL`, or run without --push",
        )
    repo.push(branches)


def catch_up_worktree(repo: ReleaseRepo, branch: str, tip: str, parent: str) -> bool:
    """After a run stopped between moving `branch` and updating the checkout: bring the
    files forward when they still are exactly the previous commit's."""
    if repo.head_branch() != branch or repo.worktree_matches(tip):
        return False
    if not repo.worktree_matches(parent):
        return False
    return repo.sync_worktree(branch, parent, tip)

"""`hotfix VERSION --revert`: the next patch restores what the last hotfix changed.

A hotfix only ever moves components up, since it reaches every customer on the branch
without a rollout; its revert is the one exception, and only back to the exact versions that
hotfix replaced. Revert commits carry `Releaser-Revert: <patch>`; reverts stack like undo (a
second revert undoes the hotfix before the one already undone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from releaser.domain.diff import diff_kits
from releaser.domain.errors import ProblemsFound
from releaser.domain.kit import Kit
from releaser.domain.release_rules import CUT_TRAILER, HOTFIX_TRAILER, Fix, trailer

REVERT_TRAILER = "Releaser-Revert"


@dataclass(frozen=True)
class HistoryCommit:
    """One commit of the release branch, newest first, as the revert reads it."""

    sha: str
    message: str


def hotfix_to_revert(history: Sequence[HistoryCommit]) -> tuple[HistoryCommit, str] | None:
    """The newest hotfix commit on the branch (and its patch) not already reverted; None
    when the walk reaches the cut of the release first."""
    reverted: set[str] = set()
    for commit in history:
        if trailer(commit.message, CUT_TRAILER):
            return None
        undone = trailer(commit.message, REVERT_TRAILER)
        patch = trailer(commit.message, HOTFIX_TRAILER)
        if undone:
            reverted.add(undone)
        elif patch and patch not in reverted:
            return commit, patch
    return None


def revert_fixes(before: Kit, after: Kit, now: Kit, patch: str) -> list[Fix]:
    """The fixes that move every component hotfix `patch` changed (`before` → `after`) back,
    from the branch as it is `now`; refused when a later change moved one of them again."""
    fixes: list[Fix] = []
    for change in diff_kits(before, after, "before", patch).changed:
        current = now.component(change.name)
        if current is None or current.version != change.to_version:
            have = current.version if current else "absent"
            raise ProblemsFound(
                f"{change.name} is {have} now, not {change.to_version} as hotfix {patch} left "
                "it: a later change moved it, so the revert would undo that too",
                hint=f"fix it forward with `releaser hotfix --set {change.name}=VERSION`",
            )
        fixes.append(Fix(change.name, change.section, change.to_version, change.from_version))
    if not fixes:
        raise ProblemsFound(f"hotfix {patch} changed no component version: nothing to revert")
    return fixes

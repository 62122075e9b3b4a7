"""Text for `cut` and `hotfix`: what was (or, with --dry-run, would be) committed and pushed."""

from __future__ import annotations

import difflib

from releaser.app.release_commits import BranchUpdate, WritePlan, WriteResult
from releaser.render import output


def _file_diff(path: str, before: str | None, after: str) -> list[str]:
    lines = difflib.unified_diff(
        (before or "").splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"a/{path}" if before is not None else "/dev/null",
        tofile=f"b/{path}",
    )
    return [line.rstrip("\n") for line in lines]


def _describe(update: BranchUpdate) -> str:
    action = "create" if update.old is None else "move"
    return f"{action} {update.branch}: new commit on {update.base[:12]}: {update.subject}"


def render_dry_run(plan: WritePlan, remote: str) -> str:
    out = []
    for update in plan.updates:
        out.append(f"would {_describe(update)}")
        out.append("")
        out += [("  " + line).rstrip() for line in update.message.rstrip("\n").splitlines()]
        out.append("")
        for path, text in update.files.items():
            out += _file_diff(path, update.before.get(path), text)
        out.append("")
    if not plan.updates:
        out.append("nothing to commit")
    if plan.push:
        out.append(f"would push {', '.join(plan.push)} to {remote} (atomic, never forced)")
    return output.terminal("\n".join(out).rstrip("\n"))


def render_written(plan: WritePlan, written: WriteResult, remote: str) -> str:
    out = [
        f"{'created' if u.old is None else 'updated'} {u.branch}: "
        f"{written.commits[u.branch][:12]} {u.subject}"
        for u in plan.updates
    ]
    if written.worktree_updated:
        out.append("working tree updated to the new commit")
    if written.pushed:
        out.append(f"pushed {', '.join(written.pushed)} to {remote}")
    return output.terminal("\n".join(out) if out else "nothing left to do")

"""A rollout's outcome and the fleet's status, as terminal text or JSON.

Blocks, notes and gate lines carry Argo CD and git messages: they leave as terminal text
(no escape sequences), redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from releaser.render import output, style
from releaser.render.sanitize import one_line
from releaser.render.style import Styled
from releaser.render.text import table

# Types only: `rollout --help` does not import the use case.
if TYPE_CHECKING:
    from releaser.app.rollout import RolloutResult
    from releaser.app.rollout_read import FleetStatus, StatusRow

STATUS_HEADERS = ("CUSTOMER", "VERSION", "KUBERNETES", "LAST", "OUTCOME", "AT")
LIVE_HEADERS = ("SYNC", "HEALTH")
# An outcome's style: done as asked; stopped before changing anything; went wrong.
OUTCOME_STYLES = {"healthy": "ok", "pushed": "ok", "committed": "ok", "blocked": "warn",
                  "interrupted": "warn", "degraded": "fail", "failed": "fail",
                  "timeout": "fail", "error": "fail", "abandoned": "warn"}  # fmt: skip


def _outcome(value: str) -> str:
    return style.paint(value, OUTCOME_STYLES.get(value))


def result_json(result: RolloutResult) -> str:
    return output.json_text(result.as_dict())


def result_text(result: RolloutResult, direct: bool, push: bool) -> str:
    """What happened (or, for a dry run, would happen), one line per fact."""
    head = f"{result.customer}: {result.from_version} → {result.to_version}"
    lines = [f"  - {one_line(str(b))}" for b in result.blocks]
    if result.unverified and result.judged:  # a partial preflight: show what it did judge
        lines.append(f"  judged: {one_line(', '.join(result.judged))}")
    lines += [f"  note: {one_line(n)}" for n in result.notes]
    if result.outcome is None:
        where = "the customer's branch" if direct else f"releaser/{result.customer}-…"
        lines.append(f"  would rewrite: {', '.join(result.files) or 'nothing (already there)'}")
        lines.append(f"  would commit and {'push to ' + where if push else 'keep it local'}")
        passed = style.paint("dry run, preflight passed", "ok")
        return output.terminal("\n".join([f"{head}: {passed}", *lines]))
    if result.commit:
        made = "new commit" if result.created else "existing commit"
        lines.append(
            f"  {made} {result.commit[:12]}"
            + (f", on {result.pushed}" if result.pushed else ", not pushed (pass --push)")
        )
    lines += _review_lines(result)
    lines += [f"  gate: {one_line(g)}" for g in result.gate]
    return output.terminal("\n".join([f"{head}: {_outcome(result.outcome.value)}", *lines]))


def _review_lines(result: RolloutResult) -> list[str]:
    review = result.review
    if review is None:
        return []
    noun = "pull request" if review.provider == "github" else "merge request"
    if review.number is None:
        return [f"  {noun} requested with git push options"]
    done = "opened" if review.created else "updated"
    lines = [f"  {noun} #{review.number} {done}: {one_line(review.url or '')}"]
    if review.landed:
        lines.append(f"  merged: {review.landed[:12]} landed on the customer's branch")
    return lines


def status_json(status: FleetStatus) -> str:
    return output.json_text({"customers": [r.as_dict() for r in status.rows]})


def status_text(status: FleetStatus) -> str:
    headers = STATUS_HEADERS + LIVE_HEADERS * status.live
    rows = [_status_cells(r) + _live_cells(r) * status.live for r in status.rows]
    return output.terminal(table(headers, rows))


def _status_cells(row: StatusRow) -> tuple[str | Styled, ...]:
    data: dict[str, Any] = row.as_dict()
    last = data["last"] or {}
    # `?`: the release branch's kit.yaml could not be read, so its patch is unknown.
    unsure = "?" if row.release and not row.running else ""
    version = (data["version"] or data["detail"] or "?") + unsure
    return (row.customer.name, version, data["kubernetes"], last.get("to") or "-",
            _outcome_cell(last.get("outcome")), last.get("at") or "-")  # fmt: skip


def _outcome_cell(value: str | None) -> Styled:
    return Styled(value or "-", OUTCOME_STYLES.get(value or ""))


def _live_cells(row: StatusRow) -> tuple[str, ...]:
    live = row.live
    return (one_line(live.sync), one_line(live.health)) if live else ("-", "-")

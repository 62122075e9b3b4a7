"""A rollout's outcome as the log records it (the audit trail) and the webhook says it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from releaser.domain.rollout import blocking
from releaser.domain.rollout_history import ROLLOUT, audit_fields, waivers_of

if TYPE_CHECKING:  # the use case imports this module
    from releaser.app.rollout import RolloutPorts, RolloutRequest, RolloutResult


def log_outcome(
    ports: RolloutPorts, req: RolloutRequest, result: RolloutResult, started: str
) -> None:
    """Append the attempt to the rollout log, then notify (best effort)."""
    record = {
        "kind": ROLLOUT,
        "customer": result.customer,
        "from": result.from_version,
        "to": result.to_version,
        "outcome": result.outcome.value if result.outcome else None,
        "revert": result.revert,
        "commit": result.commit,
        "created": result.created,
        "pushed": result.pushed,
        "reasons": [str(b) for b in blocking(result.blocks)] + result.gate,
        "waivers": [w.as_dict() for w in waivers_of(result.blocks)],
        **audit_fields(ports.operator, req.command),
        "started": started,
        "pushedAt": result.pushed_at,
        "syncedAt": result.synced_at,
        "verdictAt": result.verdict_at,
        "review": result.review.as_dict() if result.review else None,
        "finished": ports.clock.now(),
    }
    ports.log.append(record)
    ports.notifier.send(notification(result))


def notification(result: RolloutResult) -> str:
    outcome = result.outcome.value if result.outcome else "dry-run"
    verb = " (revert)" if result.revert else ""
    text = (
        f"releaser: {result.customer} {result.from_version} → {result.to_version}{verb}: {outcome}"
    )
    if result.commit:
        text += f" (commit {result.commit[:12]}" + (
            f" on {result.pushed})" if result.pushed else ")"
        )
    if result.review is not None and result.review.url:
        text += f"\n{result.review.url}"
    reasons = [str(b) for b in blocking(result.blocks)] + result.gate
    return text + "".join(f"\n• {r}" for r in reasons[:10])

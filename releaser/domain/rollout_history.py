"""The rollout log read as history, and the audit fields written into each record.

A record is one attempt (`.releaser/rollouts.jsonl`): `kind` is `rollout` (the default, also
for records written before the field existed) or `hotfix` (a hotfix's health gate on one
customer); `campaign` records are a campaign's events, not attempts. A rollout "reached"
its customer when its branch was pushed (`pushed` is set), whatever the gate said afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from releaser.domain.errors import ProblemsFound
from releaser.domain.rollout import Block, Outcome
from releaser.domain.versions import InvalidVersion, KitVersion

ROLLOUT = "rollout"
HOTFIX = "hotfix"
CAMPAIGN = "campaign"  # a campaign's own events (releaser/domain/campaign_state.py)
# Outcomes after which --next may move on without --force.
SETTLED = (Outcome.HEALTHY.value, Outcome.BLOCKED.value)

Record = Mapping[str, Any]


@dataclass(frozen=True)
class Operator:
    """Who runs releaser and where: written into every log record and every lease."""

    actor: str  # git user.email, else the OS user
    host: str
    pid: int
    releaser: str  # releaser's version


@dataclass(frozen=True)
class Waiver:
    """A rule a run went past, the option (or fact) that accepted it, and exactly what."""

    rule: str
    option: str
    what: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "option": self.option, "what": list(self.what)}


def waivers_of(blocks: Sequence[Block]) -> list[Waiver]:
    """The waived blocks grouped by rule and option, each naming what it accepted."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for block in blocks:
        if block.waived:
            key = (block.rule, block.waiver or "?")
            grouped.setdefault(key, []).append(block.subject or block.message)
    return [Waiver(rule, option, tuple(what)) for (rule, option), what in grouped.items()]


def audit_fields(operator: Operator, command: str) -> dict[str, Any]:
    """Who, where, with which releaser and which command line (already without secrets)."""
    return {
        "actor": operator.actor,
        "host": operator.host,
        "releaser": operator.releaser,
        "command": command,
    }


def is_rollout(record: Record) -> bool:
    return bool(record.get("kind", ROLLOUT) == ROLLOUT)


def reached_customer(record: Record) -> bool:
    """A rollout whose commit was pushed to the customer's repository."""
    return is_rollout(record) and bool(record.get("pushed"))


def unsettled(records: Sequence[Record]) -> Record | None:
    """The last attempt that was not blocked, when it is not confirmed healthy."""
    for record in reversed(records):
        if record.get("outcome") == Outcome.BLOCKED.value or record.get("kind") == CAMPAIGN:
            continue
        return None if record.get("outcome") in SETTLED else record
    return None


def _version(text: Any) -> KitVersion | None:
    try:
        return KitVersion.parse(str(text))
    except InvalidVersion:
        return None


def reached(records: Sequence[Record], customer: str, target: KitVersion) -> bool:
    """A rollout of `customer` to `target`'s release was pushed before: --next does not
    take it again (a degraded or reverted one waits for `--customer`)."""
    for record in records:
        if record.get("customer") != customer or not reached_customer(record):
            continue
        version = _version(record.get("to"))
        if version is not None and version.release == target.release:
            return True
    return False


def rollout_to_revert(records: Sequence[Record], customer: str) -> Record | None:
    """The pushed rollout a revert undoes: the customer's last one not undone already.
    Reverts stack like undo: a second revert undoes the rollout before that one."""
    undone = 0
    for record in reversed(records):
        if record.get("customer") != customer or not reached_customer(record):
            continue
        if record.get("revert"):
            undone += 1
        elif undone:
            undone -= 1
        else:
            return record
    return None


def revert_target(records: Sequence[Record], customer: str, runs: KitVersion | None) -> KitVersion:
    """The version `customer` ran before the rollout that brought it to what it runs now."""
    record = rollout_to_revert(records, customer)
    if record is None:
        raise ProblemsFound(
            f"the rollout log has no pushed rollout of {customer} to revert",
            hint="move it explicitly: rollout --customer NAME --to VERSION --allow-downgrade",
        )
    before, after = _version(record.get("from")), _version(record.get("to"))
    when = record.get("finished") or record.get("started") or "?"
    moved = f"{record.get('from')} → {record.get('to')} ({when})"
    if before is None or after is None:
        raise ProblemsFound(f"{customer}'s last rollout {moved} did not leave one kit version")
    if runs is None or runs.release != after.release:
        raise ProblemsFound(
            f"{customer} runs {runs or 'no single kit version'}, not what its last rollout "
            f"{moved} moved it to: nothing to revert",
            hint="move it explicitly: rollout --customer NAME --to VERSION",
        )
    return before

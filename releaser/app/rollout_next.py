"""`rollout --next`: the first customer, in fleet order, that the target has not reached, is
not held, is not being rolled by another run, and whose preflight passes.

A held or blocked customer is logged `blocked` and passed over; one whose lease another run
holds is passed over. So a campaign never stalls behind one customer, and two runs at once
take different customers. Every customer passed over is listed with its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from releaser.app.rollout import (
    RolloutPorts,
    RolloutRequest,
    RolloutResult,
    guarded,
    newest_release,
)
from releaser.app.rollout_read import read_customer
from releaser.domain.errors import GitError, ProblemsFound
from releaser.domain.fleet import Customer, Fleet
from releaser.domain.lease import CustomerBusy
from releaser.domain.rollout import Outcome, blocking
from releaser.domain.rollout_history import reached, unsettled
from releaser.domain.versions import KitVersion


@dataclass(frozen=True)
class PassedOver:
    customer: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "reasons": list(self.reasons)}


@dataclass
class NextResult:
    target: KitVersion
    moved: RolloutResult | None = None  # None: no customer could move (or none had to)
    passed_over: list[PassedOver] = field(default_factory=list)


def roll_next(
    fleet: Fleet, template: RolloutRequest, ports: RolloutPorts, force: bool
) -> NextResult:
    """Roll the next customer that can move. `template` carries the options; its customer
    is replaced by each candidate in turn. Refuses while the last attempt is unsettled,
    unless `force`."""
    records = ports.log.records()
    last = unsettled(records)
    if last is not None and not force:
        raise ProblemsFound(
            f"the last rollout ({last.get('customer')} to {last.get('to')}) is "
            f"{last.get('outcome')}, not confirmed healthy",
            hint="confirm it with `rollout --customer NAME --push --wait`, or pass --force",
        )
    result = NextResult(template.target or newest_release(ports.kit))
    for customer in fleet.customers:
        if _move(fleet, template, ports, customer, result):
            break
    return result


def _move(
    fleet: Fleet,
    template: RolloutRequest,
    ports: RolloutPorts,
    customer: Customer,
    into: NextResult,
) -> bool:
    """Try `customer`; True when it moved (`into.moved`), else it is recorded as passed over
    or skipped because the target already reached it."""
    target = into.target
    try:
        if _reached(fleet, ports, customer, target):
            return False
    except GitError as err:
        into.passed_over.append(PassedOver(customer.name, (err.message,)))
        return False
    ports.progress(f"next: {customer.name}")
    request = replace(template, customer=customer, target=target, revert=False, force=False)
    try:
        moved = guarded(request, ports, target, lambda: _logged(ports, customer, target))
    except CustomerBusy as busy:
        into.passed_over.append(PassedOver(customer.name, (busy.message,)))
        return False
    if moved is None:  # another run reached it while we waited for the lease
        return False
    if moved.outcome is Outcome.BLOCKED:
        reasons = tuple(str(b) for b in blocking(moved.blocks))
        into.passed_over.append(PassedOver(customer.name, reasons))
        return False
    into.moved = moved
    return True


def _logged(ports: RolloutPorts, customer: Customer, target: KitVersion) -> bool:
    return reached(ports.log.records(), customer.name, target)


def _reached(fleet: Fleet, ports: RolloutPorts, customer: Customer, target: KitVersion) -> bool:
    """On the target (or newer) already, or an earlier rollout to it was pushed."""
    if _logged(ports, customer, target):
        return True
    snapshot = ports.repos.open(customer).base()
    state = read_customer(snapshot, customer, fleet.kit_repo_url, ports.parse_manifests).state
    return state.version is not None and state.version.release >= target.release

"""Holding a customer's lease for the length of one rollout (see `releaser.domain.lease`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

from releaser.app.ports_rollout import Clock
from releaser.domain.errors import GitError
from releaser.domain.fleet import Customer
from releaser.domain.lease import CustomerBusy, LeaseHolder, lease_ref
from releaser.domain.rollout import Block
from releaser.domain.rollout_history import Operator

# A lease outlives the longest wait of its run by this much; after that it is stale.
LEASE_MARGIN = 3600.0
_ATTEMPTS = 3  # a lease given back between our push and our look is simply retried
# What accepted taking over another run's lease, as its waiver names it.
EXPIRY = "its expiry"
GONE = "its holder's exit"


class CustomerLocks(Protocol):
    def take(self, customer: Customer, message: str, replacing: str | None) -> str | None:
        """Create the lease (or replace the lease commit `replacing`), atomically; its
        commit, or None when the remote refused because the lease exists or moved on."""
        ...

    def current(self, customer: Customer) -> tuple[str, str] | None:
        """(commit, message) of the customer's lease on its remote now, or None."""
        ...

    def give_back(self, customer: Customer, commit: str) -> None:
        """Delete the lease if it is still `commit`; GitError when that fails."""
        ...

    def gone(self, holder: LeaseHolder) -> bool:
        """True when `holder` was a process on this host that no longer runs."""
        ...


@contextmanager
def holding(
    customer: Customer,
    locks: CustomerLocks,
    holder: LeaseHolder,
    break_lock: bool,
    warn: Callable[[str], None],
) -> Iterator[list[Block]]:
    """Hold `customer`'s lease inside the block; it is given back however the block ends.
    Yields the waived block recording a lease taken over from another run (or nothing);
    raises `CustomerBusy` when another run holds it."""
    commit, taken_over = _acquire(customer, locks, holder, break_lock)
    try:
        yield taken_over
    finally:
        try:
            locks.give_back(customer, commit)
        except GitError as err:
            warn(
                f"warning: could not give back the lease {lease_ref(customer.name)} "
                f"({err.message}); it lapses at {holder.until}, or pass --break-lock"
            )


def new_holder(operator: Operator, command: str, clock: Clock, wait: float) -> LeaseHolder:
    return LeaseHolder.start(operator, command, clock.now(), wait + LEASE_MARGIN)


def _acquire(
    customer: Customer, locks: CustomerLocks, holder: LeaseHolder, break_lock: bool
) -> tuple[str, list[Block]]:
    message = holder.message(customer.name)
    for _ in range(_ATTEMPTS):
        commit = locks.take(customer, message, None)
        if commit is not None:
            return commit, []
        current = locks.current(customer)
        if current is None:
            continue
        other = LeaseHolder.parse(current[1])
        why = _take_over_reason(other, holder.since, break_lock, locks)
        if why is None:
            raise CustomerBusy(customer.name, other)
        commit = locks.take(customer, message, current[0])
        if commit is not None:
            return commit, [_taken_over(other, why)]
    raise GitError(
        f"could not take the lease {lease_ref(customer.name)} of {customer.name}: it changed "
        f"hands {_ATTEMPTS} times while releaser tried",
        hint="run the rollout again",
    )


def _take_over_reason(
    other: LeaseHolder | None, now: str, break_lock: bool, locks: CustomerLocks
) -> str | None:
    """Why another run's lease may be taken: asked to, it lapsed, or its process is gone
    (a run killed on this machine: its re-run finishes the job at once)."""
    if break_lock:
        return "--break-lock"
    if other is not None and other.expired(now):
        return EXPIRY
    if other is not None and locks.gone(other):
        return GONE
    return None


def _taken_over(other: LeaseHolder | None, why: str) -> Block:
    who = other.describe() if other else "an unreadable lease"
    lapse = f", lapsed at {other.until}" if other and why == EXPIRY else ""
    lapse += ", a process that no longer runs" if why == GONE else ""
    message = f"took over the lease of {who}{lapse}"
    return Block("lease", message, why, True, subject=who)

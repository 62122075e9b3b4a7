"""One operator per customer: a lease recorded on the customer's own remote.

The lease is a ref, `refs/releaser/lock/<customer>`, created by a push that fails when the
ref exists; its commit message says who holds it, from where, since and until when. Every
machine that can push to the customer's repository sees the same lease, so two runs, on one
machine or two, never roll the same customer at once. A lease whose `until` has passed
belongs to a run that died: the next run takes it over (with a compare-and-swap push).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from releaser.domain.errors import GitError
from releaser.domain.rollout_history import Operator

LEASE_PREFIX = "refs/releaser/lock/"
_FIELDS = ("actor", "host", "pid", "since", "until", "command")


def lease_ref(customer: str) -> str:
    return f"{LEASE_PREFIX}{customer}"


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a customer's lease; its commit message, and read back from one."""

    actor: str
    host: str
    pid: int
    since: str  # ISO 8601, UTC
    until: str  # after this instant the lease is stale and may be taken over
    command: str = ""

    @classmethod
    def start(cls, operator: Operator, command: str, now: str, seconds: float) -> LeaseHolder:
        until = datetime.fromisoformat(now) + timedelta(seconds=seconds)
        until_text = until.isoformat(timespec="seconds")
        return cls(operator.actor, operator.host, operator.pid, now, until_text, command)

    def message(self, customer: str) -> str:
        values = (self.actor, self.host, str(self.pid), self.since, self.until, self.command)
        body = "\n".join(f"{k}: {v}" for k, v in zip(_FIELDS, values, strict=True))
        return f"releaser lease on {customer}\n\n{body}\n"

    @classmethod
    def parse(cls, message: str) -> LeaseHolder | None:
        """The holder written by `message`; None when the commit is not a lease we wrote."""
        fields: dict[str, str] = {}
        for line in message.splitlines():
            key, sep, value = line.partition(": ")
            if sep and key in _FIELDS:
                fields[key] = value.strip()
        try:
            times = [datetime.fromisoformat(fields[k]) for k in ("since", "until")]
            pid = int(fields["pid"])
        except (KeyError, ValueError):
            return None
        if any(t.tzinfo is None for t in times):  # not comparable with our clock
            return None
        return cls(fields.get("actor", "?"), fields.get("host", "?"), pid,
                   fields["since"], fields["until"], fields.get("command", ""))  # fmt: skip

    def expired(self, now: str) -> bool:
        return datetime.fromisoformat(now) > datetime.fromisoformat(self.until)

    def describe(self) -> str:
        return f"{self.actor} on {self.host} (pid {self.pid}) since {self.since}"


class CustomerBusy(GitError):
    """Another run holds the customer's lease (exit 5): the message names that run."""

    def __init__(self, customer: str, holder: LeaseHolder | None) -> None:
        who = holder.describe() if holder else "a lease releaser cannot read"
        until = f" (it holds until {holder.until})" if holder else ""
        super().__init__(
            f"{customer} is being rolled out by {who}: the lease {lease_ref(customer)} on "
            f"its repository is taken{until}",
            hint="wait for that run to finish; if it died, pass --break-lock to take the lease",
        )
        self.customer = customer
        self.holder = holder

"""`campaign pause|resume|abort|approve|status`: act on a campaign's state, or show it.

Each control command appends one `campaign` record to the rollout log (nothing else); a
running `campaign run` reads it at its next customer or its next look while waiting. The
status is read from the log and the fleet alone: no repository is fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from releaser.app.campaign import waves_of
from releaser.app.campaign_run import CampaignLog, Ledger, unknown_wave
from releaser.app.rollout import RolloutPorts
from releaser.domain.campaign_state import ACTIVE, CampaignBook, Event, Status
from releaser.domain.errors import ProblemsFound, UsageError
from releaser.domain.fleet import Fleet
from releaser.domain.versions import KitVersion
from releaser.domain.waves import Wave


def control(
    event: Event,
    fleet: Fleet,
    target: KitVersion,
    ports: RolloutPorts,
    log: CampaignLog,
    command: str,
    wave: str | None = None,
) -> str:
    """`campaign pause|resume|abort|approve`: the record appended, or why none was needed
    (a sentence); refuses what the campaign's state does not allow."""
    ledger = Ledger(log, target, ports)
    book = ledger.refresh()
    if event is Event.APPROVED:
        return _approve(fleet, book, ledger, command, wave)
    allowed = {
        Event.PAUSED: (Status.RUNNING,),
        Event.RESUMED: (Status.PAUSED, Status.STOPPED),
        Event.ABORTED: ACTIVE,
    }[event]
    if book.status not in allowed:
        raise ProblemsFound(
            f"the campaign to {target} is {book.status.value}: nothing to {_verb(event)}",
            hint=f"see releaser campaign status {target}",
        )
    ledger.write(event, command)
    return f"the campaign to {target} is {event.value}"


def _verb(event: Event) -> str:
    return {Event.PAUSED: "pause", Event.RESUMED: "resume", Event.ABORTED: "abort"}[event]


def _approve(
    fleet: Fleet, book: CampaignBook, ledger: Ledger, command: str, wave: str | None
) -> str:
    gated = [w.name for w, _ in waves_of(fleet) if w.approval]
    names = [w.name for w, _ in waves_of(fleet)]
    if wave is None:
        waiting = [n for n in gated if n not in book.approved and n not in book.waves_finished]
        if not waiting:
            raise ProblemsFound(f"no wave of the campaign to {book.target} waits for approval")
        wave = waiting[0]
    elif wave not in names:
        raise unknown_wave(wave, names)
    elif wave not in gated:
        raise UsageError(f"wave {wave} needs no approval (it has no `approval: true`)")
    if wave in book.approved:
        return f"wave {wave} of the campaign to {book.target} was approved already"
    ledger.write(Event.APPROVED, command, wave=wave)
    return f"wave {wave} of the campaign to {book.target} is approved"


# --------------------------------------------------------------------------- status

PENDING = "pending"


@dataclass(frozen=True)
class CustomerStatus:
    name: str
    mark: str  # rolled | failed | passed-over | pending
    outcome: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "mark": self.mark, "outcome": self.outcome or None,
                "reasons": list(self.reasons)}  # fmt: skip


@dataclass(frozen=True)
class WaveStatus:
    wave: Wave
    state: str  # pending | awaiting-approval | running | finished | stopped
    customers: tuple[CustomerStatus, ...]

    def count(self, mark: str) -> int:
        return sum(1 for c in self.customers if c.mark == mark)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.wave.name, "state": self.state, "approval": self.wave.approval,
                "maxFailures": self.wave.max_failures,
                "customers": [c.as_dict() for c in self.customers]}  # fmt: skip


@dataclass(frozen=True)
class CampaignStatus:
    version: str
    status: str
    started: dict[str, Any] | None  # the `started` record: when and by whom
    last: dict[str, Any] | None  # the last campaign record
    waves: tuple[WaveStatus, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "status": self.status,
            "started": _fields(self.started, ("at", "actor")),
            "last": _fields(self.last, ("event", "wave", "at", "actor")),
            "waves": [w.as_dict() for w in self.waves],
        }


def campaign_status(fleet: Fleet, target: KitVersion, log: CampaignLog) -> CampaignStatus:
    """Where the campaign to `target` is, wave by wave, from one read of the log."""
    records, _ = log.read_from(0)
    book = CampaignBook(target).add_all(records)
    waves = tuple(
        WaveStatus(wave, _wave_state(book, wave), tuple(_customer(book, c.name) for c in members))
        for wave, members in waves_of(fleet)
    )
    return CampaignStatus(str(target), book.status.value, _plain(book.started),
                          _plain(book.last), waves)  # fmt: skip


def _wave_state(book: CampaignBook, wave: Wave) -> str:
    if wave.name == book.stopped_wave:
        return "stopped"
    if wave.name in book.waves_finished:
        return "finished"
    if wave.name in book.waves_started:
        return "running"
    if wave.approval and book.needs_approval(wave.name):
        return "awaiting-approval"
    return PENDING


def _customer(book: CampaignBook, name: str) -> CustomerStatus:
    settled = book.settled(name)
    if settled is None:
        return CustomerStatus(name, PENDING, "", ())
    return CustomerStatus(name, settled.mark.value, settled.outcome, settled.reasons)


def _plain(record: Any) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


def _fields(record: dict[str, Any] | None, keys: tuple[str, ...]) -> dict[str, Any] | None:
    return {key: record.get(key) for key in keys} if record is not None else None

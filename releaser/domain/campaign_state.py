"""A campaign's state, folded from the rollout log (`.releaser/rollouts.jsonl`).

The log is the campaign's only memory. `campaign run` and the control commands append records
of kind `campaign` (`started`, `wave-started`, `wave-finished`, `stopped`, `paused`,
`resumed`, `aborted`, `approved`, `finished`); each customer's rollout appends its own
`rollout` record as before. Folding both, one record at a time, says where the campaign is
and which customers of it are settled, so a run killed at any point resumes at the first
customer that has no settled record.

A campaign lives from its `started` to its `aborted` or `finished`; records after that belong
to the next campaign of the same version (an approval given ahead of it counts for it).
Customer marks outlive campaigns only when they are successes: a customer rolled to the
target stays rolled until a later rollout of it goes elsewhere (a revert).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from releaser.domain.rollout import Outcome
from releaser.domain.rollout_history import CAMPAIGN, Operator, audit_fields, is_rollout
from releaser.domain.versions import InvalidVersion, KitVersion

Record = Mapping[str, Any]


class Event(StrEnum):
    STARTED = "started"
    WAVE_STARTED = "wave-started"
    WAVE_FINISHED = "wave-finished"
    STOPPED = "stopped"  # a wave's failures went past its maxFailures
    PAUSED = "paused"
    RESUMED = "resumed"
    ABORTED = "aborted"
    APPROVED = "approved"
    FINISHED = "finished"


class Status(StrEnum):
    NONE = "not-started"
    RUNNING = "running"  # started; a run may be going on, or was killed and may resume
    PAUSED = "paused"
    STOPPED = "stopped"
    ABORTED = "aborted"
    FINISHED = "finished"


class Mark(StrEnum):
    """How a customer settled in the campaign."""

    ROLLED = "rolled"  # pushed (and healthy when its gate was waited for)
    FAILED = "failed"  # changed something and did not end well: counts against maxFailures
    PASSED_OVER = "passed-over"  # held or blocked by the preflight: nothing changed


ROLLED_OUTCOMES = (Outcome.HEALTHY.value, Outcome.PUSHED.value)
# A run stopped by Ctrl-C: not settled, the next run takes the customer again.
RETRIED_OUTCOMES = (Outcome.INTERRUPTED.value,)
# The state a control command may act on.
ACTIVE = (Status.RUNNING, Status.PAUSED, Status.STOPPED)


@dataclass(frozen=True)
class Settled:
    mark: Mark
    reasons: tuple[str, ...] = ()
    outcome: str = ""


@dataclass
class CampaignBook:
    """The campaign to `target`, as far as the records added so far tell."""

    target: KitVersion
    status: Status = Status.NONE
    started: Record | None = None
    last: Record | None = None  # the last campaign record, for `status`
    approved: set[str] = field(default_factory=set)
    waves_started: set[str] = field(default_factory=set)
    waves_finished: dict[str, Record] = field(default_factory=dict)
    accepted: set[str] = field(default_factory=set)  # stopped waves resumed past their failures
    stopped_wave: str | None = None
    rolled: dict[str, Settled] = field(default_factory=dict)  # whichever run rolled them
    marks: dict[str, Settled] = field(default_factory=dict)  # failed, passed over: this campaign

    def add_all(self, records: Iterable[Record]) -> CampaignBook:
        for record in records:
            self.add(record)
        return self

    def add(self, record: Record) -> None:
        if record.get("kind") == CAMPAIGN:
            if _same_release(record.get("version"), self.target):
                self._campaign(record)
        elif is_rollout(record) and record.get("customer") is not None:
            self._rollout(record)

    def settled(self, customer: str) -> Settled | None:
        return self.rolled.get(customer) or self.marks.get(customer)

    def failures(self, members: Iterable[str]) -> list[str]:
        return [n for n in members if (s := self.marks.get(n)) and s.mark is Mark.FAILED]

    def needs_approval(self, wave: str) -> bool:
        return wave not in self.approved

    # ------------------------------------------------------------------ folding

    def _campaign(self, record: Record) -> None:
        event = record.get("event")
        wave = str(record.get("wave") or "")
        if event == Event.STARTED:
            self._start(record)
        elif event == Event.APPROVED:
            self.approved.add(wave)
        elif event == Event.WAVE_STARTED:
            self.waves_started.add(wave)
        elif event == Event.WAVE_FINISHED:
            self.waves_finished[wave] = record
        elif event == Event.STOPPED:
            self.status, self.stopped_wave = Status.STOPPED, wave
        elif event == Event.PAUSED:
            self.status = Status.PAUSED
        elif event == Event.RESUMED:
            self._resume()
        elif event in (Event.ABORTED, Event.FINISHED):
            self.status = Status(event)
        self.last = record

    def _start(self, record: Record) -> None:
        """A new campaign: what an ended one recorded goes; approvals given ahead of this
        one and the customers rolled already stay."""
        if self.status in (Status.ABORTED, Status.FINISHED):
            self.approved = set()
        self.waves_started, self.waves_finished, self.accepted = set(), {}, set()
        self.stopped_wave, self.marks = None, {}
        self.status, self.started = Status.RUNNING, record

    def _resume(self) -> None:
        if self.stopped_wave is not None:
            self.accepted.add(self.stopped_wave)  # resumed past its failures
        self.status, self.stopped_wave = Status.RUNNING, None

    def _rollout(self, record: Record) -> None:
        name = str(record["customer"])
        self.rolled.pop(name, None)  # the latest attempt on a customer says where it is
        self.marks.pop(name, None)
        outcome = str(record.get("outcome"))
        if record.get("revert") or not _same_release(record.get("to"), self.target):
            return  # moved elsewhere
        if outcome in RETRIED_OUTCOMES:
            return
        reasons = tuple(str(r) for r in record.get("reasons") or ())
        if outcome in ROLLED_OUTCOMES:
            self.rolled[name] = Settled(Mark.ROLLED, reasons, outcome)
        elif self.status is Status.NONE:
            return  # a failure before the campaign: the campaign tries it again
        elif outcome == Outcome.BLOCKED.value:
            self.marks[name] = Settled(Mark.PASSED_OVER, reasons, outcome)
        else:
            self.marks[name] = Settled(Mark.FAILED, reasons, outcome)


def _same_release(text: Any, target: KitVersion) -> bool:
    try:
        return KitVersion.parse(str(text)).release == target.release
    except InvalidVersion:
        return False


def book_of(records: Iterable[Record], target: KitVersion) -> CampaignBook:
    return CampaignBook(target).add_all(records)


def campaign_record(
    event: Event,
    target: KitVersion,
    operator: Operator,
    command: str,
    at: str,
    **fields: Any,
) -> dict[str, Any]:
    """One campaign record: what happened, to which campaign, when, by whom."""
    return {
        "kind": CAMPAIGN,
        "event": event.value,
        "version": str(target),
        "at": at,
        **fields,
        **audit_fields(operator, command),
    }

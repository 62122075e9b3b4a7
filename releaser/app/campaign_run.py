"""`campaign run`: the waves in order, each customer through the rollout step.

Within a wave up to `maxParallel` customers (or `--parallel`) roll at once, each under its
lease (`rollout_lease`), each only once its maintenance window is open: a customer whose
window is closed is deferred, the wave's open customers go first, and the run then waits
for the next window to open. A rollout started inside its window finishes even when the
window closes meanwhile. A wave that settled more failures than its `maxFailures` stops the
campaign; a wave with `approval: true` waits for `campaign approve`; a wave's `soak` is
waited after it, before the next one.

Everything the run decides is recorded in the rollout log (releaser/domain/campaign_state.py)
and read back from it, a few bytes at a time, by one `Ledger`: `campaign pause`/`abort` take
effect at the next customer, and a killed run resumes at the first unsettled customer (its
rollout is idempotent: no second commit; its lease is taken over from the dead run).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from releaser.app.campaign import shared_in_turns, waves_of
from releaser.app.rollout import RolloutPorts, RolloutRequest, RolloutResult, guarded
from releaser.domain.campaign_state import (
    CampaignBook,
    Event,
    Mark,
    Status,
    campaign_record,
)
from releaser.domain.errors import ProblemsFound, ReleaserError, UsageError
from releaser.domain.fleet import Customer, Fleet
from releaser.domain.kit_schema import did_you_mean
from releaser.domain.lease import CustomerBusy
from releaser.domain.rollout import Outcome, blocking
from releaser.domain.versions import KitVersion
from releaser.domain.waves import Wave, WindowQueue

BUSY = "busy"  # another run holds the customer's lease: not settled, the wave not finished


class CampaignLog(Protocol):
    def append(self, record: dict[str, Any]) -> None: ...

    def read_from(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """Records appended after byte `offset`, and the offset after them."""
        ...


@dataclass(frozen=True)
class RunOptions:
    target: KitVersion
    only_wave: str | None = None  # run this wave only (the waves before it finished)
    parallel: int | None = None  # customers at once in every wave, instead of maxParallel
    direct: bool = False  # push to each customer's branch itself, not a rollout branch
    wait: bool = True  # customers with `argocd:` wait for their health gate
    timeout: float = 900.0
    poll: float = 5.0  # Argo CD polls, and how often a waiting run looks at the log
    command: str = ""  # the command line, for the audit trail
    pr: bool = False  # each rollout as a pull/merge request (`review:`), gated after its merge


@dataclass(frozen=True)
class CustomerRun:
    customer: str
    mark: str  # a `Mark` value, or BUSY
    outcome: str = ""
    reasons: tuple[str, ...] = ()
    commit: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "mark": self.mark, "outcome": self.outcome,
                "reasons": list(self.reasons), "commit": self.commit}  # fmt: skip


@dataclass
class WaveRun:
    wave: Wave
    customers: list[CustomerRun] = field(default_factory=list)
    skipped: int = 0  # settled before this run

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.wave.name, "skipped": self.skipped,
                "customers": [c.as_dict() for c in self.customers]}  # fmt: skip


@dataclass
class CampaignRun:
    version: str
    ended: str  # finished | wave-finished (--wave) | paused | aborted | stopped | unfinished
    message: str
    waves: list[WaveRun] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.ended in ("finished", "wave-finished", "paused", "aborted")

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "ended": self.ended, "message": self.message,
                "waves": [w.as_dict() for w in self.waves]}  # fmt: skip


# --------------------------------------------------------------------------- the ledger


class Ledger:
    """The campaign's book, kept current by reading only what the log gained since the last
    look (a run of thousands of customers never reads the log twice); shared by threads."""

    def __init__(self, log: CampaignLog, target: KitVersion, ports: RolloutPorts) -> None:
        self.log, self.ports = log, ports
        self.book = CampaignBook(target)
        self._offset = 0
        self._lock = threading.Lock()

    def refresh(self) -> CampaignBook:
        with self._lock:
            records, self._offset = self.log.read_from(self._offset)
            self.book.add_all(records)
            return self.book

    def settled(self, customer: str) -> bool:
        return self.refresh().settled(customer) is not None

    def write(self, event: Event, command: str, **fields: Any) -> CampaignBook:
        now = self.ports.clock.now()
        record = campaign_record(event, self.book.target, self.ports.operator, command, now,
                                 **fields)  # fmt: skip
        self.log.append(record)
        return self.refresh()


# --------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class _Run:
    """What every step of one run reads: the rollout ports (kit and verdicts shared in
    turns), the ledger, the options and the kit's repository URL."""

    ports: RolloutPorts
    ledger: Ledger
    options: RunOptions
    kit_url: str


def run_campaign(
    fleet: Fleet, options: RunOptions, ports: RolloutPorts, log: CampaignLog
) -> CampaignRun:
    """Run (or resume) the campaign to `options.target`, until it finishes, stops at a
    wave's failure budget, or is paused or aborted."""
    ledger = Ledger(log, options.target, ports)
    book = ledger.refresh()
    _refuse_to_run(book)
    waves = _chosen_waves(fleet, options.only_wave, book)
    shared = shared_in_turns(ports)
    shared.kit.load(options.target)  # read once, before the threads: every preflight needs it
    if book.status is not Status.RUNNING:
        names = [{"name": w.name, "customers": len(m)} for w, m in waves_of(fleet)]
        ledger.write(Event.STARTED, options.command, waves=names)
    ctx = _Run(shared, ledger, options, fleet.kit_repo_url)
    run = CampaignRun(str(options.target), "finished", "")
    previous = _previous_wave(fleet, waves[0][0])
    for wave, members in waves:
        ended = _wave_turn(ctx, wave, previous, members, run)
        if ended is not None:
            return ended
        previous = wave
    if options.only_wave is not None and options.only_wave != waves_of(fleet)[-1][0].name:
        run.ended, run.message = "wave-finished", f"wave {options.only_wave} finished"
        return run
    ledger.write(Event.FINISHED, options.command)
    run.message = f"the campaign to {options.target} finished"
    return run


def _wave_turn(
    ctx: _Run, wave: Wave, previous: Wave | None, members: tuple[Customer, ...], run: CampaignRun
) -> CampaignRun | None:
    """Wait for the wave's turn, run it; the run's end when the campaign stops here."""
    if wave.name in ctx.ledger.refresh().waves_finished:
        return None
    halted = _wait_for_turn(ctx, wave, previous)
    if halted is not None:
        return _halted(run, halted, f"before wave {wave.name}")
    result = WaveRun(wave)
    run.waves.append(result)
    return _run_wave(ctx, wave, members, result, run)


def _refuse_to_run(book: CampaignBook) -> None:
    version = book.target
    if book.status is Status.PAUSED:
        raise ProblemsFound(
            f"the campaign to {version} is paused",
            hint=f"resume it first: releaser campaign resume {version}",
        )
    if book.status is Status.STOPPED:
        failed = book.failures(book.marks)
        raise ProblemsFound(
            f"the campaign to {version} stopped at wave {book.stopped_wave}: "
            f"{len(failed)} failed ({', '.join(failed[:10])})",
            hint=f"look at them, then `releaser campaign resume {version}` goes on past "
            "them, or `releaser campaign abort " + f"{version}` ends the campaign",
        )


def _chosen_waves(
    fleet: Fleet, only: str | None, book: CampaignBook
) -> list[tuple[Wave, tuple[Customer, ...]]]:
    """Every wave, or only `only` once the waves before it have finished."""
    waves = list(waves_of(fleet))
    if only is None:
        return waves
    names = [w.name for w, _ in waves]
    if only not in names:
        raise unknown_wave(only, names)
    index = names.index(only)
    before = [n for n in names[:index] if n not in book.waves_finished]
    if before:
        raise ProblemsFound(
            f"wave {only} comes after {', '.join(before)}, which has not finished",
            hint=f"run those first: releaser campaign run {book.target} --wave {before[0]}",
        )
    return [waves[index]]


def unknown_wave(name: str, names: Sequence[str]) -> UsageError:
    return UsageError(f"unknown wave '{name}'", hint=did_you_mean(name, tuple(names))[2:])


def _previous_wave(fleet: Fleet, wave: Wave) -> Wave | None:
    names = [w for w, _ in waves_of(fleet)]
    index = names.index(wave)
    return names[index - 1] if index > 0 else None


def _halted(run: CampaignRun, status: Status, where: str) -> CampaignRun:
    run.ended = status.value
    run.message = f"the campaign to {run.version} is {status.value} ({where})"
    return run


# --------------------------------------------------------------------------- waiting


def _wait_for_turn(ctx: _Run, wave: Wave, previous: Wave | None) -> Status | None:
    """Wait for the wave's approval and the previous wave's soak; the campaign's status
    when it was paused or aborted meanwhile."""
    said = ""
    while True:
        book = ctx.ledger.refresh()
        if book.status is not Status.RUNNING:
            return book.status
        now = _now(ctx.ports)
        waits = _turn_waits(wave, previous, book, now)
        if not waits:
            return None
        text = f"wave {wave.name} waits for " + " and ".join(w for w, _ in waits)
        if text != said:
            ctx.ports.progress(text)
            said = text
        ends = [end for _, end in waits if end is not None]
        ctx.ports.clock.sleep(_chunk(ctx.options, now, min(ends) if ends else None))


def _turn_waits(
    wave: Wave, previous: Wave | None, book: CampaignBook, now: datetime
) -> list[tuple[str, datetime | None]]:
    waits: list[tuple[str, datetime | None]] = []
    if wave.approval and book.needs_approval(wave.name):
        command = f"releaser campaign approve {book.target} --wave {wave.name}"
        waits.append((f"its approval ({command})", None))
    finished = book.waves_finished.get(previous.name) if previous else None
    if previous is not None and previous.soak and finished is not None:
        end = datetime.fromisoformat(str(finished["at"])) + timedelta(seconds=previous.soak)
        if now < end:
            waits.append((f"the soak of wave {previous.name} until {end.isoformat()}", end))
    return waits


def _now(ports: RolloutPorts) -> datetime:
    return datetime.fromisoformat(ports.clock.now())


def _chunk(options: RunOptions, now: datetime, until: datetime | None) -> float:
    """How long to sleep before looking at the log again."""
    if until is None:
        return options.poll
    return max(0.0, min(options.poll, (until - now).total_seconds()))


# --------------------------------------------------------------------------- a wave


def _run_wave(
    ctx: _Run, wave: Wave, members: tuple[Customer, ...], result: WaveRun, run: CampaignRun
) -> CampaignRun | None:
    book = ctx.ledger.refresh()
    if wave.name not in book.waves_started:
        ctx.ledger.write(Event.WAVE_STARTED, ctx.options.command, wave=wave.name)
    todo = [c for c in members if book.settled(c.name) is None]
    result.skipped = len(members) - len(todo)
    queue = WindowQueue(todo)
    parallel = ctx.options.parallel or wave.max_parallel
    names = [c.name for c in members]
    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="campaign") as pool:
        halted = _drive(ctx, wave, names, queue, (pool, parallel), result)
    if halted is not None:
        return _halted(run, halted, f"in wave {wave.name}")
    return _settle_wave(ctx, wave, names, queue, result, run)


def _drive(
    ctx: _Run,
    wave: Wave,
    names: list[str],
    queue: WindowQueue[Customer],
    slots: tuple[ThreadPoolExecutor, int],
    result: WaveRun,
) -> Status | None:
    """Start customers as slots free up while the campaign runs and the wave is within its
    budget; the campaign's status when it was paused or aborted."""
    pool, parallel = slots
    running: dict[Future[CustomerRun], Customer] = {}
    announced: datetime | None = None  # the window opening said last
    while queue or running:
        book = ctx.ledger.refresh()
        over = len(_failed(book, result, names)) > wave.max_failures
        if book.status is Status.RUNNING and not over:
            now = _now(ctx.ports)
            while len(running) < parallel and (customer := queue.next_open(now)) is not None:
                ctx.ports.progress(f"wave {wave.name}: rolling {customer.name}")
                running[pool.submit(roll_customer, ctx, customer)] = customer
        if not running:
            if book.status is not Status.RUNNING:
                return book.status
            if over or not queue:
                break
            announced = _wait_for_window(ctx, queue, wave, announced)
            continue
        done, _ = wait(running, timeout=ctx.options.poll, return_when=FIRST_COMPLETED)
        for future in done:
            del running[future]
            outcome = future.result()
            result.customers.append(outcome)
            ctx.ports.progress(f"wave {wave.name}: {outcome.customer} {outcome.mark}"
                               + (f" ({outcome.outcome})" if outcome.outcome else ""))  # fmt: skip
    return None


def _wait_for_window(
    ctx: _Run, queue: WindowQueue[Customer], wave: Wave, announced: datetime | None
) -> datetime | None:
    """Sleep towards the next window opening (in steps, to notice a pause); says which
    opening it waits for once."""
    opens = queue.opens()
    if opens is None:
        return announced
    if opens != announced:
        ctx.ports.progress(f"wave {wave.name}: every customer left waits for its maintenance "
                           f"window; the next opens {opens.isoformat()}")  # fmt: skip
    ctx.ports.clock.sleep(_chunk(ctx.options, _now(ctx.ports), opens))
    return opens


def _failed(book: CampaignBook, result: WaveRun, names: list[str]) -> list[str]:
    """The wave's failures in fleet order: those the log settled as failed (this run's and
    a killed run's), and this run's whose rollout never got as far as the log (a repository
    that could not be read)."""
    mine = {c.customer for c in result.customers if c.mark == Mark.FAILED.value}
    logged = set(book.failures(names))
    return [n for n in names if n in mine or n in logged]


def _settle_wave(
    ctx: _Run,
    wave: Wave,
    names: list[str],
    queue: WindowQueue[Customer],
    result: WaveRun,
    run: CampaignRun,
) -> CampaignRun | None:
    """Record the wave's end; the run's end when a customer was busy or the budget broke."""
    book = ctx.ledger.refresh()
    busy = [c.customer for c in result.customers if c.mark == BUSY]
    if busy:
        run.ended = "unfinished"
        verb = "is" if len(busy) == 1 else "are"
        run.message = (
            f"wave {wave.name} is not finished: {', '.join(busy)} {verb} being rolled by "
            f"another run; run `releaser campaign run {ctx.options.target}` again after it"
        )
        return run
    failed = _failed(book, result, names)
    ctx.ledger.write(
        Event.WAVE_FINISHED, ctx.options.command, wave=wave.name,
        rolled=[n for n in names if n in book.rolled], failed=failed,
        passedOver=[n for n in names if (s := book.marks.get(n)) and s.mark is Mark.PASSED_OVER],
        notStarted=[c.name for c in queue.left()], noWindow=[c.name for c in queue.never],
    )  # fmt: skip
    if len(failed) <= wave.max_failures:
        return None
    ctx.ledger.write(Event.STOPPED, ctx.options.command, wave=wave.name, failed=failed)
    run.ended = "stopped"
    run.message = (
        f"wave {wave.name} had {len(failed)} failure(s), more than its maxFailures "
        f"{wave.max_failures}: the campaign stopped ({', '.join(failed[:10])})"
    )
    return run


# --------------------------------------------------------------------------- a customer


def roll_customer(ctx: _Run, customer: Customer) -> CustomerRun:
    """The per-customer rollout step, pushed, through its gate when it has one, under its
    lease; the lease is given up at once when another run settled the customer meanwhile."""
    options = ctx.options
    request = RolloutRequest(
        customer, ctx.kit_url, options.target, push=True, direct=options.direct,
        wait=options.wait and customer.argocd is not None, timeout=options.timeout,
        poll=options.poll, command=options.command, pr=options.pr,
    )  # fmt: skip
    try:
        result = guarded(request, ctx.ports, options.target,
                         lambda: ctx.ledger.settled(customer.name))  # fmt: skip
    except CustomerBusy as busy:
        return CustomerRun(customer.name, BUSY, reasons=(busy.message,))
    except ReleaserError as err:
        return CustomerRun(customer.name, Mark.FAILED.value, Outcome.ERROR.value, (err.message,))
    if result is None:
        return CustomerRun(customer.name, Mark.ROLLED.value, reasons=("settled by another run",))
    return _customer_run(result)


def _customer_run(result: RolloutResult) -> CustomerRun:
    outcome = result.outcome
    reasons = tuple(str(b) for b in blocking(result.blocks)) + tuple(result.gate)
    if outcome in (Outcome.HEALTHY, Outcome.PUSHED):
        mark = Mark.ROLLED
    elif outcome is Outcome.BLOCKED:
        mark = Mark.PASSED_OVER
    else:
        mark = Mark.FAILED
    value = outcome.value if outcome else ""
    return CustomerRun(result.customer, mark.value, value, reasons, result.commit)

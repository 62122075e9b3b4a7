"""The health gate's judgement of one Argo CD `Application` snapshot (SPEC §5 step 4).

Field meanings follow Argo CD's own types (pkg/apis/application/v1alpha1/types.go):
`status.sync.revision`/`revisions` is the commit the last comparison was made against;
`status.operationState` is the last sync operation, with `phase` (Running, Terminating,
Succeeded, Failed, Error), `startedAt`, `finishedAt` and `syncResult.revision(s)`, the commit
it synced; `status.reconciledAt` is when the controller last compared the live state with
git, which is also when `status.health` was last computed. A health computed before the
operation finished describes the old objects, so it counts neither way.

Timestamps are RFC 3339 to the second (Kubernetes `metav1.Time`): "later than" is strict, so
a reconcile in the same second as the finish waits for the next one (the gate asks for a
refresh on every poll).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

SUCCEEDED = "Succeeded"
FAILED_PHASES = ("Failed", "Error")
SYNCED = "Synced"
HEALTHY = "Healthy"
DEGRADED = "Degraded"
# Argo CD's order of health, best first (gitops-engine pkg/health/health.go `healthOrder`).
HEALTH_ORDER = ("Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown")

# Argo CD stamps `startedAt` with its own clock, to the second: an operation stamped up to
# this long before our push time still counts as started after it. The revision pin is the
# exact condition; this one only rules out an old operation on the same commit.
CLOCK_SLACK = timedelta(seconds=10)


@dataclass(frozen=True)
class Operation:
    """`status.operationState`: the last sync operation."""

    phase: str | None = None
    revisions: tuple[str, ...] = ()  # syncResult.revision(s), else the requested revision(s)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    message: str | None = None


@dataclass(frozen=True)
class AppState:
    """What Argo CD reports for one application (`GET /api/v1/applications/{name}`)."""

    name: str
    sync: str | None = None
    revision: str | None = None
    revisions: tuple[str, ...] = ()
    health: str | None = None
    health_message: str | None = None
    reconciled_at: datetime | None = None
    operation: Operation | None = None

    @property
    def synced_to(self) -> tuple[str, ...]:
        """The commit(s) of the last comparison (one per source for multi-source apps)."""
        return self.revisions or ((self.revision,) if self.revision else ())

    def details(self) -> str:
        """`sync Synced at 1a2b3c4d5e6f, health Healthy, operation Succeeded`."""
        rev = ",".join(r[:12] for r in self.synced_to) or "?"
        phase = self.operation.phase if self.operation else None
        message = (self.operation.message if self.operation else None) or self.health_message
        return (
            f"sync {self.sync or '?'} at {rev}, health {self.health or '?'}, "
            f"operation {phase or '?'}" + (f": {message}" if message else "")
        )


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _texts(single: Any, many: Any) -> tuple[str, ...]:
    if isinstance(many, list) and many:
        return tuple(str(r) for r in many if r)
    return (single,) if isinstance(single, str) and single else ()


def parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (`2024-09-01T10:00:00Z`), or None when absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _operation(data: Any) -> Operation | None:
    if not isinstance(data, dict):
        return None
    result, requested = data.get("syncResult"), _get(data, "operation", "sync")
    revisions = _texts(_get(result, "revision"), _get(result, "revisions")) or _texts(
        _get(requested, "revision"), _get(requested, "revisions")
    )
    return Operation(
        phase=_text(data.get("phase")),
        revisions=revisions,
        started_at=parse_time(data.get("startedAt")),
        finished_at=parse_time(data.get("finishedAt")),
        message=_text(data.get("message")),
    )


def parse_application(app: str, data: Any) -> AppState:
    """The fields of an `Application` JSON document that the gate reads; missing or
    ill-typed fields become None (the gate then waits, naming what it lacks)."""
    return AppState(
        name=_text(_get(data, "metadata", "name")) or app,
        sync=_text(_get(data, "status", "sync", "status")),
        revision=_text(_get(data, "status", "sync", "revision")),
        revisions=_texts(None, _get(data, "status", "sync", "revisions")),
        health=_text(_get(data, "status", "health", "status")),
        health_message=_text(_get(data, "status", "health", "message")),
        reconciled_at=parse_time(_get(data, "status", "reconciledAt")),
        operation=_operation(_get(data, "status", "operationState")),
    )


# --------------------------------------------------------------------------- judgement


class Verdict(StrEnum):
    PASS = "pass"  # on the new revision, synced, and healthy after the sync
    WAIT = "wait"  # not there yet (or still on the old revision: counts neither way)
    DEGRADED = "degraded"  # Degraded on the new revision, judged after the sync: fail
    FAILED = "failed"  # the sync operation on the new revision failed: fail


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str  # names the app and the condition met or unmet


@dataclass(frozen=True)
class GateTarget:
    """What the gate waits for: the pushed commit (and, for sources on the kit, the kit
    release's commit), and when it was pushed (None: an earlier run pushed it, so any
    operation on it counts)."""

    revisions: frozenset[str]
    pushed_at: datetime | None = None

    def matches(self, seen: Sequence[str]) -> bool:
        wanted = {r.lower() for r in self.revisions}
        return any(r.lower() in wanted for r in seen)

    def after_push(self, started: datetime | None) -> bool:
        if self.pushed_at is None:
            return True
        return started is not None and started >= self.pushed_at - CLOCK_SLACK


def _short(revisions: Sequence[str]) -> str:
    return ",".join(r[:12] for r in revisions) or "none"


def judge(app: AppState, target: GateTarget) -> Judgement:
    """PASS, WAIT, DEGRADED or FAILED for one application, with the condition that decided."""
    op = app.operation
    ours = op is not None and target.matches(op.revisions) and target.after_push(op.started_at)
    if op is not None and ours and op.phase in FAILED_PHASES:
        why = f": {op.message}" if op.message else ""
        return Judgement(Verdict.FAILED, f"{app.name}: sync operation {op.phase} on "
                         f"{_short(op.revisions)}{why}")  # fmt: skip
    if not target.matches(app.synced_to):
        return _wait(app, "not on the pushed revision yet")
    if op is None or not target.matches(op.revisions):
        return _wait(app, "no sync operation on the pushed revision yet")
    if not ours:
        return _wait(app, "the last sync operation on the pushed revision started before the push")
    if op.phase != SUCCEEDED:
        return _wait(app, f"sync operation {op.phase or 'without a phase'}")
    if not _fresh(app.reconciled_at, op.finished_at):
        return _wait(app, f"health {app.health or '?'} is stale: reconciled at "
                     f"{_stamp(app.reconciled_at)}, not after the sync finished at "
                     f"{_stamp(op.finished_at)}")  # fmt: skip
    if app.health == DEGRADED:
        why = f" ({app.health_message})" if app.health_message else ""
        return Judgement(Verdict.DEGRADED, f"{app.name}: health Degraded after the sync to "
                         f"{_short(app.synced_to)}{why}")  # fmt: skip
    if app.sync != SYNCED:
        return _wait(app, f"sync {app.sync or '?'}, not Synced")
    if app.health != HEALTHY:
        return _wait(app, f"health {app.health or '?'}, not Healthy")
    return Judgement(Verdict.PASS, f"{app.name}: Synced, operation Succeeded and Healthy at "
                     f"{_short(app.synced_to)}")  # fmt: skip


def _fresh(reconciled: datetime | None, finished: datetime | None) -> bool:
    return reconciled is not None and finished is not None and reconciled > finished


def _stamp(moment: datetime | None) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else "?"


def _wait(app: AppState, condition: str) -> Judgement:
    return Judgement(Verdict.WAIT, f"{app.name}: {condition} ({app.details()})")


def judge_all(apps: Sequence[AppState], target: GateTarget) -> list[Judgement]:
    return [judge(app, target) for app in apps]


def worst(judgements: Sequence[Judgement]) -> Verdict:
    """FAILED over DEGRADED over WAIT over PASS: one failing app decides the gate."""
    order = (Verdict.FAILED, Verdict.DEGRADED, Verdict.WAIT)
    found = {j.verdict for j in judgements}
    return next((v for v in order if v in found), Verdict.PASS)


# --------------------------------------------------------------------------- live status


def overall_sync(apps: Sequence[AppState]) -> str:
    """`Synced` when every app is, else the first other status and the apps that have it."""
    states = [a.sync or "Unknown" for a in apps]
    odd = next((s for s in states if s != SYNCED), None)
    return _label(odd, states, apps) if odd else SYNCED if states else "Unknown"


def overall_health(apps: Sequence[AppState]) -> str:
    """The worst health in Argo CD's order, and the apps that have it."""
    states = [a.health or "Unknown" for a in apps]
    if not states:
        return "Unknown"
    rank = {name: index for index, name in enumerate(HEALTH_ORDER)}
    bad = max(states, key=lambda s: rank.get(s, len(HEALTH_ORDER)))
    return HEALTHY if bad == HEALTHY else _label(bad, states, apps)


def _label(state: str, states: Sequence[str], apps: Sequence[AppState]) -> str:
    """`Degraded (core-aws)`, or just `Degraded` when every app is."""
    names = [a.name for s, a in zip(states, apps, strict=True) if s == state]
    return state if len(names) == len(apps) else f"{state} ({', '.join(names)})"

"""The health gate: poll Argo CD until every app runs the pushed revision healthily, then
keep polling until that has held for the whole soak.

During the soak, Degraded or a failed sync operation fails the gate at once; any other lapse
(Progressing, OutOfSync, a new operation, a poll Argo CD did not answer) restarts the soak,
so a pass means one unbroken soak of health. The timeout bounds the wait for health: a soak
that began before it may run to its end, a lapse after it ends the gate as a timeout.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from releaser.app.ports_rollout import ArgoCd, Clock
from releaser.domain.gate import GateTarget, Judgement, Verdict, judge, parse_time, worst
from releaser.domain.rollout import GateUnreachable, Outcome

_FAILURES = {Verdict.DEGRADED: Outcome.DEGRADED, Verdict.FAILED: Outcome.FAILED}


@dataclass(frozen=True)
class GateSettings:
    apps: tuple[str, ...]
    timeout: float
    poll: float
    soak: float = 0.0  # seconds every app must stay healthy before the gate passes


def wait_healthy(
    client: ArgoCd,
    settings: GateSettings,
    expected: frozenset[str],
    clock: Clock,
    progress: Callable[[str], None],
    pushed_at: str | None = None,
) -> tuple[Outcome, list[str]]:
    """HEALTHY after one unbroken soak of health on an `expected` revision; DEGRADED or
    FAILED at once; TIMEOUT naming each condition still unmet. `pushed_at` (ISO 8601) is
    when this run pushed the commit: older operations on it do not count (None: any does).
    An unreachable server is retried until the timeout; a refused token or unknown app is not."""
    target = GateTarget(expected, parse_time(pushed_at))
    deadline = clock.monotonic() + settings.timeout
    soak_began: float | None = None
    shown: list[str] = []
    while True:
        judgements = poll_once(client, settings.apps, target)
        verdict, now = worst(judgements), clock.monotonic()
        if verdict in _FAILURES:
            return _FAILURES[verdict], _reasons(judgements, verdict)
        if verdict is Verdict.PASS:
            if soak_began is None:
                soak_began = now
                progress(f"  healthy: {', '.join(settings.apps)}; soaking {_secs(settings.soak)}")
            if now - soak_began >= settings.soak:
                return Outcome.HEALTHY, [_passed(settings)]
            clock.sleep(min(settings.poll, soak_began + settings.soak - now))
            continue
        waiting = _reasons(judgements, Verdict.WAIT)
        if soak_began is not None:
            progress(f"  soak restarted after {_secs(now - soak_began)}: {'; '.join(waiting)}")
            soak_began, shown = None, waiting
        if waiting != shown:
            for line in waiting:
                progress(f"  waiting: {line}")
            shown = waiting
        if now >= deadline:
            return Outcome.TIMEOUT, [f"not done after {_secs(settings.timeout)}", *waiting]
        clock.sleep(min(settings.poll, deadline - now))


def poll_once(client: ArgoCd, apps: Sequence[str], target: GateTarget) -> list[Judgement]:
    """One judgement per app; a refused token or unknown app fails, no answer waits."""
    judgements: list[Judgement] = []
    for app in apps:
        try:
            judgements.append(judge(client.state(app), target))
        except GateUnreachable as err:
            verdict = Verdict.FAILED if err.permanent else Verdict.WAIT
            judgements.append(Judgement(verdict, f"{app}: {err.message}"))
    return judgements


def _reasons(judgements: Sequence[Judgement], verdict: Verdict) -> list[str]:
    return [j.reason for j in judgements if j.verdict is verdict]


def _passed(settings: GateSettings) -> str:
    held = f"for the whole soak ({_secs(settings.soak)})" if settings.soak else "(no soak)"
    return (
        f"Synced, operation Succeeded and Healthy on the pushed revision {held}: "
        + ", ".join(settings.apps)
    )


def _secs(seconds: float) -> str:
    return f"{round(seconds, 2):g}s"

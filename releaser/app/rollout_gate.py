"""The health gate: poll Argo CD until every app runs the new revision healthily."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from releaser.app.ports_rollout import ArgoCd, Clock
from releaser.domain.rollout import AppState, Gate, GateUnreachable, Outcome, gate_step

_GATE_OUTCOMES = {
    Gate.DONE: Outcome.HEALTHY,
    Gate.DEGRADED: Outcome.DEGRADED,
    Gate.FAILED: Outcome.FAILED,
}


@dataclass(frozen=True)
class GateSettings:
    apps: tuple[str, ...]
    timeout: float
    poll: float


def wait_healthy(
    client: ArgoCd,
    settings: GateSettings,
    expected: frozenset[str],
    clock: Clock,
    progress: Callable[[str], None],
) -> tuple[Outcome, list[str]]:
    """HEALTHY when every app is done; DEGRADED/FAILED at once; TIMEOUT when time runs out.
    An unreachable server is retried until the timeout; a refused token or unknown app is not."""
    deadline = clock.monotonic() + settings.timeout
    last: list[str] = []
    while True:
        states: list[AppState] = []
        for app in settings.apps:
            try:
                states.append(client.state(app))
            except GateUnreachable as err:
                if err.permanent:
                    return Outcome.FAILED, [err.message]
                states.append(AppState(app, message=err.message))
        status, reasons = gate_step(states, expected)
        if reasons != last:
            for line in reasons:
                progress(f"  waiting: {line}")
            last = reasons
        if status is not Gate.WAITING:
            return _GATE_OUTCOMES[status], reasons
        if clock.monotonic() >= deadline:
            return Outcome.TIMEOUT, [f"not done after {settings.timeout:g}s", *reasons]
        clock.sleep(settings.poll)

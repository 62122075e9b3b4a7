"""Argo CD around a push: the token checked before anything is pushed, and the health gate
after, with the times the audit trail records (synced, verdict)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from releaser.app.ports_rollout import ArgoCd, ArgoCdFactory, Clock
from releaser.app.rollout_gate import GateSettings, wait_healthy
from releaser.domain.fleet import ArgoCdTarget
from releaser.domain.gate import AppState, GateTarget
from releaser.domain.rollout import GateUnreachable, Outcome


@dataclass(frozen=True)
class Watch:
    outcome: Outcome
    reasons: list[str]
    synced_at: str | None  # when every app first reported the expected revision, Synced
    verdict_at: str


class _SyncClock:
    """The Argo CD client as the gate sees it, noting when every app first reported the
    expected revision as Synced (the gate itself stays the judge)."""

    def __init__(
        self, client: ArgoCd, apps: tuple[str, ...], expected: frozenset[str], clock: Clock
    ) -> None:
        self.client = client
        self.waiting = set(apps)
        self.expected = GateTarget(expected)
        self.clock = clock
        self.synced_at: str | None = None

    def state(self, app: str, refresh: bool = True) -> AppState:
        state = self.client.state(app, refresh)
        if state.sync == "Synced" and self.expected.matches(state.synced_to):
            self.waiting.discard(app)
            if not self.waiting and self.synced_at is None:
                self.synced_at = self.clock.now()
        return state


@dataclass(frozen=True)
class WatchSettings:
    timeout: float
    poll: float
    soak: float | None = None  # None: the customer's `argocd.soak`
    pushed_at: str | None = None  # when this run pushed (None: an earlier run; any sync counts)


def watch(
    argocd: ArgoCdTarget,
    client: ArgoCd,
    expected: frozenset[str],
    settings: WatchSettings,
    clock: Clock,
    progress: Callable[[str], None],
) -> Watch:
    """The health gate on `argocd.apps` for the pushed revision(s) `expected`."""
    seen = _SyncClock(client, argocd.apps, expected, clock)
    soak = argocd.soak if settings.soak is None else settings.soak
    gate = GateSettings(argocd.apps, settings.timeout, settings.poll, soak)
    outcome, reasons = wait_healthy(seen, gate, expected, clock, progress, settings.pushed_at)
    return Watch(outcome, reasons, seen.synced_at, clock.now())


def token_problem(argocd: ArgoCdTarget, token: str, factory: ArgoCdFactory) -> str | None:
    """One authenticated GET of the first app before anything is pushed: a refused token,
    a missing app or an unreachable server stops the run while nothing has changed."""
    try:
        factory(argocd.url, token).state(argocd.apps[0])
    except GateUnreachable as err:
        return err.message
    return None

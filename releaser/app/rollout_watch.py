"""Argo CD around a push: the token checked before anything is pushed, and the health gate
after, with the times the audit trail records (synced, verdict)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from releaser.app.ports_rollout import ArgoCd, ArgoCdFactory, Clock
from releaser.app.rollout_gate import GateSettings, wait_healthy
from releaser.domain.fleet import ArgoCdTarget
from releaser.domain.rollout import AppState, GateUnreachable, Outcome


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
        self.expected = expected
        self.clock = clock
        self.synced_at: str | None = None

    def state(self, app: str) -> AppState:
        state = self.client.state(app)
        if state.sync == "Synced" and state.on_revision(self.expected):
            self.waiting.discard(app)
            if not self.waiting and self.synced_at is None:
                self.synced_at = self.clock.now()
        return state


@dataclass(frozen=True)
class WatchSettings:
    timeout: float
    poll: float


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
    gate = GateSettings(argocd.apps, settings.timeout, settings.poll)
    outcome, reasons = wait_healthy(seen, gate, expected, clock, progress)
    return Watch(outcome, reasons, seen.synced_at, clock.now())


def token_problem(argocd: ArgoCdTarget, token: str, factory: ArgoCdFactory) -> str | None:
    """One authenticated GET of the first app before anything is pushed: a refused token,
    a missing app or an unreachable server stops the run while nothing has changed."""
    try:
        factory(argocd.url, token).state(argocd.apps[0])
    except GateUnreachable as err:
        return err.message
    return None

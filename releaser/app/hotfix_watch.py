"""A hotfix with eyes: the customers that receive it are told (the fleet's webhook) and, with
`--wait`, each one that has Argo CD is gated like a rollout and its outcome logged.

A hotfix reaches every customer on its branch without a rollout, so nothing else watches it.
With `--wait`, every gated customer's Argo CD token is checked before anything is pushed.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from releaser.app.hotfix import CustomerGate, HotfixResult
from releaser.app.rollout import RolloutPorts
from releaser.app.rollout_watch import WatchSettings, token_problem, watch
from releaser.domain.errors import ProblemsFound, UsageError
from releaser.domain.fleet import ArgoCdTarget, Customer, Fleet
from releaser.domain.rollout_history import HOTFIX, audit_fields

_PARALLEL = 8  # customers gated at once: each gate mostly sleeps between polls


@dataclass(frozen=True)
class HotfixWatchRequest:
    wait: WatchSettings | None  # None: tell the customers, gate nobody
    command: str = ""  # the command line, without secrets, for the audit trail


class FleetWatch:
    """`PushWatch` over the fleet: its notifier, its Argo CD servers, its rollout log."""

    def __init__(self, fleet: Fleet, ports: RolloutPorts, request: HotfixWatchRequest) -> None:
        self.fleet = fleet
        self.ports = ports
        self.request = request
        self._tokens: dict[str, str] = {}

    def before_push(self, customers: Sequence[str]) -> None:
        """With --wait: every gated customer's token answers before the push, or nothing
        is pushed."""
        if self.request.wait is None:
            return
        problems = [p for c in self._gated(customers) if (p := self._token_problem(c))]
        if problems:
            raise ProblemsFound(
                "the health gate could not reach every receiving customer; nothing was pushed:"
                + "".join(f"\n  {p}" for p in problems),
                hint="fix the tokens (argocd.tokenEnv), or push without --wait",
            )

    def after_push(self, result: HotfixResult) -> tuple[CustomerGate, ...]:
        pushed_at = self.ports.clock.now()
        receivers = result.customers or ()
        self.ports.notifier.send(pushed_text(result))
        if self.request.wait is None:
            return ()
        gated = self._gated(receivers)
        with ThreadPoolExecutor(max_workers=max(1, min(_PARALLEL, len(gated)))) as pool:
            done = pool.map(lambda c: self._gate(c, result, pushed_at), gated)
            outcomes = dict(zip(gated, done, strict=True))
        gates = tuple(
            outcomes.get(c) or CustomerGate(c.name, None, ("no argocd settings: not gated",))
            for c in (self.fleet.customer(name) for name in receivers)
        )
        self.ports.notifier.send(gated_text(result, gates))
        return gates

    def _gated(self, names: Sequence[str]) -> list[Customer]:
        customers = [self.fleet.customer(name) for name in names]
        return [c for c in customers if c.argocd is not None]

    def _token_problem(self, customer: Customer) -> str | None:
        argocd = _argocd(customer)
        token = self.ports.secret(argocd.token_env)
        if not token:
            return f"{customer.name}: the Argo CD token variable {argocd.token_env} is not set"
        self._tokens[customer.name] = token
        problem = token_problem(argocd, token, self.ports.argocd)
        return f"{customer.name}: {problem}" if problem else None

    def _gate(self, customer: Customer, result: HotfixResult, pushed_at: str) -> CustomerGate:
        assert self.request.wait is not None and result.commit is not None
        ports, argocd = self.ports, _argocd(customer)
        started = ports.clock.now()
        client = ports.argocd(argocd.url, self._tokens[customer.name])
        seen = watch(argocd, client, frozenset({result.commit}), self.request.wait, ports.clock,
                     lambda line: ports.progress(f"{customer.name}: {line.strip()}"))  # fmt: skip
        ports.log.append({
            "kind": HOTFIX, "customer": customer.name, "from": result.previous,
            "to": result.version, "outcome": seen.outcome.value, "revert": False,
            "commit": result.commit, "created": False, "pushed": result.branch,
            "reasons": seen.reasons, "waivers": [],
            **audit_fields(ports.operator, self.request.command),
            "started": started, "pushedAt": pushed_at, "syncedAt": seen.synced_at,
            "verdictAt": seen.verdict_at, "finished": ports.clock.now(),
        })  # fmt: skip
        return CustomerGate(customer.name, seen.outcome, tuple(seen.reasons))


def _argocd(customer: Customer) -> ArgoCdTarget:
    if customer.argocd is None:  # filtered out by `_gated`
        raise UsageError(f"customer {customer.name} has no argocd settings")
    return customer.argocd


def pushed_text(result: HotfixResult) -> str:
    receivers = ", ".join(result.customers or ()) or "none in the fleet"
    commit = f" (commit {result.commit[:12]})" if result.commit else ""
    head = f"releaser: hotfix {result.version} pushed to {result.branch}{commit}"
    return head + "".join(f"\n• {c}" for c in result.changes) + f"\nreceived by: {receivers}"


def gated_text(result: HotfixResult, gates: Sequence[CustomerGate]) -> str:
    lines = [f"releaser: hotfix {result.version} on {result.branch}, health per customer:"]
    for gate in gates:
        outcome = gate.outcome.value if gate.outcome else "not gated"
        why = f" ({gate.reasons[0]})" if gate.reasons and not gate.ok else ""
        lines.append(f"• {gate.customer}: {outcome}{why}")
    return "\n".join(lines)

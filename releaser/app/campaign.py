"""Campaigns over the fleet: the plan (waves, preflight, holds, windows, estimates) and the
definition other engines run (`campaign emit`).

The plan runs each customer's rollout preflight dry (the same call as `rollout --dry-run`
and the report's customer table), in parallel with a bounded pool: the per-customer work is
git fetches and file reads; the kit and the compatibility engine are shared, so their calls
take turns behind one lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from releaser.app.ports_rollout import ClusterJudgement, ComponentVerdicts, KitReleases
from releaser.app.report_customers import customer_row
from releaser.app.rollout import RolloutPorts, newest_release
from releaser.app.rollout_read import parsed_once
from releaser.domain.errors import UsageError
from releaser.domain.fleet import Customer, Fleet
from releaser.domain.kit import Kit
from releaser.domain.profiles import Profile
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.report import CustomerRow
from releaser.domain.rollout import Overrides
from releaser.domain.unverified import Unverified
from releaser.domain.versions import InvalidVersion, KitVersion
from releaser.domain.waves import Wave, step_estimate, wave_estimate

DEFAULT_WORKERS = 8

# Why `customer` is held for `target` (fleet `customers[].hold`), or None. The hold rule is
# the rollout's; the composition root plugs it in. Until the fleet has holds: nobody is held.
HoldLookup = Callable[[Customer, KitVersion], str | None]


def no_hold(customer: Customer, target: KitVersion) -> str | None:
    return None


@dataclass(frozen=True)
class CampaignPorts:
    rollout: RolloutPorts
    now: datetime  # time-zone aware: the instant windows are judged from
    workers: int = DEFAULT_WORKERS  # customers preflighted at once
    hold: HoldLookup = no_hold
    progress: Progress = field(default_factory=NoProgress)


@dataclass(frozen=True)
class WindowState:
    """A customer's maintenance window seen from the plan's instant."""

    tz: str
    open_now: bool
    opens: datetime | None  # the next (or current) open stretch; None: none within the horizon
    closes: datetime | None  # its end; None: no end in sight

    def as_dict(self) -> dict[str, Any]:
        return {
            "tz": self.tz,
            "open": self.open_now,
            "opens": self.opens.isoformat() if self.opens else None,
            "closes": self.closes.isoformat() if self.closes else None,
        }


@dataclass(frozen=True)
class CustomerPlan:
    name: str
    version: str | None  # what it runs
    kubernetes: str
    status: str  # ready | blocked | held | on-target
    blocking: tuple[str, ...]
    hold: str | None
    window: WindowState | None  # None: no window, any time
    gated: bool  # has Argo CD settings: the rollout waits for its health gate
    estimate: float  # seconds its rollout takes (0 unless ready)
    unverified: tuple[Unverified, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "kubernetes": self.kubernetes,
            "status": self.status,
            "blocking": list(self.blocking),
            "hold": self.hold,
            "window": self.window.as_dict() if self.window else None,
            "gate": self.gated,
            "estimate": self.estimate,
        }


@dataclass(frozen=True)
class WavePlan:
    wave: Wave
    customers: tuple[CustomerPlan, ...]
    estimate: float  # seconds: the ready customers at the wave's parallelism, then its soak

    def as_dict(self) -> dict[str, Any]:
        wave = self.wave
        return {
            "name": wave.name,
            "select": wave.select.describe(),
            "maxParallel": wave.max_parallel,
            "maxFailures": wave.max_failures,
            "soak": wave.soak,
            "approval": wave.approval,
            "estimate": self.estimate,
            "customers": [c.as_dict() for c in self.customers],
        }


@dataclass(frozen=True)
class CampaignPlan:
    version: str
    at: datetime
    waves: tuple[WavePlan, ...]

    @property
    def estimate(self) -> float:
        return sum(w.estimate for w in self.waves)

    @property
    def unverified(self) -> tuple[Unverified, ...]:
        found = (u for w in self.waves for c in w.customers for u in c.unverified)
        return tuple(dict.fromkeys(found))  # customers share upstreams: each one once

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "at": self.at.isoformat(),
            "estimate": self.estimate,
            "waves": [w.as_dict() for w in self.waves],
        }


def plan_campaign(fleet: Fleet, target: KitVersion | None, ports: CampaignPorts) -> CampaignPlan:
    """The campaign to `target` (default: the newest release), wave by wave."""
    rollout = shared_in_turns(ports.rollout)
    version = target or newest_release(rollout.kit)
    rollout.kit.load(version)  # read once before the pool: every preflight needs it
    rows = preflight_all(fleet, version, rollout, ports.workers, ports.progress)
    by_name = {c.name: c for c in fleet.customers}
    waves = []
    for members in fleet.wave_members():
        plans = tuple(
            customer_plan(by_name[name], rows[name], version, ports) for name in members.customers
        )
        steps = [p.estimate for p in plans if p.status == "ready"]
        estimate = wave_estimate(steps, members.wave.max_parallel, members.wave.soak)
        waves.append(WavePlan(members.wave, plans, estimate))
    return CampaignPlan(str(version), ports.now, tuple(waves))


def preflight_all(
    fleet: Fleet, target: KitVersion, ports: RolloutPorts, workers: int, progress: Progress
) -> dict[str, CustomerRow]:
    """Each customer's dry-run preflight, `workers` at a time, by customer name."""
    customers = fleet.customers
    ports = replace(ports, parse_manifests=parsed_once(ports.parse_manifests))
    with batch(progress, len(customers), "preflight") as bar:

        def one(customer: Customer) -> CustomerRow:
            row = customer_row(fleet, customer, target, ports)
            bar.advance(f"{customer.name} on Kubernetes {customer.kubernetes}")
            return row

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            rows = list(pool.map(one, customers))
    return {row.name: row for row in rows}


def customer_plan(
    customer: Customer, row: CustomerRow, target: KitVersion, ports: CampaignPorts
) -> CustomerPlan:
    hold = ports.hold(customer, target)
    status = _status(row, hold, target)
    argocd = customer.argocd
    estimate = step_estimate(argocd is not None, argocd.soak if argocd else 0.0)
    return CustomerPlan(
        name=customer.name,
        version=row.version,
        kubernetes=row.kubernetes,
        status=status,
        blocking=row.blocking,
        hold=hold,
        window=window_state(customer, ports.now),
        gated=argocd is not None,
        estimate=estimate if status == "ready" else 0.0,
        unverified=row.unverified,
    )


def _status(row: CustomerRow, hold: str | None, target: KitVersion) -> str:
    if _runs_target(row.version, target):
        return "on-target"
    if hold is not None:
        return "held"
    return "ready" if row.ready else "blocked"


def _runs_target(version: str | None, target: KitVersion) -> bool:
    try:
        return version is not None and KitVersion.parse(version).release == target.release
    except InvalidVersion:
        return False  # mixed references: not (all) on the target


def window_state(customer: Customer, now: datetime) -> WindowState | None:
    window = customer.window
    if window is None:
        return None
    span = window.next_open(now)
    if span is None:
        return WindowState(window.tz, False, None, None)
    return WindowState(window.tz, span.start <= now, span.start, span.end)


# --------------------------------------------------------------------------- shared ports


def shared_in_turns(ports: RolloutPorts) -> RolloutPorts:
    """The rollout ports with the kit and the verdicts behind one lock: they cache what they
    read, for every customer; the customer repositories stay parallel."""
    lock = threading.RLock()
    return replace(
        ports, kit=_KitInTurns(ports.kit, lock), verdicts=_VerdictsInTurns(ports.verdicts, lock)
    )


class _KitInTurns:
    def __init__(self, kit: KitReleases, lock: threading.RLock) -> None:
        self._kit, self._lock = kit, lock

    def versions(self) -> dict[KitVersion, str]:
        with self._lock:
            return self._kit.versions()

    def load(self, version: KitVersion) -> Kit | None:
        with self._lock:
            return self._kit.load(version)


class _VerdictsInTurns:
    def __init__(self, verdicts: ComponentVerdicts, lock: threading.RLock) -> None:
        self._verdicts, self._lock = verdicts, lock

    def on_cluster(
        self, kit: Kit, components: list[str], cluster_version: str,
        overrides: Sequence[Overrides] = (), *, profile: Profile | None = None,
    ) -> ClusterJudgement:
        with self._lock:
            return self._verdicts.on_cluster(
                kit, components, cluster_version, overrides, profile=profile
            )


def waves_of(fleet: Fleet) -> Sequence[tuple[Wave, tuple[Customer, ...]]]:
    """The fleet's waves in order, each with its customers in fleet order."""
    by_name = {c.name: c for c in fleet.customers}
    return [(m.wave, tuple(by_name[n] for n in m.customers)) for m in fleet.wave_members()]


# --------------------------------------------------------------------------- emit

MODES = ("branch", "direct", "pr")  # how each job's rollout lands: rollout branch, --direct, --pr


@dataclass(frozen=True)
class JobSettings:
    """How an engine's job runs the per-customer step (`campaign emit` options)."""

    version: str
    fleet_path: str  # the fleet file as the job sees it (its rollout log lands beside it)
    mode: str = "branch"
    wait: bool = True  # each job waits for the customer's health gate
    timeout: str | None = None  # the gate's --timeout, when not rollout's default
    poll: str | None = None  # the gate's --poll-interval, when not rollout's default
    install: str = "pip install releaser"  # GitHub and GitLab: puts releaser on the runner
    image: str = "python:3.12-slim"  # GitLab's job image
    argo_image: str = "releaser:latest"  # Argo: an image whose entrypoint path has releaser
    secret: str = "releaser-tokens"  # Argo: the Secret whose keys are the token variables
    configmap: str = "releaser-fleet"  # Argo: the ConfigMap holding the fleet file


@dataclass(frozen=True)
class EmitWave:
    wave: Wave
    customers: tuple[Customer, ...]


@dataclass(frozen=True)
class CampaignDefinition:
    """What every engine's definition is built from: the waves and how a job runs."""

    job: JobSettings
    waves: tuple[EmitWave, ...]

    def rollout_args(self, customer: str) -> list[str]:
        """The per-customer step, `customer` being a name or an engine's placeholder."""
        job = self.job
        args = ["--fleet", job.fleet_path, "rollout", "--customer", customer,
                "--to", job.version, "--push"]  # fmt: skip
        args += {"branch": [], "direct": ["--direct"], "pr": ["--pr"]}[job.mode]
        if job.wait:
            args.append("--wait")
            args += ["--timeout", job.timeout] if job.timeout else []
            args += ["--poll-interval", job.poll] if job.poll else []
        return args

    def token_envs(self, customers: Sequence[Customer]) -> list[str]:
        """The Argo CD token variables these customers' gates read, each once."""
        if not self.job.wait:
            return []
        return list(dict.fromkeys(c.argocd.token_env for c in customers if c.argocd))


def campaign_definition(fleet: Fleet, job: JobSettings) -> CampaignDefinition:
    """The fleet's waves for an engine; every job waits for its gate unless told not to, so
    every customer needs Argo CD settings then."""
    if job.mode not in MODES:
        raise UsageError(f"unknown mode '{job.mode}'", hint="use branch, direct or pr")
    KitVersion.parse(job.version)  # a malformed version is a usage error before anything
    ungated = [c.name for c in fleet.customers if c.argocd is None]
    if job.wait and ungated:
        raise UsageError(
            f"{', '.join(ungated[:10])} {'has' if len(ungated) == 1 else 'have'} no argocd "
            "settings: their jobs could not wait for the health gate",
            hint="add argocd: {url, tokenEnv, apps} to them, or pass --no-wait",
        )
    waves = tuple(EmitWave(wave, members) for wave, members in waves_of(fleet) if members)
    return CampaignDefinition(job, waves)

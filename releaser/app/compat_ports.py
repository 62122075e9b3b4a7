"""The compatibility engine seen through the ports of `cut` (CompatGate) and `rollout`
(ComponentVerdicts): readable one-line reasons, one per fact (a finding shared by several
columns is said once, with its columns)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from releaser.app.compat import CompatGate as GateResult
from releaser.app.compat import CompatService, CustomerCheck
from releaser.app.ports_rollout import ClusterJudgement
from releaser.domain.compat import Fact, label_span
from releaser.domain.fleet import Customer
from releaser.domain.kit import Component, Kit
from releaser.domain.profiles import Profile
from releaser.domain.rollout import Overrides
from releaser.domain.unverified import Unverified
from releaser.domain.verdict import Verdict


def describe(component: Component, label: str, verdict: Verdict) -> str:
    """`cert-manager v1.21.0 on 1.32: matrix: cert-manager 1.21 supports …`"""
    worst = [f for f in verdict.reasons if f.level == verdict.level] or list(verdict.reasons)
    reasons = "; ".join(f"{f.source}: {f.message}" for f in worst)
    return f"{component.name} {component.version} on {label}: {reasons}"


def fact_line(fact: Fact, order: Sequence[str]) -> str:
    """One line per fact: `ingress-nginx 4.15.1 on 1.35–1.36: upstream-status: …`; a
    calendar's fact names its minor itself."""
    said = f"{fact.finding.source}: {fact.finding.message}"
    if fact.component is None:
        return said
    where = label_span(fact.labels, order)
    return f"{fact.component.name} {fact.component.version} on {where}: {said}"


def customer_line(check: CustomerCheck, component: Component, verdict: Verdict) -> str:
    """`acme (v1.35.2-eks-a737599, `helm install` (Helm <= 3.18)): demo 2.0.0: kubeVersion: …`"""
    reasons = "; ".join(f"{f.source}: {f.message}" for f in verdict.reasons if f.level == "fail")
    where = f"{check.customer} ({check.cluster}, profile {check.profile.name})"
    return f"{where}: {component.name} {component.version}: {reasons}"


NAMES_SHOWN = 4  # customers named per profile on the gate's summary


def gate_summary(kit: Kit, gate: GateResult) -> str:
    """What the gate judged and under which deploy paths, in short lines (a terminal's
    width): the kit's profile and why, then the fleet's clusters in range per profile."""
    matrix = gate.matrix
    origin = f"; {matrix.profile_origin}" if matrix.profile_origin else ""
    lines = [f"compatibility gate: Kubernetes {kit.kubernetes}, profile {matrix.profile.name}",
             f"  profile {matrix.profile.name}: {matrix.profile.title}{origin}"]
    by_profile: dict[str, list[str]] = {}
    for check in gate.clusters:
        by_profile.setdefault(check.profile.name, []).append(check.customer)
    for name, customers in by_profile.items():
        shown = ", ".join(customers[:NAMES_SHOWN])
        more = f" and {len(customers) - NAMES_SHOWN} more" if len(customers) > NAMES_SHOWN else ""
        lines.append(f"  {len(customers)} fleet cluster(s) in range as {name}: {shown}{more}")
    return "\n".join(lines)


class ReleaseGate:
    """`CompatGate` for cut: the facts that fail or warn inside the kit's Kubernetes range,
    each said once, and (with a fleet) each customer's exact cluster under its own profile."""

    def __init__(
        self, service: CompatService, today: date,
        customers: Callable[[], Sequence[Customer]] | None = None,
    ) -> None:
        self.service = service
        self.today = today
        self.customers = customers  # None: no fleet, the range's minors only
        self._last: tuple[Kit, GateResult] | None = None

    def _gate(self, kit: Kit) -> GateResult:
        if self._last is None or self._last[0] is not kit:
            fleet = self.customers() if self.customers is not None else ()
            self._last = (kit, self.service.gate(kit, self.today, fleet))
        return self._last[1]

    def failures(self, kit: Kit) -> list[str]:
        gate = self._gate(kit)
        order = gate.matrix.labels
        lines = [fact_line(f, order) for f in gate.facts("fail")]
        return lines + [customer_line(check, component, verdict)
                        for check in gate.clusters for component, verdict in check.failures]

    def warnings(self, kit: Kit) -> list[str]:
        gate = self._gate(kit)
        return [fact_line(f, gate.matrix.labels) for f in gate.facts("warn")]

    def unverified(self, kit: Kit) -> list[Unverified]:
        return list(self._gate(kit).unverified)

    def summary(self, kit: Kit) -> str:
        return gate_summary(kit, self._gate(kit))


CLUSTER_SOURCES = ("lifecycle/",)  # findings about the cluster's minor, not the component


def cluster_failures(failed: list[tuple[Component, Verdict]], cluster: str) -> list[str]:
    """One line for what is wrong with the cluster's Kubernetes version (said once), then one
    per component that fails for reasons of its own."""
    about_cluster: dict[str, None] = {}
    lines = []
    for component, verdict in failed:
        own = [f for f in verdict.reasons if f.level == "fail"]
        for finding in own:
            if finding.source.startswith(CLUSTER_SOURCES):
                about_cluster[f"{finding.source}: {finding.message}"] = None
        specific = [f for f in own if not f.source.startswith(CLUSTER_SOURCES)]
        if specific:
            reasons = "; ".join(f"{f.source}: {f.message}" for f in specific)
            lines.append(f"{component.name} {component.version} on {cluster}: {reasons}")
    head = [f"cluster {cluster}: " + "; ".join(about_cluster)] if about_cluster else []
    return head + lines


class ClusterVerdicts:
    """`ComponentVerdicts` for the rollout preflight: failures on one exact cluster version."""

    def __init__(self, service: CompatService, today: date) -> None:
        self.service = service
        self.today = today

    def on_cluster(
        self, kit: Kit, components: list[str], cluster_version: str,
        overrides: Sequence[Overrides] = (), *, profile: Profile | None = None,
    ) -> ClusterJudgement:
        """`overrides`: the customer's values per section (`rollout_read.overrides_of`);
        `profile`: the customer's deploy path (fleet `deploy:`); None: the kit's own."""
        found = self.service.on_cluster(
            kit, components, cluster_version, self.today, overrides=overrides, profile=profile
        )
        failures = cluster_failures(list(found.failures), cluster_version)
        return ClusterJudgement(tuple(failures), found.unverified)

"""The compatibility engine seen through the ports of `cut` (CompatGate) and `rollout`
(ComponentVerdicts): readable one-line reasons for each failing or warning cell."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from releaser.app.compat import CompatGate as GateResult
from releaser.app.compat import CompatService
from releaser.app.ports_rollout import ClusterJudgement
from releaser.domain.kit import Component, Kit
from releaser.domain.rollout import Overrides
from releaser.domain.unverified import Unverified
from releaser.domain.verdict import Verdict


def describe(component: Component, label: str, verdict: Verdict) -> str:
    """`cert-manager v1.21.0 on 1.32: matrix: cert-manager 1.21 supports …`"""
    worst = [f for f in verdict.reasons if f.level == verdict.level] or list(verdict.reasons)
    reasons = "; ".join(f"{f.source}: {f.message}" for f in worst)
    return f"{component.name} {component.version} on {label}: {reasons}"


class ReleaseGate:
    """`CompatGate` for cut: the fail and warn cells inside the kit's Kubernetes range."""

    def __init__(self, service: CompatService, today: date) -> None:
        self.service = service
        self.today = today
        self._last: tuple[Kit, GateResult] | None = None

    def _gate(self, kit: Kit) -> GateResult:
        if self._last is None or self._last[0] is not kit:
            self._last = (kit, self.service.gate(kit, self.today))
        return self._last[1]

    def failures(self, kit: Kit) -> list[str]:
        return [describe(c, label, v) for c, label, v in self._gate(kit).failures]

    def warnings(self, kit: Kit) -> list[str]:
        return [describe(c, label, v) for c, label, v in self._gate(kit).warnings]

    def unverified(self, kit: Kit) -> list[Unverified]:
        return list(self._gate(kit).unverified)


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
        overrides: Sequence[Overrides] = (),
    ) -> ClusterJudgement:
        """`overrides`: the customer's values per section (`rollout_read.overrides_of`)."""
        found = self.service.on_cluster(
            kit, components, cluster_version, self.today, overrides=overrides
        )
        failures = cluster_failures(list(found.failures), cluster_version)
        return ClusterJudgement(tuple(failures), found.unverified)

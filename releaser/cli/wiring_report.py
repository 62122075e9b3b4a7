"""Adapters for `report`: the kit's release branches, the compat engine, the fleet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from releaser.adapters.git_repo import GitRepo
from releaser.adapters.kit_files import GitRefFiles
from releaser.app.compat import CompatService
from releaser.app.compat_ports import ClusterVerdicts
from releaser.app.kit import load_kit
from releaser.app.plan import Planner
from releaser.app.report import ReportPorts
from releaser.app.report_customers import customer_rows
from releaser.cli.context import Settings
from releaser.cli.wiring import kit_root, yaml_parser
from releaser.cli.wiring_compat import compat_service, data_store, today
from releaser.cli.wiring_rollout import read_fleet, rollout_ports
from releaser.domain.kit import Kit
from releaser.domain.report import CustomerRow
from releaser.domain.versions import KitVersion


def release_refs(settings: Settings) -> Sequence[tuple[KitVersion, str]]:
    """Every release branch (local or only on origin) and the commit at its tip."""
    found = []
    for branch in GitRepo(kit_root(settings)).release_branches():
        version = KitVersion.from_branch(branch.name)
        if version is not None:
            found.append((version, branch.tip))
    return found


def report_ports(settings: Settings, offline: bool = False) -> ReportPorts:
    root = kit_root(settings)
    service = compat_service(settings, offline=offline)
    when = today(settings)
    quick = Planner(CompatService(service.sources, service.data), when)
    store = data_store()
    verdicts = ClusterVerdicts(service, when)

    def kit_at(ref: str) -> Kit:
        return load_kit(GitRefFiles(root, ref), yaml_parser)

    def customers(version: KitVersion) -> list[CustomerRow]:
        fleet, fleet_file = read_fleet(settings)
        # The report's own engine: one read (or one failure) of each upstream per run.
        ports = replace(rollout_ports(settings, fleet, fleet_file), verdicts=verdicts)
        return customer_rows(fleet, version, ports)

    return ReportPorts(
        releases=lambda: release_refs(settings),
        kit_at=kit_at,
        compat=service,
        judge=quick.judge,
        lifecycle=store.lifecycle(),
        data_dates={
            "lifecycle": store.lifecycle().date.isoformat(),
            "deprecations": store.deprecations().date.isoformat(),
        },
        customers=customers if settings.fleet_path else None,
        today=when,
    )

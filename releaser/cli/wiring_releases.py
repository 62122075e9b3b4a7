"""Adapters for `cut`, `hotfix` and `releases`.

The compatibility gate and upstream notes come from the chart sources, customers from the
fleet file.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from releaser.adapters.git_repo import GitRepo
from releaser.app.ports_git import ChangesLookup, CompatGate, CustomerVersions
from releaser.cli.context import Settings
from releaser.cli.wiring import kit_root, yaml_parser

# The changelog template (jinja2), the compatibility engine and the chart sources (requests)
# and the customer repositories are imported where they are built: `releases` without a
# fleet needs none of them.
if TYPE_CHECKING:
    from releaser.app.release_context import ReleaseDeps


def release_repo(settings: Settings) -> GitRepo:
    return GitRepo(kit_root(settings))


def compat_gate(settings: Settings) -> CompatGate:
    from releaser.app.compat_ports import ReleaseGate
    from releaser.cli.wiring_compat import compat_service, today

    return ReleaseGate(compat_service(settings), today(settings))


class TodayClock:
    """The real date, or RELEASER_TODAY for reproducible changelogs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def today(self) -> date:
        from releaser.cli.wiring_compat import today

        return today(self.settings)


def changes_lookup(settings: Settings) -> ChangesLookup:
    from releaser.app.changes import UpstreamChanges
    from releaser.cli.wiring_sources import chart_source

    return UpstreamChanges(chart_source(settings))


class FleetVersions:
    """Customer -> the kit branch its repository references, read from each customer's repo."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def versions(self) -> dict[str, str]:
        from releaser.app.rollout_read import fleet_status
        from releaser.cli.wiring_rollout import read_fleet, rollout_ports

        fleet, fleet_file = read_fleet(self.settings)
        ports = rollout_ports(self.settings, fleet, fleet_file)
        rows = fleet_status(fleet, ports.repos, ports.parse_manifests, ports.log)
        return {
            row.customer.name: row.state.version.branch
            for row in rows
            if row.state is not None and row.state.version is not None
        }


def customer_versions(settings: Settings) -> CustomerVersions | None:
    """None without a fleet file: then `releases` marks nothing to retire and `hotfix` does
    not claim that nobody receives the fix."""
    return FleetVersions(settings) if settings.fleet_path else None


def release_deps(settings: Settings) -> ReleaseDeps:
    from releaser.app.release_context import ReleaseDeps
    from releaser.render.changelog import ChangelogTemplate

    root = kit_root(settings)
    return ReleaseDeps(
        repo=GitRepo(root),
        parse=yaml_parser,
        render=ChangelogTemplate(root),
        clock=TodayClock(settings),
        compat=compat_gate(settings),
        changes=changes_lookup(settings),
    )

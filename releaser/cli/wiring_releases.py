"""Adapters for `cut`, `hotfix` and `releases`.

Not wired yet (other branches build them): the compatibility engine (`CompatGate`), upstream
release notes (`ChangesLookup`) and the fleet reader (`CustomerVersions`). Until then the
stand-ins report no failures, no notes and no customers; replace `compat_gate`,
`changes_lookup` and `customer_versions` below when those land.
"""

from __future__ import annotations

from releaser.adapters.git_repo import GitRepo
from releaser.adapters.release_fallbacks import NoChanges, NoCompatGate, SystemClock
from releaser.adapters.templates import ChangelogTemplate
from releaser.adapters.test_hook import kill_checkpoint
from releaser.app.ports_git import ChangesLookup, CompatGate, CustomerVersions
from releaser.app.release_context import ReleaseDeps
from releaser.cli.context import Settings
from releaser.cli.wiring import kit_root, yaml_parser


def release_repo(settings: Settings) -> GitRepo:
    return GitRepo(kit_root(settings))


def compat_gate(settings: Settings) -> CompatGate:
    return NoCompatGate()


def changes_lookup(settings: Settings) -> ChangesLookup:
    return NoChanges()


def customer_versions(settings: Settings) -> CustomerVersions | None:
    """Customer -> kit branch, read from the fleet; None when customers are unknown.

    To wire: when `settings.fleet_path` is set, return an adapter over the rollout helper's
    fleet/customer reader whose `versions()` maps each customer to the `targetRevision` its
    repository references. Until then None, so `releases` marks nothing to retire and
    `hotfix` does not claim that nobody receives the fix.
    """
    return None


def release_deps(settings: Settings) -> ReleaseDeps:
    root = kit_root(settings)
    return ReleaseDeps(
        repo=GitRepo(root),
        parse=yaml_parser,
        render=ChangelogTemplate(root),
        clock=SystemClock(),
        compat=compat_gate(settings),
        changes=changes_lookup(settings),
        checkpoint=kill_checkpoint,
    )

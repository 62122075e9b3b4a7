"""Each module registers its commands on the app with `register(app)`; the order here is the
order of `releaser --help`."""

from types import ModuleType

from releaser.cli.commands import bump, check, compat, demo, kit, releases, report, rollout

COMMAND_MODULES: tuple[ModuleType, ...] = (
    kit,
    check,
    bump,
    compat,
    releases,
    rollout,
    report,
    demo,
)

"""Each module registers its commands on the app with `register(app)`."""

from types import ModuleType

from releaser.cli.commands import kit, rollout

COMMAND_MODULES: tuple[ModuleType, ...] = (kit, rollout)

"""Each module registers its commands on the app with `register(app)`."""

from types import ModuleType

from releaser.cli.commands import bump, check, compat, kit

COMMAND_MODULES: tuple[ModuleType, ...] = (kit, check, bump, compat)

"""Commands built on first use.

typer builds every registered command (signature inspection, parameters) before it parses
the command line, and every command module imports its adapters; `releaser --help` paid for
all of them. Here the root group lists every command from the registry
(`releaser.cli.commands.COMMANDS`) as a placeholder with its one-line help, and imports and
builds a command's module only when that command is resolved to run (or to show its help).
Both are then made conventional by `releaser.cli.conventions`: global options accepted after
the command name, readable help, and the pydantic-free value conversion.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from releaser.cli import conventions
from releaser.cli.commands import COMMANDS

_MODULES = {entry.name: entry.module for entry in COMMANDS}


class Placeholder(TyperCommand):
    """A command not loaded yet: only its name and help, for listings and typo suggestions."""


def load_command(name: str) -> Any:
    """Import the command's module and build the commands it registers; return `name`'s."""
    module = importlib.import_module(f"releaser.cli.commands.{_MODULES[name]}")
    scratch = typer.Typer()
    module.register(scratch)
    return typer.main.get_group(scratch).commands[name]


class LazyGroup(TyperGroup):
    """A typer group whose registry commands are placeholders until resolved."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for entry in COMMANDS:
            if entry.name not in self.commands:
                self.commands[entry.name] = Placeholder(name=entry.name, help=entry.help)

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        conventions.prepare_root(self, ctx)
        return super().parse_args(ctx, args)

    def resolve_command(  # type: ignore[override]
        self, ctx: typer.Context, args: list[str]
    ) -> tuple[str | None, Any, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None and isinstance(command, Placeholder):
            command = self.commands[name] = load_command(name)
        if command is not None:
            conventions.prepare(command, ctx)
        return name, command, rest

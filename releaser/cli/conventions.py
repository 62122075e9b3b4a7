"""What every command gets as it is built: the global options, readable help, plain conversion.

The global options (`--kit`, `--fleet`, `--mirrors`, `--json`, `-v`, `--no-color`) are
declared once, on the root command (`releaser.cli.main.global_options`, which builds the
run's container from them). `prepare(command, ctx)` gives each command (and each subcommand,
as `data refresh`) a copy of them under a "Global options" heading, so `releaser check
--json` means `releaser --json check`. No copy passes a value to its command: it records
what it is given in the container's `GlobalOptions` (`merge_global_option`). The command's
options are parsed after the root's, so an option given both before and after the command
name takes the value given after it.

Help shows what a value means, not its Python type: flags show no `<bool>`, choices show
`[md|html|json]`, arguments show their metavar (`VERSION`) without `<str>`; every other
option names its metavar where it is declared (tests/test_cli_conventions.py checks it).
"""

from __future__ import annotations

import copy
from dataclasses import fields, replace
from typing import Any

import typer
from typer.core import TyperArgument, TyperOption

from releaser.cli import coercion
from releaser.cli.container import container
from releaser.cli.context import GlobalOptions

GLOBAL_PANEL = "Global options"
GLOBAL_NAMES = frozenset(field.name for field in fields(GlobalOptions))


def merge_global_option(ctx: typer.Context, param: typer.CallbackParam, value: Any) -> Any:
    """Record a global option given after the command name (a default changes nothing)."""
    if value is not None and value is not False and param.name in GLOBAL_NAMES:
        parts = container(ctx)
        parts.options = replace(parts.options, **{param.name: value})
    return value


class NamedArgument(TyperArgument):
    """An argument whose help shows its metavar (`SHELL`) and its choices, if any
    (`[bash|zsh|fish]`), not its type (`<str>`)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return _choices_label(self)


def readable(param: Any) -> None:
    """Give `param` the help display of the tools SREs use (helm, kubectl, gh)."""
    if type(param) is TyperArgument:
        # typer builds every argument as a TyperArgument; the subclass changes the display only
        param.__class__ = NamedArgument
    if not isinstance(param, TyperOption) or param.metavar is not None:
        return
    param.metavar = "" if param.is_flag else _choices_label(param)


def _choices_label(param: Any) -> str | None:
    choices = param.type_descriptor.choices
    return "[" + "|".join(str(c) for c in choices) + "]" if choices else None


def prepare_root(group: Any, ctx: typer.Context) -> None:
    """The root command's own parameters, `--help` included, before it parses anything."""
    _readable_params(group, ctx)
    coercion.install(group, ctx)


def prepare(command: Any, ctx: typer.Context) -> None:
    """A command resolved under the root context `ctx`, once: global options, readable help,
    plain conversion, for it and its subcommands."""
    if getattr(command, "_releaser_prepared", False):
        return
    templates = [p for p in ctx.find_root().command.params if p.name in GLOBAL_NAMES]
    _prepare_tree(command, ctx, templates)
    coercion.install(command, ctx)


def _prepare_tree(command: Any, ctx: typer.Context, templates: list[Any]) -> None:
    _attach_global_options(command, templates)
    _readable_params(command, ctx)
    command._releaser_prepared = True
    for sub in getattr(command, "commands", {}).values():
        _prepare_tree(sub, ctx, templates)


def _attach_global_options(command: Any, templates: list[Any]) -> None:
    taken = {opt for p in command.params for opt in (*p.opts, *p.secondary_opts)}
    for template in templates:
        if taken.intersection(template.opts):  # the command's own option of that name wins
            continue
        option = copy.copy(template)
        option.expose_value = False  # the command's function does not take it
        option.callback = merge_global_option
        option.rich_help_panel = GLOBAL_PANEL
        command.params.append(option)


def _readable_params(command: Any, ctx: typer.Context) -> None:
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is not None:
            readable(param)

"""Where the CLI writes: data to stdout, diagnostics to stderr, JSON when asked.

Every line goes through `releaser.render.output`: redacted, and without escape sequences or
control characters (newlines and tabs stay, so Markdown and HTML pass unchanged). The style
marks of the text renderers become colour here, and only when stdout is a terminal that
wants it (`color_choice`); a pipe, `--no-color`, `NO_COLOR` and stderr get plain text.
"""

from __future__ import annotations

import shutil
import sys
from typing import Any

import typer

from releaser.render import output, style
from releaser.settings import TerminalSettings


def color_choice(no_color: bool) -> bool | None:
    """Colour for this run: never with `--no-color`, else as `NO_COLOR`, `FORCE_COLOR` and
    `TERM` ask; None: when stdout is a terminal. `container` puts it on the command's context
    (`ctx.color`), where `typer.echo` reads it."""
    return False if no_color else TerminalSettings.from_env().color


def terminal_width() -> int | None:
    """The width text fits on stdout's terminal (COLUMNS wins); None when stdout is not a
    terminal, so every line stays whole for the scripts that parse it."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def emit(text: str, newline: bool = True) -> None:
    """Data on stdout (a table, a report, a summary). Its style marks become ANSI colour, which
    `typer.echo` removes again unless the context's colour or a terminal asks for it."""
    safe = output.terminal(text)
    if TerminalSettings.from_env().color is False:  # before any command has set the context
        typer.echo(style.plain(safe), nl=newline)
    else:
        typer.echo(style.ansi(safe), nl=newline)


def emit_json(data: Any) -> None:
    typer.echo(output.json_text(data))


def info(message: str) -> None:
    """A diagnostic line: stderr, so stdout stays pure data."""
    typer.echo(style.plain(output.terminal(message)), err=True)

"""Where the CLI writes: data to stdout, diagnostics to stderr, JSON when asked, files by name.

Every line goes through `releaser.render.output`: redacted, and without escape sequences or
control characters (newlines and tabs stay, so Markdown and HTML pass unchanged). The style
marks of the text renderers become colour here, and only when stdout is a terminal that
wants it (`color_choice`); a pipe, `--no-color`, `NO_COLOR` and stderr get plain text.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import typer

from releaser.cli import progress
from releaser.render import output, style
from releaser.settings import TerminalSettings

STDOUT = Path("-")


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
    """A diagnostic line: stderr, so stdout stays pure data (a progress line steps aside)."""
    with progress.aside():
        typer.echo(style.plain(output.terminal(message)), err=True)


def check_output(path: Path | None) -> None:
    """Refuse an output file that cannot be written before the work that fills it."""
    from releaser.adapters.output_file import check_target  # not for `releaser --help`

    if path is not None and path != STDOUT:
        check_target(path)


def write_output(path: Path | None, text: str) -> None:
    """`text` into the file `path`, whole or not at all; stdout when it is None or `-`."""
    from releaser.adapters.output_file import write_atomically

    if path is None or path == STDOUT:
        emit(text, newline=not text.endswith("\n"))
        return
    write_atomically(path, text)
    info(f"wrote {path} ({len(text):,} characters)")

"""Where the CLI writes: data to stdout, diagnostics to stderr, JSON when asked.

Every line goes through `releaser.render.output`: redacted, and without escape sequences or
control characters (newlines and tabs stay, so Markdown and HTML pass unchanged).
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from releaser.cli import progress
from releaser.render import output


def emit(text: str, newline: bool = True) -> None:
    """Data on stdout (a table, a report, a summary)."""
    typer.echo(output.terminal(text), nl=newline)


def emit_json(data: Any) -> None:
    typer.echo(output.json_text(data))


def info(message: str) -> None:
    """A diagnostic line: stderr, so stdout stays pure data (a progress line steps aside)."""
    with progress.aside():
        typer.echo(output.terminal(message), err=True)


def use_color(no_color: bool) -> bool:
    return not no_color and sys.stdout.isatty()

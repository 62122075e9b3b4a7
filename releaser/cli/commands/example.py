"""`releaser example fleet|mirrors|kit`: a commented example file to start from."""

from __future__ import annotations

from importlib import resources

import typer

from releaser.cli.output import emit
from releaser.domain.errors import UsageError

KINDS = ("fleet", "mirrors", "kit")


def example_text(kind: str) -> str:
    """The packaged example for `kind` (tests load each one with the real readers)."""
    return resources.files("releaser.data").joinpath(f"examples/{kind}.yaml").read_text("utf-8")


def example(
    kind: str = typer.Argument(..., metavar="fleet|mirrors|kit", help="Which file."),
) -> None:
    """Print a commented example file: the fleet, the mirror map, or a kit's layout."""
    if kind not in KINDS:
        raise UsageError(f"no example named '{kind}'", hint=f"choose one of: {', '.join(KINDS)}")
    emit(example_text(kind), newline=False)


def register(app: typer.Typer) -> None:
    app.command()(example)

"""`releaser example fleet|mirrors|kit`: a commented example file to start from."""

from __future__ import annotations

from importlib import resources

import typer

from releaser.cli.choices import ExampleKind
from releaser.cli.output import emit


def example_text(kind: str) -> str:
    """The packaged example for `kind` (tests load each one with the real readers)."""
    return resources.files("releaser.data").joinpath(f"examples/{kind}.yaml").read_text("utf-8")


def example(
    kind: ExampleKind = typer.Argument(..., metavar="KIND", help="Which file."),
) -> None:
    """Print a commented example file: the fleet, the mirror map, or a kit's layout.

    Each one is what releaser reads; the comments say what every key means.

    Examples:
      releaser example fleet > fleet.yaml
      releaser example mirrors > mirrors.yaml
      releaser example kit
    """
    emit(example_text(kind), newline=False)


def register(app: typer.Typer) -> None:
    app.command()(example)

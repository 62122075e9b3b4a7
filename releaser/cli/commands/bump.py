"""`bump`: set one component's chart version in values.yaml, keeping the file's formatting."""

from __future__ import annotations

import typer

from releaser.cli import completion
from releaser.cli.container import container
from releaser.cli.output import emit, emit_json, info


def bump_command(
    ctx: typer.Context,
    component: str = typer.Argument(
        ...,
        metavar="COMPONENT",
        autocompletion=completion.components,
        help="The component to bump.",
    ),
    to: str | None = typer.Option(
        None, "--to", metavar="VERSION", help="Exact chart version, as published."
    ),
    latest: bool = typer.Option(False, "--latest", help="Newest upstream release."),
    latest_compatible: bool = typer.Option(
        False, "--latest-compatible", help="Newest release compatible with the kit's range."
    ),
    pre: bool = typer.Option(False, "--pre", help="Let --latest* pick pre-releases too."),
    allow_downgrade: bool = typer.Option(
        False, "--allow-downgrade", help="Allow a version older than the current one."
    ),
) -> None:
    """Edit a component's version in core/<section>/values.yaml; nothing else changes.

    Pass one of --to, --latest or --latest-compatible.
    Comments and formatting are kept.

    Examples:
      releaser bump cert-manager --to v1.16.3
      releaser bump external-dns --latest-compatible
      releaser bump ingress-nginx --latest --pre --json
    """
    # Imported here: `bump --help` does not pay for the chart sources and the engine.
    from releaser.app.bump import BumpRequest, bump

    parts = container(ctx)
    request = BumpRequest(component, to, latest, latest_compatible, pre, allow_downgrade)
    result = bump(request, parts.bump_ports())
    for note in result.notes:
        info(f"note: {note}")
    where = f"{result.file}:{result.line}" if result.line else result.file
    if parts.options.json:
        emit_json(result.as_dict())
    elif result.changed:
        emit(f"{result.name}: {result.from_version} -> {result.to_version} ({where})")
    else:
        emit(f"{result.name}: already at {result.to_version} ({where})")


def register(app: typer.Typer) -> None:
    app.command("bump")(bump_command)

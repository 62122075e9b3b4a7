"""`cut`, `hotfix` and `releases`: making and listing kit release branches."""

from __future__ import annotations

import typer

from releaser.app.cut import CutRequest, cut
from releaser.cli.context import settings
from releaser.cli.output import emit_json, info
from releaser.cli.render_release import render_dry_run, render_written
from releaser.cli.wiring_releases import release_deps


def cut_command(
    ctx: typer.Context,
    version: str = typer.Argument(..., help="The release to cut, YYYY.N (e.g. 2024.3)."),
    from_ref: str = typer.Option("main", "--from", help="Ref to cut from."),
    push: bool = typer.Option(False, "--push", help="Push the release branch and the source."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the commits; write nothing."),
    allow_incompatible: bool = typer.Option(
        False, "--allow-incompatible", help="Cut despite compat failures (noted in changelog)."
    ),
) -> None:
    """Create release/VERSION with its version and changelog entry."""
    opts = settings(ctx)
    deps = release_deps(opts)
    request = CutRequest(version, from_ref, push, dry_run, allow_incompatible)
    result = cut(request, deps)
    for warning in result.warnings:
        info(f"warning: {warning}")
    if opts.json:
        emit_json(
            {
                "version": result.version,
                "branch": result.branch,
                "source": result.source_branch,
                "dryRun": dry_run,
                "resumed": result.resumed,
                "commits": result.written.commits if result.written else {},
                "pushed": list(result.written.pushed) if result.written else [],
                "changelog": result.entry,
            }
        )
    elif result.written is None:
        typer.echo(render_dry_run(result.plan, deps.repo.remote))
    else:
        typer.echo(render_written(result.plan, result.written, deps.repo.remote))


def register(app: typer.Typer) -> None:
    app.command("cut")(cut_command)

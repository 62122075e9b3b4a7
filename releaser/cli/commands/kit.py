"""`components`, `validate` and `diff`: reading and comparing the kit."""

from __future__ import annotations

import typer

from releaser.app.kit import check_kit
from releaser.cli.context import settings
from releaser.cli.output import emit_json, info
from releaser.cli.wiring import kit_files, read_kit, yaml_parser
from releaser.domain.diff import diff_kits
from releaser.domain.errors import ExitCode, UsageError
from releaser.domain.redaction import redact
from releaser.render.diff import render_diff, render_diff_json
from releaser.render.text import table


def components(
    ctx: typer.Context,
    section: str | None = typer.Option(None, "--section", help="Only this section."),
    ref: str | None = typer.Option(None, "--ref", help="Git ref to read (default: working tree)."),
) -> None:
    """List the kit's components with chart, repository and version (credentials masked)."""
    opts = settings(ctx)
    kit = read_kit(opts, ref)
    if section and kit.section(section) is None:
        raise UsageError(
            f"unknown section '{section}'", hint=f"sections: {', '.join(kit.section_names)}"
        )
    items = [c for c in kit if not section or c.section == section]
    if opts.json:  # a repoURL may carry user:password@: never shown
        emit_json({"components": [{k: redact(v) for k, v in c.summary().items()} for c in items]})
        return
    rows = [(c.section, c.name, c.chart, c.version, c.namespace, redact(c.repo_url)) for c in items]
    typer.echo(table(("SECTION", "NAME", "CHART", "VERSION", "NAMESPACE", "REPOSITORY"), rows))


def validate(
    ctx: typer.Context,
    ref: str | None = typer.Option(None, "--ref", help="Git ref to check (default: working tree)."),
) -> None:
    """Check every kit file; print each problem as file:line: message."""
    opts = settings(ctx)
    files = kit_files(opts, ref)
    from releaser.adapters.datasets import COMPATIBILITY_FILE, compatibility_problems

    kit, problems = check_kit(files, yaml_parser)
    problems += compatibility_problems(files.read_text(COMPATIBILITY_FILE))
    if opts.json:
        emit_json({"valid": not problems, "problems": [p.__dict__ for p in problems]})
    for problem in problems:
        (info if opts.json else typer.echo)(str(problem))
    if problems:
        info(f"{len(problems)} problem(s) in the kit ({files.label})")
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)
    if kit and not opts.json:
        typer.echo(
            f"kit {kit.name} ({files.label}): {len(kit.components)} components, "
            f"Kubernetes {kit.kubernetes}: valid"
        )


def diff(
    ctx: typer.Context,
    ref_a: str = typer.Argument(..., help="The older kit ref."),
    ref_b: str = typer.Argument(..., help="The newer kit ref."),
) -> None:
    """What changed between two kit refs."""
    opts = settings(ctx)
    changes = diff_kits(read_kit(opts, ref_a), read_kit(opts, ref_b), ref_a, ref_b)
    if opts.json:
        typer.echo(render_diff_json(changes))
    else:
        typer.echo(render_diff(changes))


def register(app: typer.Typer) -> None:
    app.command()(components)
    app.command()(validate)
    app.command()(diff)

"""`releaser report VERSION`: the compatibility report for the release review (SPEC §7)."""

from __future__ import annotations

from pathlib import Path

import typer

from releaser.cli import completion
from releaser.cli.choices import ReportFormat
from releaser.cli.container import container
from releaser.cli.output import check_output, write_output
from releaser.cli.partial import fail_if_partial
from releaser.domain.errors import UsageError

FORMATS = ("md", "html", "json")


def report(
    ctx: typer.Context,
    version: str = typer.Argument(
        ...,
        metavar="VERSION",
        autocompletion=completion.release_versions,
        help="The release to review, e.g. 2024.3.",
    ),
    against: str | None = typer.Option(
        None,
        "--against",
        metavar="VERSION",
        autocompletion=completion.release_versions,
        help="Compare with this release (default: the previous one).",
    ),
    output_format: ReportFormat = typer.Option(
        "md", "--format", help="Markdown (pull request), HTML (one page) or JSON."
    ),
    output: Path | None = typer.Option(
        None, "-o", "--output", metavar="FILE", help="Write to FILE instead of stdout."
    ),
    offline: bool = typer.Option(False, "--offline", help="Use cached upstream data only."),
) -> None:
    """The compatibility report: changes, matrix, lifecycle, drift and customers.

    For the release review; with a fleet file, each customer's preflight too.
    Exit 4 when an upstream cannot be read: the report marks what is unjudged.

    Examples:
      releaser report 2024.3
      releaser report 2024.3 --against 2024.1 --format html -o report.html
      releaser report 2024.3 --offline --json
    """
    from releaser.app.report import build_report
    from releaser.render.report import render_html, render_json, render_markdown

    check_output(output)
    parts = container(ctx)
    chosen = "json" if parts.options.json else output_format
    if chosen not in FORMATS:
        raise UsageError(f"unknown format '{chosen}'", hint="use md, html or json")
    model = build_report(version, against, parts.report_ports(offline))
    render = {"md": render_markdown, "html": render_html, "json": render_json}[chosen]
    write_output(output, render(model))
    fail_if_partial(model.unverified, f"the report of {model.version}")


def register(app: typer.Typer) -> None:
    app.command()(report)

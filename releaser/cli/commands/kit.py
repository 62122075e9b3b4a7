"""`components`, `validate` and `diff`: reading and comparing the kit."""

from __future__ import annotations

import typer

from releaser.app.diff_render import KitSide, rendered_diff
from releaser.app.diff_render import chart_values as chart_values_of
from releaser.app.kit import check_kit
from releaser.cli import completion
from releaser.cli.choices import DiffFormat, SectionName
from releaser.cli.container import Container, container
from releaser.cli.output import emit, emit_json, info, terminal_width
from releaser.cli.partial import fail_if_partial
from releaser.domain.diff import diff_kits
from releaser.domain.errors import ExitCode, UsageError
from releaser.domain.manifest_diff import ManifestDiff
from releaser.domain.redaction import redact
from releaser.render.diff import render_all
from releaser.render.style import paint
from releaser.render.text import Column, table


def components(
    ctx: typer.Context,
    section: SectionName | None = typer.Option(None, "--section", help="Only this section."),
    ref: str | None = typer.Option(
        None, "--ref", metavar="REF", autocompletion=completion.release_refs,
        help="Git ref to read (default: working tree).",
    ),
) -> None:  # fmt: skip
    """List the kit's components with chart, repository and version (credentials masked).

    A ref is read from the git database: nothing is checked out.

    Examples:
      releaser components
      releaser components --section aws --json
      releaser components --ref release/2024.3
    """
    parts = container(ctx)
    kit = parts.read_kit(ref)
    if section and kit.section(section) is None:
        raise UsageError(
            f"unknown section '{section}'", hint=f"sections: {', '.join(kit.section_names)}"
        )
    items = [c for c in kit if not section or c.section == section]
    if parts.options.json:  # a repoURL may carry user:password@: never shown
        emit_json({"components": [{k: redact(v) for k, v in c.summary().items()} for c in items]})
        return
    rows = [(c.section, c.name, c.chart, c.version, c.namespace, redact(c.repo_url)) for c in items]
    headers = ("SECTION", "NAME", Column("CHART", cut=True), "VERSION",
               Column("NAMESPACE", cut=True), Column("REPOSITORY", cut=True, leave=1))  # fmt: skip
    emit(table(headers, rows, terminal_width()))


def validate(
    ctx: typer.Context,
    ref: str | None = typer.Option(
        None, "--ref", metavar="REF", autocompletion=completion.release_refs,
        help="Git ref to check (default: working tree).",
    ),
) -> None:  # fmt: skip
    """Check every kit file; print each problem as file:line: message.

    Exit 0 when the kit is valid, 1 when a file has problems.

    Examples:
      releaser validate
      releaser validate --ref release/2024.3 --json
    """
    from releaser.adapters.datasets import COMPATIBILITY_FILE, compatibility_problems

    parts = container(ctx)
    opts = parts.options
    files = parts.kit_files(ref)
    kit, problems = check_kit(files, parts.parse)
    problems += compatibility_problems(files.read_text(COMPATIBILITY_FILE))
    if opts.json:
        emit_json({"valid": not problems, "problems": [p.__dict__ for p in problems]})
    for problem in problems:
        (info if opts.json else emit)(paint(str(problem), "fail"))
    if problems:
        info(f"{len(problems)} problem(s) in the kit ({files.label})")
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)
    if kit and not opts.json:
        emit(
            f"kit {kit.name} ({files.label}): {len(kit.components)} components, "
            f"Kubernetes {kit.kubernetes}: {paint('valid', 'ok')}"
        )


def diff(
    ctx: typer.Context,
    ref_a: str = typer.Argument(
        ..., metavar="REF_A", autocompletion=completion.release_refs, help="The older kit ref."
    ),
    ref_b: str = typer.Argument(
        ..., metavar="REF_B", autocompletion=completion.release_refs, help="The newer kit ref."
    ),
    render: bool = typer.Option(
        False, "--render", help="Also render every section and component chart with helm at "
        "both refs and diff the manifests per resource (Secret values masked).",
    ),
    customer: str | None = typer.Option(
        None, "--customer", metavar="NAME", autocompletion=completion.customers,
        help="With --render: that fleet customer's overrides, sections and cluster version.",
    ),
    chart_values: bool = typer.Option(
        False, "--chart-values",
        help="Also diff each bumped chart's upstream default values (added, removed, renamed).",
    ),
    form: DiffFormat = typer.Option(
        "text", "--format", help="text for a terminal, md for a pull request, or json."
    ),
) -> None:  # fmt: skip
    """What changed between two kit refs.

    Components added and removed, versions, defaults and the Kubernetes range.
    Refs are read from the git database: nothing is checked out.
    --render needs helm (on PATH or in the kit's .tools/bin); rendered manifests
    are never written to disk.

    Examples:
      releaser diff release/2024.2 release/2024.3
      releaser diff release/2024.3 main --json
      releaser diff release/2024.2 release/2024.3 --render --customer kuvaq
      releaser diff release/2024.2 release/2024.3 --chart-values --format md
    """
    parts = container(ctx)
    if customer and not render:
        raise UsageError("--customer needs --render", hint="add --render")
    before, after = parts.read_kit(ref_a), parts.read_kit(ref_b)
    changes = diff_kits(before, after, ref_a, ref_b)
    rendered = _rendered(parts, ref_a, ref_b, customer) if render else None
    values, unread = (
        chart_values_of(changes, before, after, parts.upstream_charts, parts.progress)
        if chart_values else (None, ())
    )  # fmt: skip
    emit(render_all(changes, rendered, values, "json" if parts.options.json else form))
    fail_if_partial([*(rendered.unverified if rendered else ()), *unread], "the diff")


def _rendered(parts: Container, ref_a: str, ref_b: str, customer: str | None) -> ManifestDiff:
    ports = parts.render_ports()
    if ports is None:
        raise UsageError("--render needs helm: none on PATH nor in the kit's .tools/bin",
                         hint="install helm 3 (.ci/install-helm.sh)")  # fmt: skip
    sides = [KitSide(ref, parts.kit_files(ref), parts.read_kit(ref)) for ref in (ref_a, ref_b)]
    inputs = parts.customer_inputs(customer) if customer else None
    return rendered_diff(sides[0], sides[1], ports, inputs)


def register(app: typer.Typer) -> None:
    app.command()(components)
    app.command()(validate)
    app.command()(diff)

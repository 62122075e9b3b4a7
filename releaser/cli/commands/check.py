"""`check`: upstream releases for every component (newest patch / minor / major)."""

from __future__ import annotations

import typer

from releaser.cli.choices import SectionName, TextFormat
from releaser.cli.container import container
from releaser.cli.output import emit, terminal_width
from releaser.domain.errors import UpstreamError, UsageError
from releaser.domain.kit import Component, Kit


def check(
    ctx: typer.Context,
    section: SectionName | None = typer.Option(None, "--section", help="Only this section."),
    offline: bool = typer.Option(False, "--offline", help="Use cached indexes only."),
    pre: bool = typer.Option(False, "--pre", help="Consider pre-release versions."),
    fmt: TextFormat = typer.Option(
        "table", "--format", help="A terminal table or Markdown (with --json: JSON)."
    ),
) -> None:
    """Newest upstream patch, minor and major release of each component.

    With each: its kubeVersion, app version, deprecation and release notes link.
    Exit 4 when an upstream cannot be read; the others are still printed.

    Examples:
      releaser check
      releaser check --section addons --json
      releaser check --offline --format md
    """
    # Imported here: `releaser --help` and other commands do not pay for urllib3 and yaml.
    from releaser.app.check import check_components
    from releaser.render import check as render_check

    parts = container(ctx)
    items = _components(parts.read_kit(), section)
    source, memo = parts.chart_source(offline), parts.check_memo(offline)
    result = check_components(
        items,
        source,
        include_prerelease=pre,
        progress=parts.progress,
        memo=memo,
        stale=parts.stale_copies,
    )
    json = parts.options.json
    if json:
        emit(render_check.render_json(result))
    elif fmt == "md":
        emit(render_check.render_markdown(result))
    else:
        emit(render_check.render_table(result, terminal_width()))
    if result.failed:
        raise UpstreamError(render_check.failure_message(result, detailed=json))


def _components(kit: Kit, section: str | None) -> list[Component]:
    if section and kit.section(section) is None:
        raise UsageError(
            f"unknown section '{section}'", hint=f"sections: {', '.join(kit.section_names)}"
        )
    return [c for c in kit if not section or c.section == section]


def register(app: typer.Typer) -> None:
    app.command()(check)

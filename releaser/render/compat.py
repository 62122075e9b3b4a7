"""Text, Markdown and JSON forms of the compat matrix and the plan.

Reasons carry upstream text (kubeVersion ranges, chart messages): one line each on the
terminal, `md_inline` in Markdown.
"""

from __future__ import annotations

from typing import Any

from releaser.domain.compat import CompatMatrix, ComponentRow
from releaser.domain.findings import Finding
from releaser.domain.kit import Kit
from releaser.domain.plan import Plan
from releaser.render import output, style
from releaser.render.sanitize import md_inline, one_line
from releaser.render.style import Styled
from releaser.render.text import Column, pad, table, wrap

MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "unknown": "?"}
REASON_INDENT = " " * 19  # under the message of `  LABEL    LEVEL   message`


def _header(kit: Kit, matrix: CompatMatrix, where: str) -> list[str]:
    above = [label for label in matrix.labels if label not in matrix.in_range]
    shown = f" (+ {', '.join(above)} shown, outside the range)" if above else ""
    data = matrix.data
    return [
        f"{kit.name} ({where}): Kubernetes {kit.kubernetes}{shown}",
        f"data snapshots: lifecycle {data['lifecycle']}, deprecated APIs {data['deprecations']}",
        _profile_line(matrix),
    ]


def _profile_line(matrix: CompatMatrix) -> str:
    """Which deploy path the kubeVersion verdicts follow, and why that one."""
    origin = f"; {matrix.profile_origin}" if matrix.profile_origin else ""
    return f"kubeVersion judged as {matrix.profile.title} (profile {matrix.profile.name}{origin})"


def _column(matrix: CompatMatrix, label: str) -> str:
    return label if label in matrix.in_range else f"{label}*"


def _reasons(row: ComponentRow, verbose: bool) -> list[tuple[str, Finding]]:
    out = []
    for label, cell in row.cells.items():
        for finding in cell.reasons:
            if verbose or finding.level in ("fail", "warn"):
                out.append((label, finding))
    return out


def render_text(
    kit: Kit, matrix: CompatMatrix, where: str, verbose: bool = False, width: int | None = None
) -> str:
    """The matrix and its reasons; `width` fits them to a terminal (the templates and section
    columns give way, reasons wrap)."""
    headers: list[str | Column] = [
        "component",
        Column("section", cut=True, leave=2),
        "version",
        Column("templates", cut=True, leave=1),
        *(_column(matrix, label) for label in matrix.labels),
    ]
    rows = [
        [
            row.component.name,
            row.component.section,
            row.component.version,
            row.api_method,
            *(_verdict(row.cells[label].level) for label in matrix.labels),
        ]
        for row in matrix.rows
    ]
    lines = [*(wrap(line, width, "  ") for line in _header(kit, matrix, where)), ""]
    lines += [table(headers, rows, width), ""]
    for row in matrix.rows:
        reasons = _reasons(row, verbose)
        if reasons:
            lines.append(f"{row.component.name} {row.component.version}:")
            lines += [_reason_line(label, f, width) for label, f in reasons]
    if not verbose:
        lines.append("(ok and unknown reasons: -v)")
    return output.terminal("\n".join(lines))


def _verdict(level: str) -> Styled:
    return Styled(MARKS[level], level)


def _reason_line(label: str, finding: Finding, width: int | None) -> str:
    level = pad(style.paint(finding.level, finding.level), 7)
    line = f"  {label:<8} {level} {finding.source}: {one_line(finding.message)}"
    return wrap(line, width, REASON_INDENT)


def render_json(matrix: CompatMatrix) -> str:
    return output.json_text(matrix.as_dict())


def render_markdown(kit: Kit, matrix: CompatMatrix, where: str, verbose: bool = False) -> str:
    head = _header(kit, matrix, where)
    cols = [_column(matrix, label) for label in matrix.labels]
    lines = [
        f"### {md_inline(head[0])}",
        "",
        f"_{md_inline(head[1])}_",
        "",
        f"_{md_inline(head[2])}_",
        "",
        "| component | version | " + " | ".join(md_inline(c) for c in cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    for row in matrix.rows:
        cells = " | ".join(MARKS[row.cells[label].level] for label in matrix.labels)
        name, version = md_inline(row.component.name), md_inline(row.component.version)
        lines.append(f"| {name} | {version} | {cells} |")
    lines.append("")
    for row in matrix.rows:
        for label, f in _reasons(row, verbose):
            lines.append(
                f"- **{md_inline(row.component.name)}** {md_inline(label)} `{f.level}` "
                f"{md_inline(f.source)}: {md_inline(f.message)}"
            )
    return output.markdown("\n".join(lines))


def render_plan(plan: Plan, width: int | None = None) -> str:
    """The proposed bumps and what was held back; `width` wraps the reasons to a terminal."""
    lines = []
    if plan.proposals:
        lines.append(
            table(
                ["component", "section", "from", "to", "change"],
                [
                    [p.name, p.section, p.from_version, p.to_version, _change(p.change)]
                    for p in plan.proposals
                ],
                width,
            )
        )
    else:
        lines.append("no bump to propose: every component is on its newest compatible release")
    majors = [h for h in plan.held if h.kind == "major"]
    blocked = [h for h in plan.held if h.kind != "major"]
    if majors:
        lines += ["", "major bumps (never applied by plan):"]
        lines += [_held_line(h.name, h.to_version, h.reason, width) for h in majors]
    if blocked:
        lines += ["", style.paint("held back:", "warn")]
        lines += [_held_line(h.name, h.to_version, h.reason, width) for h in blocked]
    if plan.notes:
        lines += ["", "shared with the current versions (held against no candidate):"]
        lines += [wrap(f"  {one_line(n.text)}", width, "    ") for n in plan.notes]
    if plan.unverified:
        lines += ["", style.paint("not planned (upstream unreadable):", "fail")]
        lines += [wrap(f"  {one_line(str(u))}", width, "    ") for u in plan.unverified]
    return output.terminal("\n".join(lines))


def _change(kind: str) -> Styled:
    return Styled(kind, style.CHANGE_STYLES.get(kind))


def _held_line(name: str, version: str, reason: str, width: int | None) -> str:
    return wrap(f"  {name} -> {version}: {one_line(reason)}", width, "    ")


def render_plan_json(plan: Plan, applied: list[dict[str, Any]]) -> str:
    return output.json_text({**plan.as_dict(), "applied": applied})

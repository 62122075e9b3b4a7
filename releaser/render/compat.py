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
from releaser.render import output
from releaser.render.sanitize import md_inline, one_line
from releaser.render.text import table

MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "unknown": "?"}


def _header(kit: Kit, matrix: CompatMatrix, where: str) -> list[str]:
    above = [label for label in matrix.labels if label not in matrix.in_range]
    shown = f" (+ {', '.join(above)} shown, outside the range)" if above else ""
    data = matrix.data
    return [
        f"{kit.name} ({where}): Kubernetes {kit.kubernetes}{shown}",
        f"data snapshots: lifecycle {data['lifecycle']}, deprecated APIs {data['deprecations']}",
    ]


def _column(matrix: CompatMatrix, label: str) -> str:
    return label if label in matrix.in_range else f"{label}*"


def _reasons(row: ComponentRow, verbose: bool) -> list[tuple[str, Finding]]:
    out = []
    for label, cell in row.cells.items():
        for finding in cell.reasons:
            if verbose or finding.level in ("fail", "warn"):
                out.append((label, finding))
    return out


def render_text(kit: Kit, matrix: CompatMatrix, where: str, verbose: bool = False) -> str:
    headers = [
        "component",
        "section",
        "version",
        "templates",
        *(_column(matrix, label) for label in matrix.labels),
    ]
    rows = [
        [
            row.component.name,
            row.component.section,
            row.component.version,
            row.api_method,
            *(MARKS[row.cells[label].level] for label in matrix.labels),
        ]
        for row in matrix.rows
    ]
    lines = [*_header(kit, matrix, where), "", table(headers, rows), ""]
    for row in matrix.rows:
        reasons = _reasons(row, verbose)
        if reasons:
            lines.append(f"{row.component.name} {row.component.version}:")
            lines += [
                f"  {label:<8} {f.level:<7} {f.source}: {one_line(f.message)}"
                for label, f in reasons
            ]
    if not verbose:
        lines.append("(ok and unknown reasons: -v)")
    return output.terminal("\n".join(lines))


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


def render_plan(plan: Plan) -> str:
    lines = []
    if plan.proposals:
        lines.append(
            table(
                ["component", "section", "from", "to", "change"],
                [
                    [p.name, p.section, p.from_version, p.to_version, p.change]
                    for p in plan.proposals
                ],
            )
        )
    else:
        lines.append("no bump to propose: every component is on its newest compatible release")
    majors = [h for h in plan.held if h.kind == "major"]
    blocked = [h for h in plan.held if h.kind != "major"]
    if majors:
        lines += ["", "major bumps (never applied by plan):"]
        lines += [f"  {h.name} -> {h.to_version}: {one_line(h.reason)}" for h in majors]
    if blocked:
        lines += ["", "held back:"]
        lines += [f"  {h.name} -> {h.to_version}: {one_line(h.reason)}" for h in blocked]
    if plan.notes:
        lines += ["", "shared with the current versions (held against no candidate):"]
        lines += [f"  {one_line(n.text)}" for n in plan.notes]
    if plan.unverified:
        lines += ["", "not planned (upstream unreadable):"]
        lines += [f"  {one_line(str(u))}" for u in plan.unverified]
    return output.terminal("\n".join(lines))


def render_plan_json(plan: Plan, applied: list[dict[str, Any]]) -> str:
    return output.json_text({**plan.as_dict(), "applied": applied})

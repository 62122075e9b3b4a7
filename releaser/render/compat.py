"""Text, Markdown and JSON forms of the compat matrix and the plan.

Reasons carry upstream text (kubeVersion ranges, chart messages): one line each on the
terminal, `md_inline` in Markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from releaser.domain.compat import CompatMatrix, ComponentRow, grouped, label_span
from releaser.domain.findings import Finding
from releaser.domain.kit import Kit
from releaser.domain.plan import Plan
from releaser.domain.verdict import Verdict
from releaser.render import output, style
from releaser.render.sanitize import md_inline, one_line
from releaser.render.style import Styled
from releaser.render.text import Column, pad, table, wrap

MARKS = {"ok": "ok", "warn": "WARN", "fail": "FAIL", "unknown": "?"}
PARTLY = "*"  # after `ok`: the chart's templates were not checked
LIFECYCLE_ROW = "Kubernetes lifecycle"
UNCHECKED_NAMES = 6  # the header names this many charts whose templates were not checked
LABEL_WIDTH = 8  # the column label of a reason line, wider when a span needs it


def _header(kit: Kit, matrix: CompatMatrix, where: str) -> list[str]:
    above = [label for label in matrix.labels if label not in matrix.in_range]
    shown = f" (+ {', '.join(above)} shown, outside the range)" if above else ""
    data = matrix.data
    lines = [
        f"{kit.name} ({where}): Kubernetes {kit.kubernetes}{shown}",
        f"data snapshots: lifecycle {data['lifecycle']}, deprecated APIs {data['deprecations']}",
        _profile_line(matrix),
    ]
    return lines + _unchecked_line(matrix)


def _profile_line(matrix: CompatMatrix) -> str:
    """Which deploy path the kubeVersion verdicts follow, and why that one."""
    origin = f"; {matrix.profile_origin}" if matrix.profile_origin else ""
    return f"kubeVersion judged as {matrix.profile.title} (profile {matrix.profile.name}{origin})"


def _unchecked_line(matrix: CompatMatrix) -> list[str]:
    """How many charts' templates could not be checked: their `ok` is `ok*`."""
    rows = matrix.unchecked_rows
    if not rows:
        return []
    if len(rows) == len(matrix.rows):
        which = f"all {len(rows)} charts"
    else:
        shown = [row.component.name for row in rows[:UNCHECKED_NAMES]]
        more = " …" if len(rows) > UNCHECKED_NAMES else ""
        which = f"{len(rows)} of {len(matrix.rows)} charts ({', '.join(shown)}{more})"
    return [f"templates not checked: {which}; ok{PARTLY} = ok from the other sources"]


def _column(matrix: CompatMatrix, label: str) -> str:
    return label if label in matrix.in_range else f"{label}*"


def _mark(row: ComponentRow, label: str) -> str:
    level = row.cells[label].level
    return MARKS[level] + (PARTLY if row.partly_checked(label) else "")


def _shown(cells: Mapping[str, Verdict], verbose: bool) -> list[tuple[str, Finding]]:
    """(column, finding) to list: fail and warn, or every one with -v."""
    return [(label, f) for label, cell in cells.items() for f in cell.reasons
            if verbose or f.level in ("fail", "warn")]


def _reason_blocks(
    matrix: CompatMatrix, verbose: bool
) -> list[tuple[str, list[tuple[str, Finding]]]]:
    """(heading, [(columns, finding)]): the minors' calendars once, then each component;
    a finding repeated on several columns is listed once with their span (`1.35–1.37`)."""
    def spans(cells: Mapping[str, Verdict]) -> list[tuple[str, Finding]]:
        return [(label_span(labels, matrix.labels), f)
                for labels, f in grouped(_shown(cells, verbose))]

    blocks = [(f"{LIFECYCLE_ROW}:", spans(matrix.lifecycle))]
    blocks += [(f"{row.component.name} {row.component.version}:", spans(row.cells))
               for row in matrix.rows]
    return [(head, found) for head, found in blocks if found]


def render_text(
    kit: Kit, matrix: CompatMatrix, where: str, verbose: bool = False, width: int | None = None
) -> str:
    """The matrix (the minors' calendars as its first row) and its reasons; `width` fits them
    to a terminal (the templates and section columns give way, reasons wrap)."""
    headers: list[str | Column] = [
        "component",
        Column("section", cut=True, leave=2),
        "version",
        Column("templates", cut=True, leave=1),
        *(_column(matrix, label) for label in matrix.labels),
    ]
    rows: list[list[str | Styled]] = []
    if matrix.lifecycle:
        rows.append([LIFECYCLE_ROW, "", "", "",
                     *(_verdict(matrix.lifecycle[label].level) for label in matrix.labels)])
    rows += [
        [
            row.component.name,
            row.component.section,
            row.component.version,
            row.api_method,
            *(_verdict(row.cells[label].level, _mark(row, label)) for label in matrix.labels),
        ]
        for row in matrix.rows
    ]
    lines = [*(wrap(line, width, "  ") for line in _header(kit, matrix, where)), ""]
    lines += [table(headers, rows, width), ""]
    blocks = _reason_blocks(matrix, verbose)
    size = max([LABEL_WIDTH, *(len(label) for _, found in blocks for label, _ in found)])
    for head, found in blocks:
        lines.append(head)
        lines += [_reason_line(label, f, width, size) for label, f in found]
    if not verbose:
        lines.append("(ok and unknown reasons: -v)")
    return output.terminal("\n".join(lines))


def _verdict(level: str, mark: str | None = None) -> Styled:
    return Styled(mark or MARKS[level], level)


def _reason_line(label: str, finding: Finding, width: int | None, size: int) -> str:
    level = pad(style.paint(finding.level, finding.level), 7)
    line = f"  {label:<{size}} {level} {finding.source}: {one_line(finding.message)}"
    return wrap(line, width, " " * (size + 11))


def render_json(matrix: CompatMatrix) -> str:
    return output.json_text(matrix.as_dict())


def render_markdown(kit: Kit, matrix: CompatMatrix, where: str, verbose: bool = False) -> str:
    head = _header(kit, matrix, where)
    cols = [_column(matrix, label) for label in matrix.labels]
    lines = [f"### {md_inline(head[0])}", ""]
    for note in head[1:]:
        lines += [f"_{md_inline(note)}_", ""]
    lines += [
        "| component | version | " + " | ".join(md_inline(c) for c in cols) + " |",
        "|---|---|" + "---|" * len(cols),
    ]
    if matrix.lifecycle:
        marks = " | ".join(MARKS[matrix.lifecycle[label].level] for label in matrix.labels)
        lines.append(f"| _{LIFECYCLE_ROW}_ | | {marks} |")
    for row in matrix.rows:
        cells = " | ".join(md_inline(_mark(row, label)) for label in matrix.labels)
        name, version = md_inline(row.component.name), md_inline(row.component.version)
        lines.append(f"| {name} | {version} | {cells} |")
    lines.append("")
    for head_line, found in _reason_blocks(matrix, verbose):
        subject = md_inline(head_line.removesuffix(":"))
        for label, f in found:
            lines.append(f"- **{subject}** {md_inline(label)} `{f.level}` "
                         f"{md_inline(f.source)}: {md_inline(f.message)}")
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

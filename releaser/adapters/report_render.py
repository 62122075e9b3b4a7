"""Render a `Report` as Markdown, HTML or JSON from the packaged jinja2 templates."""

from __future__ import annotations

import json
import re
from typing import Any

import jinja2

from releaser.domain.report import MARKS, Report, SupportEnd, footnotes

MARKDOWN_LIMIT = 65_000  # a GitHub pull-request comment
_SUPPORT_MARKS = {"past": " ✗", "soon": " ⚠", "ok": "", "unknown": ""}


def md_escape(text: object) -> str:
    """Upstream text inside a Markdown table: no HTML tags, no column breaks, one line.
    Only `<` needs escaping to keep tags out (GitHub renders `>` and `&` as text)."""
    value = re.sub(r"\s+", " ", str(text)).strip()
    return value.replace("<", "&lt;").replace("|", "\\|")


def show_value(value: Any) -> str:
    return "(absent)" if value is None else json.dumps(value, default=str)


def show_support(end: SupportEnd) -> str:
    return (end.end.isoformat() if end.end else "unknown") + _SUPPORT_MARKS[end.status]


def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("releaser", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_escape, value=show_value, support=show_support)
    return env


def _context(report: Report, note_limit: int | None) -> dict[str, Any]:
    notes = footnotes(report.compat)
    shown = notes if note_limit is None else notes[:note_limit]
    return {
        "r": report,
        "marks": MARKS,
        "footnotes": shown,
        "note_index": {(name, minor): n for n, name, minor, _ in shown},
        "truncated": len(notes) - len(shown),
    }


def render_markdown(report: Report, limit: int = MARKDOWN_LIMIT) -> str:
    """Markdown that fits a pull-request comment: reasons are cut first when too long."""
    template = _environment(html=False).get_template("report.md.j2")
    total = len(footnotes(report.compat))
    note_limit: int | None = None
    while True:
        text = re.sub(r"\n{3,}", "\n\n", template.render(_context(report, note_limit)))
        if len(text) <= limit or note_limit == 0:
            return text
        note_limit = (total if note_limit is None else note_limit) // 2


def render_html(report: Report) -> str:
    return _environment(html=True).get_template("report.html.j2").render(_context(report, None))


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2, default=str) + "\n"

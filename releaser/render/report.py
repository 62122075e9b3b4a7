"""The compatibility report (SPEC §7) as Markdown, HTML or JSON, from the packaged templates."""

from __future__ import annotations

import re
from typing import Any

from releaser.domain.report import MARKS, Report, SupportEnd, footnotes
from releaser.render import output
from releaser.render.jinja import environment

MARKDOWN_LIMIT = 65_000  # a GitHub pull-request comment
_SUPPORT_MARKS = {"past": " ✗", "soon": " ⚠", "ok": "", "unknown": ""}


def show_support(end: SupportEnd) -> str:
    return (end.end.isoformat() if end.end else "unknown") + _SUPPORT_MARKS[end.status]


def _context(report: Report, note_limit: int | None) -> dict[str, Any]:
    notes = footnotes(report.compat)
    shown = notes if note_limit is None else notes[:note_limit]
    return {
        "r": report,
        "marks": MARKS,
        "footnotes": shown,
        "note_index": {(note.name, minor): note.n for note in shown for minor in note.minors},
        "truncated": len(notes) - len(shown),
    }


def _template(html: bool, name: str) -> Any:
    env = environment(html)
    env.filters["support"] = show_support
    return env.get_template(name)


def render_markdown(report: Report, limit: int = MARKDOWN_LIMIT) -> str:
    """Markdown that fits a pull-request comment: reasons are cut first when too long."""
    template = _template(False, "report.md.j2")
    total = len(footnotes(report.compat))
    note_limit: int | None = None
    while True:
        text = re.sub(r"\n{3,}", "\n\n", template.render(_context(report, note_limit)))
        if len(text) <= limit or note_limit == 0:
            return output.markdown(text)
        note_limit = (total if note_limit is None else note_limit) // 2


def render_html(report: Report) -> str:
    return output.html(_template(True, "report.html.j2").render(_context(report, None)))


def render_json(report: Report) -> str:
    return output.json_text(report.as_dict()) + "\n"

"""`check` results as JSON data (SPEC §5), a terminal table or Markdown.

Upstream values (versions, kubeVersion, change notes, links, error messages) are sanitized
for their target; every finished text passes `render.output`, which redacts credentials.
"""

from __future__ import annotations

from typing import Any

from releaser.app.check import CheckResult, ComponentCheck
from releaser.domain.charts import ChartRelease
from releaser.render import output, style
from releaser.render.sanitize import md_code, md_inline, one_line, safe_href
from releaser.render.style import Styled
from releaser.render.text import Column, table, wrap

KINDS = ("patch", "minor", "major")
# On a narrow terminal the repositories give way first, then the notes (shown under their
# row); a version is never cut, the "(deprecated)" after it may be.
HEADERS: tuple[str | Column, ...] = (
    "SECTION", "NAME", "CURRENT", *(Column(k.upper(), cut=True) for k in KINDS),
    Column("NOTES", cut=True, leave=2, fold=True), Column("REPOSITORY", cut=True, leave=1),
)  # fmt: skip


def check_as_dict(result: CheckResult) -> dict[str, Any]:
    data: dict[str, Any] = {"components": [_component(item) for item in result.items]}
    if result.stale:  # which cached copies answered, how old, and why
        data["stale"] = [s.as_dict() for s in result.stale]
    return data


def render_json(result: CheckResult) -> str:
    return output.json_text(check_as_dict(result))


def _component(item: ComponentCheck) -> dict[str, Any]:
    c, found = item.component, item.candidates
    info = (found.newest or found.current) if found else None
    return {
        "name": c.name,
        "section": c.section,
        "chart": c.chart,
        "repoURL": c.repo_url,
        "current": c.version,
        "latest": {
            kind: _candidate(target, item.steps.get(kind, []))
            for kind, target in (found.by_kind() if found else dict.fromkeys(KINDS)).items()
        },
        "error": item.error,
        "stale": item.stale is not None,
        "newest": found.newest.version if found and found.newest else None,
        "currentFound": bool(found and found.current),
        "currentDeprecated": bool(found and found.current and found.current.deprecated),
        "home": info.home if info else None,
        "sources": list(info.sources) if info else [],
    }


def _candidate(release: ChartRelease | None, steps: list[ChartRelease]) -> dict[str, Any] | None:
    if release is None:
        return None
    return {
        "version": release.version,
        "appVersion": release.app_version,
        "kubeVersion": release.kube_version,
        "created": release.created.isoformat() if release.created else None,
        "deprecated": release.deprecated,
        "changes": [
            {
                "version": step.version,
                "kind": ch.kind,
                "description": ch.description,
                "links": list(ch.links),
            }
            for step in steps
            for ch in step.changes
        ],
        "releases": len(steps),
        "urls": list(release.urls),
    }


def _cell(release: ChartRelease | None, kind: str) -> Styled | str:
    if release is None:
        return "-"
    text = release.version + (" (deprecated)" if release.deprecated else "")
    return Styled(text, style.CHANGE_STYLES[kind], keep=len(release.version))


def _notes(item: ComponentCheck) -> Styled:
    if item.error:
        return Styled("error (see below)", "fail")
    found = item.candidates
    notes = []
    if found and found.current is None:
        notes.append("current version not in the index")
    if found and found.current and found.current.deprecated:
        notes.append("current version deprecated")
    if found and found.newest and found.newest.deprecated:
        notes.append("chart deprecated upstream")
    return Styled("; ".join(notes), "warn")


def render_table(result: CheckResult, width: int | None = None) -> str:
    """The terminal table; `width` fits it to a terminal (see HEADERS)."""
    rows = []
    for item in result.items:
        c = item.component
        found = item.candidates.by_kind() if item.candidates else dict.fromkeys(KINDS)
        cells = [_cell(found[k], k) if not item.error else Styled("?", "fail") for k in KINDS]
        rows.append((c.section, c.name, c.version, *cells, _notes(item), c.repo_url))
    lines = [table(HEADERS, rows, width)]
    lines += [_error_line(item, width) for item in result.failed]
    return output.terminal("\n".join(lines))


def _error_line(item: ComponentCheck, width: int | None) -> str:
    reason = f"{item.component.name}: {one_line(item.error or '')}"
    return wrap(f"{style.paint('error', 'fail')}: {reason}", width, "  ")


def _md(text: str | None) -> str:
    return md_inline(text or "")


def _md_link(url: str) -> str:
    href = safe_href(url)
    return f" [link]({href})" if href else ""


def _md_cell(release: ChartRelease | None) -> str:
    if release is None:
        return "—"
    details = [f"app {_md(release.app_version)}" if release.app_version else ""]
    details.append(f"k8s {md_code(release.kube_version)}" if release.kube_version else "")
    details.append(release.created.date().isoformat() if release.created else "")
    details.append("**deprecated**" if release.deprecated else "")
    extra = ", ".join(d for d in details if d)
    return md_code(release.version) + (f" ({extra})" if extra else "")


def render_markdown(result: CheckResult) -> str:
    out = [
        "| Component | Section | Current | Patch | Minor | Major | Repository |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in result.items:
        c = item.component
        found = item.candidates.by_kind() if item.candidates else dict.fromkeys(KINDS)
        cells = [_md_cell(found[k]) for k in KINDS] if not item.error else ["error"] * 3
        out.append(
            f"| {_md(c.name)} | {_md(c.section)} | {md_code(c.version)} | "
            f"{' | '.join(cells)} | {_md(c.repo_url)} |"
        )
    out += _md_notes(result)
    return output.markdown("\n".join(out))


def _md_notes(result: CheckResult) -> list[str]:
    out: list[str] = []
    for item in result.items:
        steps = max(item.steps.values(), key=len, default=[])
        changes = [(s.version, ch) for s in steps for ch in s.changes]
        if changes:
            out += [
                "",
                f"### {_md(item.component.name)}: changes since {_md(item.component.version)}",
                "",
            ]
            for version, ch in changes:
                kind = f"{_md(ch.kind)}: " if ch.kind else ""
                links = "".join(_md_link(u) for u in ch.links)
                out.append(f"- {md_code(version)} {kind}{_md(ch.description)}{links}")
    if result.failed:
        out += ["", "### Errors", ""]
        out += [f"- {_md(i.component.name)}: {_md(i.error)}" for i in result.failed]
    return out


def failure_message(result: CheckResult, detailed: bool) -> str:
    """The closing error line; `detailed` lists each failure (JSON mode, where stderr is
    the only human-readable channel)."""
    head = f"{len(result.failed)} of {len(result.items)} components could not be checked"
    if not detailed:  # stdout has the reasons; stderr still names whom (SPEC §8)
        names = ", ".join(one_line(i.component.name) for i in result.failed)
        return output.terminal(f"{head} (errors above): {names}")
    lines = [head + ":", *(f"{i.component.name}: {one_line(i.error or '')}" for i in result.failed)]
    return output.terminal("\n  ".join(lines))

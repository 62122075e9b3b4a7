"""A kit diff, and with `--render` / `--chart-values` the rendered manifests' and the
upstream chart defaults' diffs, as terminal text, Markdown or JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from releaser.domain.diff import KitDiff
from releaser.domain.manifest_diff import AppDiff, ManifestDiff
from releaser.domain.values_diff import ChartValuesDiff
from releaser.render import output
from releaser.render.review import rendered_diff_blocks
from releaser.render.sanitize import md_code, md_inline, strip_controls
from releaser.render.style import paint, plain
from releaser.render.text import show_value


def render_diff(diff: KitDiff) -> str:
    lines = [f"kit {diff.from_ref} -> {diff.to_ref}"]
    if diff.kubernetes_from != diff.kubernetes_to:
        lines.append(f"Kubernetes range: {diff.kubernetes_from} -> {diff.kubernetes_to}")
    lines += [f"+ {a.section}/{a.name} {a.version}" for a in diff.added]
    lines += [f"- {r.section}/{r.name} {r.version}" for r in diff.removed]
    lines += [
        f"~ {c.section}/{c.name} {c.from_version} -> {c.to_version} ({c.change})"
        for c in diff.changed
    ]
    lines += [f"~ {f.name}: {f.field} {f.from_value} -> {f.to_value}" for f in diff.fields]
    lines += [
        f"  default {d.name}: {d.path}: {show_value(d.from_value)} -> {show_value(d.to_value)}"
        for d in diff.defaults
    ]
    if diff.is_empty:
        lines.append("no changes")
    return output.terminal("\n".join(lines))


def render_diff_json(diff: KitDiff) -> str:
    return output.json_text(diff.as_dict())


# --------------------------------------------------------------------------- --render


_LINE_STYLES = {"+": "ok", "-": "fail", "@": "unknown"}
_CHANGE_MARKS = {"added": "+", "removed": "-", "changed": "~"}


def render_manifests(diff: ManifestDiff) -> str:
    """The rendered diff for a terminal: per application, each changed resource and its
    unified diff (lines coloured by side)."""
    who = f", customer {diff.customer}" if diff.customer else ""
    lines = [f"rendered manifests {diff.from_ref} -> {diff.to_ref} "
             f"({diff.helm}, Kubernetes {diff.kube_version}{who})"]  # fmt: skip
    lines += [f"note: {strip_controls(n)}" for n in diff.notes]
    for app in diff.apps:
        if not (app.changes or app.unchanged or app.errors):
            continue  # a section without components renders nothing at either ref
        lines.append(_app_heading(app))
        lines += [f"  not rendered: {strip_controls(e.reason)}" for e in app.errors]
        for change in app.changes:
            lines.append(f"  {_CHANGE_MARKS[change.change]} {strip_controls(str(change.key))}")
            lines += [f"    {_painted(line)}" for line in change.diff.splitlines()]
    if not diff.changed_apps and not diff.unverified:
        lines.append("no rendered resource changes")
    return output.terminal("\n".join(lines))


def _app_heading(app: AppDiff) -> str:
    sources = app.before if app.before == app.after else f"{app.before} -> {app.after}"
    counts = Counter(c.change for c in app.changes)
    summary = ", ".join(f"{counts[k]} {k}" for k in ("changed", "added", "removed") if counts[k])
    return (f"{strip_controls(app.name)} ({strip_controls(str(sources))}): "
            f"{summary or 'no changes'}, {app.unchanged} unchanged")  # fmt: skip


def _painted(line: str) -> str:
    line = strip_controls(line)
    if line.startswith(("+++", "---")):
        return line
    return paint(line, _LINE_STYLES.get(line[:1])) if line else line


def manifests_markdown(diff: ManifestDiff) -> str:
    """The rendered diff as the collapsed per-application blocks a pull request carries."""
    who = f" for {md_inline(diff.customer)}" if diff.customer else ""
    head = (f"Rendered with {md_inline(diff.helm)}, Kubernetes {md_code(diff.kube_version)}"
            f"{who}; Secret values are masked.")  # fmt: skip
    return "\n\n".join([head, *rendered_diff_blocks(diff.by_app())])


# --------------------------------------------------------------------------- --chart-values


def render_chart_values(diffs: Sequence[ChartValuesDiff]) -> str:
    lines = []
    for item in diffs:
        lines.append(f"chart values {item.component}: {item.chart} "
                     f"{item.from_version} -> {item.to_version}")  # fmt: skip
        lines += [f"  {mark} {text}" for mark, text in _value_lines(item)]
        if item.is_empty and not item.error:
            lines.append("  no default changed")
    return output.terminal("\n".join(strip_controls(line) for line in lines))


def chart_values_markdown(diffs: Sequence[ChartValuesDiff]) -> str:
    blocks = ["### Upstream chart defaults"]
    for item in diffs:
        title = (f"{md_inline(item.component)}: {md_inline(item.chart)} "
                 f"{md_code(item.from_version)} → {md_code(item.to_version)}")  # fmt: skip
        rows = [f"- {_VALUE_WORDS[mark]}: {md_inline(_arrows(text))}"
                for mark, text in _value_lines(item)]  # fmt: skip
        blocks.append(title + "\n\n" + ("\n".join(rows) or "No default changed."))
    return "\n\n".join(blocks)


_VALUE_WORDS = {"+": "added", "-": "removed", "→": "renamed", "~": "changed", "!": "not compared"}


def _arrows(text: str) -> str:
    """Markdown escapes `>`: an arrow reads better than `-&gt;`."""
    return text.replace(" -> ", " → ")


def _value_lines(item: ChartValuesDiff) -> list[tuple[str, str]]:
    if item.error:
        return [("!", f"not compared: {item.error}")]
    lines = [("+", f"{p}: {show_value(v)}") for p, v in item.added]
    lines += [("-", f"{p}: {show_value(v)}") for p, v in item.removed]
    lines += [("→", f"{r.old} -> {r.new} (same value {show_value(r.value)}: renamed?)")
              for r in item.renamed]  # fmt: skip
    lines += [("~", f"{p}: {show_value(a)} -> {show_value(b)}") for p, a, b in item.changed]
    return lines


# --------------------------------------------------------------------------- all together


def diff_markdown(diff: KitDiff) -> str:
    """The kit diff as a Markdown list."""
    text = plain(render_diff(diff))
    head, *rest = text.splitlines()
    items = [f"- {md_inline(_arrows(line.strip()))}" for line in rest]
    return "\n".join([f"## {md_inline(_arrows(head))}", "", *items])


def render_all(
    diff: KitDiff, rendered: ManifestDiff | None, values: Sequence[ChartValuesDiff] | None,
    form: str,
) -> str:  # fmt: skip
    """`releaser diff` with its options, as `text`, `md` or `json`."""
    if form == "json":
        data = diff.as_dict()
        if rendered is not None:
            data["rendered"] = rendered.as_dict()
        if values is not None:
            data["chartValues"] = [v.as_dict() for v in values]
        return output.json_text(data)
    if form == "md":
        parts = [diff_markdown(diff)]
        parts += [manifests_markdown(rendered)] if rendered is not None else []
        parts += [chart_values_markdown(values)] if values is not None else []
        return output.markdown("\n\n".join(parts))
    texts = [render_diff(diff)]
    texts += [render_manifests(rendered)] if rendered is not None else []
    texts += [render_chart_values(values)] if values is not None else []
    return "\n\n".join(texts)

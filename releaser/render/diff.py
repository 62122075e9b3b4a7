"""A kit diff as terminal text or JSON."""

from __future__ import annotations

from releaser.domain.diff import KitDiff
from releaser.render import output
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

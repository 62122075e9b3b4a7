"""The title and description of a rollout's pull/merge request, in Markdown that GitHub and
GitLab both render.

Every value that releaser did not write (changelog text, preflight messages, file and app
names, the rendered diff) is sanitized: inline text through `md_inline`, diffs inside a code
fence longer than any backtick run they hold. The description is cut, whole blocks at a time,
at the provider's size limit, with a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from releaser.domain.review import BODY_LIMITS, ReviewContext, fit_blocks
from releaser.render import output
from releaser.render.sanitize import md_code, md_inline, strip_controls

# A changelog line's structure that stays Markdown: indentation, then a heading, list or
# ordered-list marker; the rest of the line is inert text.
_STRUCTURE = re.compile(r"^(?P<indent>[ \t]*)(?P<mark>#{1,6}[ \t]+|[-*+][ \t]+|\d{1,9}[.)][ \t]+)?")
_BACKTICKS = re.compile(r"`+")
NOT_RENDERED = "_Not rendered: the manifests were not rendered for this rollout._"


def title(ctx: ReviewContext) -> str:
    return f"Roll {ctx.customer} to core kit {ctx.to_version} (from {ctx.from_version})"


def description(ctx: ReviewContext) -> str:
    """The whole description, cut at the provider's limit."""
    blocks = [_summary(ctx), _preflight(ctx), _changelog(ctx), *rendered_diff_blocks(ctx.rendered)]
    limit = BODY_LIMITS[ctx.provider]
    return output.markdown(fit_blocks(blocks, limit, _cut_note(ctx, limit)))


def _cut_note(ctx: ReviewContext, limit: int) -> str:
    """What `fit_blocks` appends when blocks are left out (`{count}` is filled there)."""
    provider = "GitHub" if ctx.provider == "github" else "GitLab"
    command = (
        f"releaser diff {ctx.from_version} {ctx.to_version} --render --customer {ctx.customer}"
    )
    return (
        "> **Cut:** {count} more section(s) did not fit in "
        f"{provider}'s limit of {limit:,} characters; {md_code(command)} shows everything."
    )


def rendered_diff_blocks(rendered: Mapping[str, str] | None) -> list[str]:
    """The hook for the rendered manifest diff: one collapsed block per Argo CD application
    (`rendered` maps its name to the diff text); None says it was not rendered."""
    if rendered is None:
        return ["### Rendered manifests\n\n" + NOT_RENDERED]
    if not rendered:
        return ["### Rendered manifests\n\nNo application's manifests change."]
    blocks = ["### Rendered manifests"]
    for app, diff in rendered.items():
        blocks.append(_details(f"{md_inline(app)}", _fenced(diff, "diff")))
    return blocks


def _summary(ctx: ReviewContext) -> str:
    lines = [
        f"## Core kit {md_inline(ctx.from_version)} → {md_inline(ctx.to_version)}",
        "",
        f"Rolls **{md_inline(ctx.customer)}** from {md_code(ctx.from_version)} to "
        f"{md_code(ctx.to_version)}: every kit `targetRevision` is set to the target's "
        "release branch and nothing else changes.",
        "",
        "Files: " + (", ".join(md_code(f) for f in ctx.files) or "none"),
        "",
        f"Merging into {md_code(ctx.branch)} rolls it out: Argo CD syncs that branch.",
    ]
    return "\n".join(lines)


def _preflight(ctx: ReviewContext) -> str:
    lines = [
        "### Preflight",
        "",
        f"- Cluster: {md_code(ctx.cluster)}, deploy profile {md_inline(ctx.profile)}",
        "- Compatible with this exact cluster: "
        + (", ".join(md_inline(c) for c in ctx.judged) or "no component judged"),
    ]
    if ctx.findings:
        lines += ["- Needs a reviewer's eye:"]
        lines += [f"  - {md_inline(f)}" for f in ctx.findings]
    else:
        lines.append("- No dropped or renamed keys among the customer's overrides")
    return "\n".join(lines)


def _changelog(ctx: ReviewContext) -> str:
    if not ctx.changelog:
        return "### Kit changelog\n\nNo changelog entry between these versions."
    body = "\n\n".join(_markdown_lines(entry) for entry in ctx.changelog)
    return _details("Kit changelog", body, open_=True)


def _markdown_lines(text: str) -> str:
    """Changelog Markdown kept as lists and headings (demoted below ours), its text inert."""
    out = []
    for line in strip_controls(text).splitlines():
        match = _STRUCTURE.match(line)
        assert match is not None  # every part of the pattern is optional
        mark = match["mark"] or ""
        if mark.startswith("#"):
            mark = "#### "
        rest = line[match.end() :]
        out.append(f"{match['indent']}{mark}{md_inline(rest)}" if rest.strip() else "")
    return "\n".join(out)


def _fenced(text: str, language: str) -> str:
    runs = [len(m) for m in _BACKTICKS.findall(text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{language}\n{strip_controls(text).rstrip()}\n{fence}"


def _details(summary: str, body: str, open_: bool = False) -> str:
    head = "<details open>" if open_ else "<details>"
    return f"{head}\n<summary>{summary}</summary>\n\n{body}\n\n</details>"

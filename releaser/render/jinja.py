"""The jinja2 environments: one for Markdown, one for HTML, both over the packaged templates.

Every `{{ value }}` passes a finalizer before it is written, so no template (a packaged one or
a kit's own `.releaser/changelog.md.j2`) can print upstream text unsanitized: in Markdown it
becomes `md_inline` text, in HTML control characters go and autoescape does the rest. A filter
that builds Markup itself (`md`, `autolinks`) returns `Markup`, which is left alone.
`StrictUndefined` turns a typo in a template into an error instead of silently empty text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from releaser.render.sanitize import md_inline, one_line, safe_href, strip_controls
from releaser.render.text import show_value


def _md_finalize(value: Any) -> Any:
    return value if isinstance(value, Markup) else md_inline(value)


def _html_finalize(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_controls(value)
    return value


def md_filter(value: object) -> Markup:
    """Explicit `| md`: the same escaping the finalizer applies, marked done."""
    return Markup(md_inline(value))


def autolinks(urls: Iterable[object]) -> Markup:
    """` <url>` for each http(s) URL; nothing for another scheme (no `<javascript:…>`)."""
    hrefs = (safe_href(str(url)) for url in urls)
    return Markup("".join(f" <{href}>" for href in hrefs if href))


def href(url: object) -> str:
    """An HTML `href` value: the URL when it is http(s), else `#`."""
    return safe_href(str(url)) or "#"


def environment(
    html: bool, overrides: Sequence[jinja2.BaseLoader] = (), trim: bool = False
) -> jinja2.Environment:
    """An environment for Markdown (`html=False`) or HTML templates; `overrides` are looked
    up before the packaged templates; `trim` drops the newline after a block tag."""
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([*overrides, jinja2.PackageLoader("releaser.render")]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        finalize=_html_finalize if html else _md_finalize,
        keep_trailing_newline=True,
        trim_blocks=trim,
        lstrip_blocks=trim,
    )
    env.filters.update(md=md_filter, oneline=one_line, autolinks=autolinks, href=href)
    env.filters["value"] = show_value
    return env

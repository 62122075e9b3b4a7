"""jinja2 rendering of the packaged templates, each overridable by the kit repository.

A template named `changelog.md.j2` is looked up first in the kit checkout's `.releaser/`
directory, then in `releaser/templates/`. `StrictUndefined` turns a typo in a template into
an error instead of silently empty text.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from releaser.domain.changelog import ChangelogEntry
from releaser.domain.errors import InvalidFileError, Problem

OVERRIDE_DIR = ".releaser"
CHANGELOG_TEMPLATE = "changelog.md.j2"


def oneline(text: object) -> str:
    """Upstream notes span lines; a list item must not."""
    return re.sub(r"\s+", " ", str(text)).strip()


def environment(kit_root: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if kit_root is not None:
        loaders.append(jinja2.FileSystemLoader(kit_root / OVERRIDE_DIR))
    loaders.append(jinja2.PackageLoader("releaser", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown; HTML templates use their own environment
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["oneline"] = oneline
    return env


class ChangelogTemplate:
    """Renders a `ChangelogEntry` into Markdown."""

    def __init__(self, kit_root: Path | None = None) -> None:
        self.env = environment(kit_root)

    def render(self, entry: ChangelogEntry) -> str:
        try:
            template = self.env.get_template(CHANGELOG_TEMPLATE)
            text = template.render(entry=entry)
        except jinja2.TemplateError as err:
            file = getattr(err, "filename", None) or CHANGELOG_TEMPLATE
            line = getattr(err, "lineno", None)
            raise InvalidFileError(
                [Problem(str(file), line, "", f"template error: {err}")]
            ) from None
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"

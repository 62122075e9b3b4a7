"""A `ChangelogEntry` as Markdown, from `changelog.md.j2`, overridable by the kit repository.

The template is looked up first in the kit checkout's `.releaser/` directory, then in the
packaged templates. Whichever template renders, every value passes the Markdown finalizer
(`render.jinja`): upstream notes cannot inject HTML, links or blocks into CHANGELOG.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2

from releaser.domain.changelog import ChangelogEntry
from releaser.domain.errors import InvalidFileError, Problem
from releaser.render import output
from releaser.render.jinja import environment

OVERRIDE_DIR = ".releaser"
CHANGELOG_TEMPLATE = "changelog.md.j2"


class ChangelogTemplate:
    """Renders a `ChangelogEntry` into Markdown."""

    def __init__(self, kit_root: Path | None = None) -> None:
        overrides = [jinja2.FileSystemLoader(kit_root / OVERRIDE_DIR)] if kit_root else []
        self.env = environment(html=False, overrides=overrides, trim=True)

    def render(self, entry: ChangelogEntry) -> str:
        try:
            text = self.env.get_template(CHANGELOG_TEMPLATE).render(entry=entry)
        except jinja2.TemplateError as err:
            file = getattr(err, "filename", None) or CHANGELOG_TEMPLATE
            line = getattr(err, "lineno", None)
            raise InvalidFileError(
                [Problem(str(file), line, "", f"template error: {err}")]
            ) from None
        return output.markdown(re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n")

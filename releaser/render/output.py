"""The output boundary: each finished text passes one of these on its way out.

`redact` runs here and nowhere else in rendering, on the whole text: whatever produced a
URL with credentials (a repository URL, an upstream error message), it is masked.
Terminal text keeps the style marks its renderer placed (`style`); `cli.output` resolves them.
"""

from __future__ import annotations

import json
from typing import Any

from releaser.domain.redaction import redact
from releaser.render.sanitize import strip_controls, strip_escapes


def terminal(text: str) -> str:
    """Text for a terminal or a log: no escape sequence or control character survives (style
    marks do: upstream text lost any it had when it was sanitized)."""
    return strip_escapes(redact(text))


def markdown(text: str) -> str:
    """Markdown whose upstream values were escaped by `sanitize.md_inline`."""
    return strip_controls(redact(text))


def html(text: str) -> str:
    """HTML from an autoescaping template."""
    return redact(text)


def json_text(data: Any) -> str:
    """JSON stays data (upstream text raw, escaped by the JSON encoder), only redacted."""
    return redact(json.dumps(data, indent=2, default=str))

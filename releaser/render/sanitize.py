"""Sanitizers for text releaser did not write: chart descriptions, `artifacthub.io/changes`,
kubeVersion strings, Argo CD messages. Each is for one target; all are pure.

- `strip_controls`: terminal escape sequences (CSI, OSC such as `ESC ] 52` clipboard writes,
  other ESC sequences, C1 CSI `\\x9b`), every C0 control but newline and tab, DEL, C1 and the
  bidi overrides/isolates that reorder what a reader sees. A lone `\\r` goes too: it lets a
  line overwrite itself on a terminal. So do the style marks of `style`: colour is ours only.
- `strip_escapes`: the same, but the style marks a renderer placed stay (the output boundary).
- `one_line`: `strip_controls` with every run of whitespace folded to one space, for table
  cells (a newline would end the row).
- `md_inline`: one line of Markdown that is only text: `&`, `<`, `>` become entities (no raw
  HTML, no `<scheme:…>` autolink), `\\`, `|`, `[`, `]` are backslash-escaped (table cells keep
  their column, no link syntax of the upstream's own), a link whose target is http(s) is kept
  (`[text](https://…)`), any other link keeps only its text, the colon of a `javascript:`,
  `vbscript:`, `data:` or `file:` in text is escaped (no autolink), and a leading heading, list,
  quote or fence marker is escaped so the text cannot open a block.
- `md_code`: a version-like value in a code span when that is safe, else `md_inline`.
- `safe_href`: an http(s) URL fit for a Markdown or HTML link target, else None.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from releaser.render.style import MARKS

# Escape sequences first, whole: stripping only ESC would leave `]52;c;…` behind as text.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: ESC [ params final
    r"|\x9b[0-?]*[ -/]*[@-~]"  # C1 CSI
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS…
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence (or a trailing lone ESC)
)
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}]")
_CONTROL_OR_MARK = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{_BIDI}{MARKS}]")
_WHITESPACE = re.compile(r"\s+")
# `[text](target)` or `[text](target "title")`, one level of brackets.
_LINK = re.compile(
    r"\[([^\[\]]*)\]\(\s*<?((?:[^()\s<>]|\([^()\s<>]*\))*)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_MD_ESCAPES = {"\\": "\\\\", "&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "[": "\\[",
               "]": "\\]"}  # fmt: skip
_MD_SPECIAL = re.compile(r"[\\&<>|\[\]]")
# What opens a block at the start of a line: ATX heading, list item, fence, setext line.
_BLOCK_START = re.compile(r"^(?:#{1,6}(?=\s|$)|[-+*](?=\s|$)|`{3}|~{3}|=+$)")
_ORDERED_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
# A scheme a browser would run or read locally: its colon is escaped, so no autolink forms.
_UNSAFE_SCHEME = re.compile(r"(javascript|vbscript|data|file)(\s*):", re.IGNORECASE)
_CODE_SAFE = re.compile(r"[\w.+=^~,*/ -]*")
SAFE_SCHEMES = ("http", "https")


def strip_controls(text: str) -> str:
    """`text` without escape sequences, control characters or style marks; newlines and tabs
    stay."""
    return _CONTROL_OR_MARK.sub("", _strip_sequences(text))


def strip_escapes(text: str) -> str:
    """`strip_controls` for a finished text: the style marks its renderer placed stay."""
    return _CONTROL.sub("", _strip_sequences(text))


def _strip_sequences(text: str) -> str:
    return _ESCAPE_SEQUENCE.sub("", text.replace("\r\n", "\n"))


def one_line(text: str) -> str:
    """`text` as one line of plain text, for a table cell or a list item."""
    return _WHITESPACE.sub(" ", strip_controls(text)).strip()


def safe_href(url: str) -> str | None:
    """`url` if it is an absolute http(s) URL, with characters that could end a Markdown
    link or an HTML attribute percent-encoded; None for any other scheme."""
    url = one_line(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.netloc:
        return None
    return quote(url, safe="/:?#[]@!$&'*+,;=%~-._")


def _escape(text: str) -> str:
    """Plain text: Markdown and HTML specials escaped, unsafe scheme colons too."""
    text = _MD_SPECIAL.sub(lambda m: _MD_ESCAPES[m.group()], text)
    return _UNSAFE_SCHEME.sub(r"\1\2\\:", text)


def _link(label: str, target: str) -> str:
    href = safe_href(target)
    text = _escape(label)
    return f"[{text}]({href})" if href else text


def md_inline(text: object) -> str:
    """Upstream text as one line of inert Markdown (see the module docstring)."""
    line = one_line(str(text))
    out: list[str] = []
    last = 0
    for match in _LINK.finditer(line):
        before = _escape(line[last : match.start()])
        link = _link(match.group(1), match.group(2))
        if link.startswith("[") and before.endswith("!"):
            before = before[:-1] + "\\!"  # `![…](…)` would load an image
        out += [before, link]
        last = match.end()
    out.append(_escape(line[last:]))
    value = _BLOCK_START.sub(lambda m: "\\" + m.group(), "".join(out), count=1)
    return _ORDERED_START.sub(r"\1\\\2", value, count=1)


def md_code(text: object) -> str:
    """A version or range in a code span, as today, when it holds nothing to escape;
    otherwise `md_inline` (entities would show literally inside a code span)."""
    value = one_line(str(text))
    if value and _CODE_SAFE.fullmatch(value):
        return f"`{value}`"
    return md_inline(value)

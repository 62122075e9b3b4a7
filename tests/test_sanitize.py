"""The sanitizers for upstream text, as properties over arbitrary (and hostile) strings."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releaser.render.jinja import environment
from releaser.render.sanitize import md_code, md_inline, one_line, safe_href, strip_controls
from releaser.render.text import table

# Characters that matter to Markdown, HTML and terminals, mixed into arbitrary text.
SPECIAL = list("<>&|[]()!#*-+=`~\\:\n\r\t\x1b\x07\x08\x7f\x9b\x9c\u202e\u2066 ")
PIECES = ["javascript:", "data:", "vbscript:", "file:", "https://", "]("]
hostile = st.lists(st.sampled_from(SPECIAL + PIECES) | st.text(max_size=4), max_size=40).map(
    "".join
)

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# A Markdown link or autolink: `](target)` not preceded by a backslash, or `<scheme:…>`.
LINK_TARGET = re.compile(r"(?<!\\)\]\(([^)]*)\)")
AUTOLINK = re.compile(r"<[A-Za-z][A-Za-z0-9+.-]{1,31}:")


def cells(row: str) -> int:
    """Columns of a GFM table row: pipes not escaped by a backslash (`\\\\` escapes itself)."""
    return len(re.findall(r"(?:^|[^\\])(?:\\\\)*\|", row)) - 1


@given(hostile)
def test_markdown_has_no_raw_html_and_no_control_character(text: str) -> None:
    out = md_inline(text)
    assert "<" not in out and ">" not in out
    assert not CONTROL.search(out)
    assert "\n" not in out


@pytest.mark.parametrize("sanitize", [md_inline, md_code])
@given(text=hostile)
def test_markdown_links_only_point_at_http(sanitize: Callable[[str], str], text: str) -> None:
    out = sanitize(text)
    for target in LINK_TARGET.findall(out):
        assert re.match(r"https?://", target, re.IGNORECASE), (text, out)
    assert not AUTOLINK.search(out)
    assert not re.search(r"(javascript|vbscript|data|file)\s*:", out, re.IGNORECASE)


@given(st.lists(hostile, min_size=1, max_size=5))
def test_a_table_row_keeps_its_columns(values: list[str]) -> None:
    row = "| " + " | ".join(md_inline(v) for v in values) + " |"
    assert cells(row) == len(values)
    code_row = "| " + " | ".join(md_code(v) for v in values) + " |"
    assert cells(code_row) == len(values)


@given(hostile)
def test_markdown_never_opens_a_block(text: str) -> None:
    out = md_inline(text)
    assert not re.match(r"(#{1,6}|[-+*]|\d{1,9}[.)])(\s|$)|```|~~~|>", out)


@given(hostile)
def test_terminal_text_has_no_escape_or_control_character(text: str) -> None:
    out = strip_controls(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert not CONTROL.search(one_line(text))


@given(st.lists(st.lists(hostile, min_size=2, max_size=2), max_size=4))
def test_a_terminal_table_keeps_one_line_per_row(rows: list[list[str]]) -> None:
    assert len(table(["A", "B"], rows).split("\n")) == len(rows) + 2


@given(hostile)
def test_safe_href_is_http_or_nothing(text: str) -> None:
    href = safe_href(text)
    assert href is None or re.match(r"https?://[^\s<>\"'()`]+$", href, re.IGNORECASE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[x](javascript:alert(1))", "x"),
        ("[x](data:text/html,hi)", "x"),
        ("<javascript:alert(1)>", "&lt;javascript\\:alert(1)&gt;"),
        ("[notes](https://example.org/a(b))", "[notes](https://example.org/a%28b%29)"),
        ("![img](https://example.org/t.png)", "\\![img](https://example.org/t.png)"),
        ("a|b\nc", "a\\|b c"),
        ("# Title", "\\# Title"),
        ("- item", "\\- item"),
        ("1. first", "1\\. first"),
        ("> quote", "&gt; quote"),
        ("```", "\\```"),
        ("ab\u202ecd\u2066", "abcd"),
        (">=1.2 <img src=x>", "&gt;=1.2 &lt;img src=x&gt;"),
        ("fixed in v1.2.3 & later", "fixed in v1.2.3 &amp; later"),
    ],
)
def test_markdown_examples(text: str, expected: str) -> None:
    assert md_inline(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b]52;c;ZXZpbA==\x07copied", "copied"),
        ("\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
        ("\x1b[2Jcleared", "cleared"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x9b31mred", "red"),
        ("safe\rEVIL", "safeEVIL"),
        ("abc\x08\x08\x08xyz", "abcxyz"),
        ("line\r\nnext\tcol", "line\nnext\tcol"),
        ("\u202eevil\u202c", "evil"),
    ],
)
def test_terminal_examples(text: str, expected: str) -> None:
    assert strip_controls(text) == expected


def test_code_spans_only_for_plain_values() -> None:
    assert md_code("v1.2.3") == "`v1.2.3`"
    assert md_code(">=1.25.0-0") == "&gt;=1.25.0-0"
    assert md_code("1.0`<b>") == "1.0`&lt;b&gt;"


def test_html_links_are_http_only_and_text_is_escaped() -> None:
    template = environment(html=True).from_string('<a href="{{ url | href }}">{{ text }}</a>')
    page = template.render(url="javascript:alert(1)", text="<b>\x1b[2Jhi\u202e</b>")
    assert page == '<a href="#">&lt;b&gt;hi&lt;/b&gt;</a>'
    safe = template.render(url='https://example.org/a b"', text="x")
    assert safe == '<a href="https://example.org/a%20b%22">x</a>'

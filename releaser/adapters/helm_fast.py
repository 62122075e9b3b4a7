"""A line scanner for the plain YAML that Helm (and PyYAML) write into index entries.

libyaml reads about 3 MB/s; one chart's block in a big index is megabytes. Index entries
use a tiny, regular part of YAML: block mappings, lists of scalars, single-line plain or
quoted scalars, folded plain continuation lines and `|`/`|-` block scalars. This scanner
reads exactly that, returning what `yaml.CBaseLoader` would (every scalar a string), and
raises `Unsupported` on anything else, so the caller hands that one entry to libyaml.
The two readers are checked against each other on every real index in the tests.
"""

from __future__ import annotations

from typing import Any

_PLAIN_BAD_START = frozenset("[]{}&*!|>%@`#,?:-\"'")


class Unsupported(Exception):
    """This entry uses YAML this scanner does not read; parse it with libyaml."""


def parse_entry(lines: list[str]) -> dict[str, Any]:
    """One entry: its first line starts with `  - `, the others are indented deeper."""
    body = ["    " + lines[0][4:], *lines[1:]]
    return _Entry(body).mapping(0, _end(body, len(body)), 4)


def _end(lines: list[str], hi: int) -> int:
    """`hi` moved back over trailing blank lines."""
    while hi and not lines[hi - 1].strip():
        hi -= 1
    return hi


class _Entry:
    """The lines of one entry with their indentation computed once (-1: blank line)."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.ind = [len(t) - len(t.lstrip(" ")) if t.strip() else -1 for t in lines]

    def mapping(self, lo: int, hi: int, indent: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        lines, ind = self.lines, self.ind
        i = lo
        while i < hi:
            if ind[i] < 0:
                i += 1
                continue
            if ind[i] != indent:
                raise Unsupported
            key, rest = _split_key(lines[i][indent:])
            j = i + 1
            while j < hi and (ind[j] < 0 or ind[j] > indent or lines[j].startswith("- ", indent)):
                j += 1
            out[key] = self.value(rest, i + 1, _end(lines, j), indent)
            i = j
        return out

    def value(self, rest: str, lo: int, hi: int, indent: int) -> Any:
        lines = self.lines
        if rest in ("|", "|-"):
            return _literal(lines[lo:hi], indent, keep_last_newline=rest == "|")
        if not rest:
            first = next((k for k in range(lo, hi) if self.ind[k] >= 0), None)
            if first is None:
                return ""
            if lines[first].startswith("- ", self.ind[first]):
                return _list(lines[lo:hi])
            return self.mapping(lo, hi, self.ind[first])
        if hi > lo:
            return _folded_plain(rest, lines[lo:hi])
        return scalar(rest)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _split_key(text: str) -> tuple[str, str]:
    if text[:1] in _PLAIN_BAD_START:
        raise Unsupported
    if text.endswith(":"):
        key, rest = text[:-1], ""
    else:
        cut = text.find(": ")
        if cut < 0:
            raise Unsupported
        key, rest = text[:cut], text[cut + 2 :].strip()
    if ": " in key or " #" in key or key != key.strip():
        raise Unsupported
    return key, rest


def _list(lines: list[str]) -> list[str]:
    indent = _indent(lines[0])
    items = []
    for line in lines:
        if not line.strip():
            continue
        if _indent(line) != indent or not line.startswith("- ", indent):
            raise Unsupported  # nested mappings or multi-line items
        item = line[indent + 2 :].strip()
        if item[:2] == "- " or (": " in item and item[:1] not in "\"'") or item.endswith(":"):
            raise Unsupported
        items.append(scalar(item))
    return items


def _literal(lines: list[str], indent: int, keep_last_newline: bool) -> str:
    """`|` / `|-` block scalar: indentation of the first line removed, newlines kept."""
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        return ""
    width = _indent(first)
    if width <= indent:
        raise Unsupported
    out = []
    for line in lines:
        if line.strip() and _indent(line) < width:
            raise Unsupported
        if not line.strip() and len(line) > width:
            raise Unsupported  # whitespace-only lines deeper than the block: rare, exact rules
        out.append(line[width:])
    text = "\n".join(out)
    return text + "\n" if keep_last_newline else text


def _folded_plain(rest: str, child: list[str]) -> str:
    """A plain scalar continued on deeper lines: the line breaks fold into spaces."""
    parts = [rest, *(line.strip() for line in child)]
    if any(not p for p in parts):
        raise Unsupported  # an empty line folds into a newline: leave it to libyaml
    if any(p[:1] in "#" or " #" in p or ": " in p or p.endswith(":") for p in parts):
        raise Unsupported
    return scalar(" ".join(parts), folded=True)


def scalar(text: str, folded: bool = False) -> str:
    """A single-line scalar as libyaml's base loader returns it."""
    if text.startswith('"'):
        inner = text[1:-1]
        if len(text) < 2 or not text.endswith('"') or '"' in inner or "\\" in inner or folded:
            raise Unsupported
        return inner
    if text.startswith("'"):
        inner = text[1:-1]
        if len(text) < 2 or not text.endswith("'") or "'" in inner.replace("''", "") or folded:
            raise Unsupported
        return inner.replace("''", "'")
    if text[:1] in _PLAIN_BAD_START or " #" in text or ": " in text or text.endswith(":"):
        raise Unsupported
    if "\t" in text:
        raise Unsupported
    return text

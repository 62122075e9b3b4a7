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
    return _mapping(_trim(body), 4)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _trim(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def _mapping(lines: list[str], indent: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if _indent(line) != indent:
            raise Unsupported
        key, rest = _split_key(line[indent:])
        j = i + 1
        while j < n and _child(lines[j], indent):
            j += 1
        out[key] = _value(rest, _trim(lines[i + 1 : j]), indent)
        i = j
    return out


def _child(line: str, indent: int) -> bool:
    """Whether `line` belongs to the value of a key at `indent` (Helm lists sit at `indent`)."""
    if not line.strip():
        return True
    ind = _indent(line)
    return ind > indent or (ind == indent and line[indent:].startswith("- "))


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


def _value(rest: str, child: list[str], indent: int) -> Any:
    if rest in ("|", "|-"):
        return _literal(child, indent, keep_last_newline=rest == "|")
    if not rest:
        if not child:
            return ""
        first = next(line for line in child if line.strip())
        if first.lstrip(" ").startswith("- "):
            return _list(child)
        return _mapping(child, _indent(first))
    if child:
        return _folded_plain(rest, child)
    return scalar(rest)


def _list(lines: list[str]) -> list[str]:
    indent = _indent(lines[0])
    items = []
    for line in lines:
        if not line.strip():
            continue
        if _indent(line) != indent or not line[indent:].startswith("- "):
            raise Unsupported  # nested mappings or multi-line items
        item = line[indent + 2 :].strip()
        if item[:2] == "- " or (": " in item and item[:1] not in "\"'") or item.endswith(":"):
            raise Unsupported
        items.append(scalar(item))
    return items


def _literal(lines: list[str], indent: int, keep_last_newline: bool) -> str:
    """`|` / `|-` block scalar: indentation of the first line removed, newlines kept."""
    if not lines:
        return ""
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

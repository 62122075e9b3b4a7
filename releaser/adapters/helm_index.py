"""Reading one chart's releases out of a Helm repository `index.yaml`, fast.

Real indexes are megabytes (prometheus-community 5.4 MB) and a whole-file YAML parse costs
seconds, so we parse only what a check needs:
1. find the chart's block by scanning the raw bytes: chart names are keys indented by two
   spaces under the top-level `entries:` key (the layout Helm and PyYAML both write);
2. drop the entry keys nobody reads (dependencies, maintainers, keywords, icon …), which are
   most of the bytes, with one regular expression that only removes whole key blocks;
3. parse the remaining slice with libyaml's base loader (every scalar stays a string, as Go
   reads it: `version: 0.10` stays "0.10", not the float 0.1).
An index in any other layout (flow style, JSON, other indentation) falls back to a full parse.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from releaser.adapters.helm_fast import Unsupported, parse_entry
from releaser.adapters.yaml import FastLoadError, load_fast
from releaser.domain.charts import ChartChange, ChartRelease

CHANGES_ANNOTATION = "artifacthub.io/changes"
# Patterns anchor on "\n" rather than "^" with re.M: several times faster on megabytes.
_ENTRIES = re.compile(rb"(?:^|\n)entries:[ \t]*(?:#[^\n]*)?\r?\n")
_TOP_LEVEL = re.compile(rb"\n[^ \t\r\n#-]")  # next top-level key ends `entries:`
_CHART_KEY = re.compile(
    rb"\n  (?:\"([^\"\n]+)\"|'([^'\n]+)'|([^ \t\n\"'#-][^:\n]*)):[ \t]*\r?(?=\n)"
)
_BLOCK_END = re.compile(rb"\n {0,2}[^ \t\r\n-]")  # a line at indent <= 2, not a list item
# Entry keys (Helm layout: "  - key:" opens an entry, "    key:" continues it) whose whole
# block can go: continuation lines are deeper, Helm-style list items "    - ", or blank.
_UNUSED = rb"dependencies|maintainers|keywords|icon|apiVersion|type|tillerVersion|engine"
_DROP = re.compile(
    rb"^(  - |    )(?:" + _UNUSED + rb"):[^\n]*\n(?:(?: {5,}| {4}- |[ \t]*\r?\n)[^\n]*\n?)*", re.M
)
_ZERO_TIME = datetime.fromisoformat("0001-01-01T00:00:00+00:00")
_NULLS = {"", "~", "null", "Null", "NULL"}


class IndexFormatError(ValueError):
    """The index (or the chart's part of it) is not a readable Helm index. One line."""


def chart_names(raw: bytes) -> list[str] | None:
    """Names of every chart in the index, or None when the layout is not recognised."""
    region = _entries_region(raw)
    if region is None:
        return None
    start, end = region
    return [_key(m) for m in _CHART_KEY.finditer(raw, start, end)]


def chart_entries(raw: bytes, chart: str) -> list[dict[str, Any]] | None:
    """The raw entries (string-valued dicts) of `chart`, or None when it is not in the index."""
    located = _locate(raw, chart)
    if located is None:
        if chart_names(raw):  # Helm's layout, without this chart
            return None
        # Unknown layout, or an `entries:` with no chart the scanner can read (a list, broken
        # YAML): parse everything, which finds the chart or says what is wrong with the index.
        return _full_parse(raw).get(chart)
    start, end = located
    block = _DROP.sub(_keep_entry_start, raw[start:end])
    line = raw.count(b"\n", 0, start)
    fast = _scan(block, line)
    if fast is not None:
        return fast
    data = _load(b"entries:\n" + block, line_offset=line - 1)
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict) or not isinstance(entries.get(chart), list):
        raise IndexFormatError(f"malformed index.yaml: entries.{chart} is not a list")
    return _checked(entries[chart], chart)


def _scan(block: bytes, first_line: int) -> list[dict[str, Any]] | None:
    """Entries read by the line scanner, libyaml only for entries it does not read;
    None when the block is not in Helm's layout (`  - ` opening each entry)."""
    try:
        lines = block.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    starts = [i for i, text in enumerate(lines) if text.startswith("  - ")]
    if not starts or any(t.strip() and not t.startswith("  - ") for t in lines[1 : starts[0]]):
        return None
    bounds = zip(starts, [*starts[1:], len(lines)], strict=True)
    return [_entry(lines[a:b], first_line + a) for a, b in bounds]


def _entry(lines: list[str], line: int) -> dict[str, Any]:
    try:
        return parse_entry(lines)
    except Unsupported:
        data = _load("\n".join(lines).encode(), line_offset=line)
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        raise IndexFormatError(f"malformed index.yaml at line {line + 1}: entry is not a mapping")
    return data[0]


def releases_from_entries(entries: list[dict[str, Any]], chart: str) -> list[ChartRelease]:
    return [release_from_entry(e, chart) for e in entries]


def release_from_entry(entry: dict[str, Any], chart: str) -> ChartRelease:
    annotations = entry.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    return ChartRelease(
        name=_text(entry.get("name")) or chart,
        version=_text(entry.get("version")) or "",
        app_version=_text(entry.get("appVersion")),
        kube_version=_text(entry.get("kubeVersion")),
        created=parse_created(_text(entry.get("created"))),
        deprecated=_text(entry.get("deprecated")) in {"true", "True", "TRUE"},
        description=_text(entry.get("description")),
        home=_text(entry.get("home")),
        sources=_texts(entry.get("sources")),
        changes=parse_changes(_text(annotations.get(CHANGES_ANNOTATION))),
        urls=_texts(entry.get("urls")),
        digest=_text(entry.get("digest")),
        annotations=tuple(
            (str(k), v)
            for k, v in annotations.items()
            if isinstance(v, str) and k != CHANGES_ANNOTATION
        ),
    )


def parse_created(text: str | None) -> datetime | None:
    """RFC 3339 with nanoseconds or offsets; Go's zero time and garbage give None."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if value.tzinfo is None or value == _ZERO_TIME or value.year <= 1:
        return None
    return value


def parse_changes(text: str | None) -> tuple[ChartChange, ...]:
    """`artifacthub.io/changes`: a YAML list of {kind, description, links} or of strings.

    Real annotations are sometimes not valid YAML (`- **bold**`); then each `- ` line is
    one untyped change, which is what a reader would take them for.
    """
    if not text or not text.strip():
        return ()
    try:
        data = load_fast(text)
    except FastLoadError:
        return _changes_from_lines(text)
    if not isinstance(data, list):
        return _changes_from_lines(text) if isinstance(data, str) else ()
    return tuple(c for c in (_change(item) for item in data) if c is not None)


def _change(item: Any) -> ChartChange | None:
    if isinstance(item, str | int | float):
        return ChartChange("", str(item).strip())
    if not isinstance(item, dict):
        return None
    description = item.get("description")
    if not isinstance(description, str | int | float):
        return None
    links = item.get("links")
    urls = tuple(
        str(link["url"])
        for link in (links if isinstance(links, list) else [])
        if isinstance(link, dict) and isinstance(link.get("url"), str)
    )
    kind = item.get("kind")
    return ChartChange(str(kind) if isinstance(kind, str) else "", str(description).strip(), urls)


def _changes_from_lines(text: str) -> tuple[ChartChange, ...]:
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            out.append(ChartChange("", stripped[2:].strip()))
        elif stripped and out and line.startswith((" ", "\t")):
            last = out[-1]
            out[-1] = ChartChange(last.kind, f"{last.description} {stripped}", last.links)
    return tuple(out)


# --------------------------------------------------------------------------- internals


def _entries_region(raw: bytes) -> tuple[int, int] | None:
    match = _ENTRIES.search(raw)
    if match is None:
        return None
    end = _TOP_LEVEL.search(raw, match.end() - 1)
    # Both bounds sit on a "\n", so the newline-anchored patterns see every line inside.
    return match.end() - 1, end.start() if end else len(raw)


def _key(match: re.Match[bytes]) -> str:
    name = match.group(1) or match.group(2) or match.group(3)
    return name.decode("utf-8", "replace").rstrip()


def _locate(raw: bytes, chart: str) -> tuple[int, int] | None:
    region = _entries_region(raw)
    if region is None:
        return None
    start, end = region
    for match in _CHART_KEY.finditer(raw, start, end):
        if _key(match) == chart:
            block_end = _BLOCK_END.search(raw, match.end(), end)
            return match.start() + 1, block_end.start() + 1 if block_end else end
    return None


def _keep_entry_start(match: re.Match[bytes]) -> bytes:
    # A dropped key that opened an entry ("  - icon: …") leaves the entry's dash behind.
    return b"  - _dropped: ''\n" if match.group(1) == b"  - " else b""


def _load(data: bytes, line_offset: int = 0) -> Any:
    try:
        return load_fast(data, strings=True)
    except FastLoadError as err:
        where = f" at line {err.line + line_offset}" if err.line else ""
        raise IndexFormatError(f"malformed index.yaml{where}: {err.problem}") from None


def _full_parse(raw: bytes) -> dict[str, Any]:
    data = _load(raw)
    entries = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise IndexFormatError("not a Helm repository index: no `entries` mapping")
    return {str(k): _checked(v, str(k)) for k, v in entries.items() if isinstance(v, list)}


def _checked(items: list[Any], chart: str) -> list[dict[str, Any]]:
    if not all(isinstance(e, dict) for e in items):
        raise IndexFormatError(f"malformed index.yaml: an entry of {chart} is not a mapping")
    return items


def _text(value: Any) -> str | None:
    if value is None or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return None if text in _NULLS else text


def _texts(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        return ()
    return tuple(t for t in (_text(v) for v in value) if t)

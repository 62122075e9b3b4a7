"""Which Kubernetes apiVersion/kind pairs a chart produces, read from its template text.

Used when no `helm` binary can render the chart. The scan reads Go-template text the way a
reviewer does: each top-level YAML document's `kind:` and every `apiVersion:` line that can
produce it (if/else branches, `ternary`, `template`/`include` of a helper that prints literal
versions). Two facts decide how a removed API counts (see `compat`):

- `by_cluster`: the choice depends on the cluster (`.Capabilities.APIVersions.Has`,
  `semverCompare` on `.Capabilities.KubeVersion`), so an old API may only be a fallback;
- `off_by_default`: the document sits under a `.Values` condition that the chart's default
  values switch off, so it renders only when a user turns it on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_ACTION_RE = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_API_RE = re.compile(r"^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?$")
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"|`([^`]*)`')
_CALL_RE = re.compile(r'\b(?:template|include)\s+"([^"]+)"')
_CLUSTER_RE = re.compile(r"\.Capabilities\b|\bsemverCompare\b|\bKubeVersion\b")
_KEY_RE = re.compile(r"^(apiVersion|kind):[ \t]*(.*?)[ \t]*$")
_OPENERS = ("if", "range", "with", "define", "block")
_MAX_DEPTH = 8


@dataclass(frozen=True)
class ApiChoice:
    """One template document: its kind and every apiVersion it may be rendered with."""

    file: str
    kind: str
    candidates: tuple[str, ...]
    by_cluster: bool = False
    off_by_default: str | None = None  # the `.Values` guard that default values switch off


@dataclass(frozen=True)
class _Guard:
    condition: str
    negated: bool  # inside the `else` branch


@dataclass(frozen=True)
class _Line:
    text: str
    guards: tuple[_Guard, ...]


@dataclass
class _Doc:
    kind: str | None = None
    kind_guards: tuple[_Guard, ...] = ()
    api_lines: list[_Line] = field(default_factory=list)


def _first_word(action: str) -> str:
    body = action.strip()
    return body.split(None, 1)[0] if body else ""


def _lines_and_defines(text: str) -> tuple[list[_Line], dict[str, str]]:
    """Top-level lines with the conditions around them, and the bodies of `define`s."""
    lines: list[_Line] = []
    defines: dict[str, str] = {}
    stack: list[tuple[str, _Guard | None, int, str]] = []  # (keyword, guard, body start, name)
    current, line_guards, pos = "", None, 0
    for match in _ACTION_RE.finditer(text):
        current, line_guards = _feed(text[pos : match.start()], current, line_guards, stack, lines)
        action = match.group(1)
        in_define = any(frame[0] == "define" for frame in stack)
        if not in_define:
            current += "{{" + action + "}}"
            line_guards = line_guards if line_guards is not None else _guards(stack)
        _step(action, match, stack, defines, text)
        pos = match.end()
    _feed(text[pos:] + "\n", current, line_guards, stack, lines)
    return lines, defines


def _feed(
    chunk: str,
    current: str,
    line_guards: tuple[_Guard, ...] | None,
    stack: list[tuple[str, _Guard | None, int, str]],
    lines: list[_Line],
) -> tuple[str, tuple[_Guard, ...] | None]:
    if any(frame[0] == "define" for frame in stack):
        return current, line_guards
    parts = chunk.split("\n")
    for part in parts[:-1]:
        guards = line_guards if line_guards is not None else _guards(stack)
        lines.append(_Line(current + part, guards))
        current, line_guards = "", None
    tail = parts[-1]
    if tail and line_guards is None:
        line_guards = _guards(stack)
    return current + tail, line_guards


def _guards(stack: list[tuple[str, _Guard | None, int, str]]) -> tuple[_Guard, ...]:
    return tuple(frame[1] for frame in stack if frame[1] is not None)


def _step(
    action: str,
    match: re.Match[str],
    stack: list[tuple[str, _Guard | None, int, str]],
    defines: dict[str, str],
    text: str,
) -> None:
    """Keeps the block stack in step with one action."""
    word = _first_word(action)
    rest = action.strip()[len(word) :].strip()
    if word.startswith("/*"):
        return
    if word in _OPENERS:
        guard = _Guard(rest, False) if word in ("if", "with") else None
        quoted = _STRING_RE.match(rest)
        name = (quoted.group(1) or "") if quoted else ""
        stack.append((word, guard, match.end(), name))
    elif word == "else" and stack:
        keyword, guard, start, name = stack.pop()
        if guard is not None:
            cond = rest[2:].strip() if rest.startswith("if") else ""
            guard = _Guard(f"{guard.condition} ELSE {cond}".strip(), not cond)
        stack.append((keyword, guard, start, name))
    elif word == "end" and stack:
        keyword, _guard, start, name = stack.pop()
        if keyword == "define" and name:
            defines[name] = text[start : match.start()]


def _documents(lines: list[_Line]) -> list[_Doc]:
    docs, doc = [], _Doc()
    for line in lines:
        if line.text.startswith("---"):
            docs.append(doc)
            doc = _Doc()
            continue
        key = _KEY_RE.match(line.text)
        if key is None:
            continue
        if key.group(1) == "kind" and doc.kind is None:
            doc.kind, doc.kind_guards = _unquote(key.group(2)), line.guards
        elif key.group(1) == "apiVersion":
            doc.api_lines.append(_Line(key.group(2), line.guards))
    docs.append(doc)
    return docs


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def _literals(text: str) -> list[str]:
    """apiVersion-looking strings: quoted ones in actions, bare words in template text."""
    found = []
    for action in _ACTION_RE.findall(text):
        found += [a or b for a, b in _STRING_RE.findall(action)]
    found += _ACTION_RE.sub(" ", text).split()
    return [f for f in found if _API_RE.match(f)]


def _resolve(value: str, defines: Mapping[str, str], depth: int = 0) -> tuple[list[str], bool]:
    """Candidate apiVersions of a value, and whether the cluster picks among them."""
    if "{{" not in value and depth == 0:
        literal = _unquote(value)
        return ([literal] if literal else []), False
    candidates, by_cluster = _literals(value), bool(_CLUSTER_RE.search(value))
    if depth < _MAX_DEPTH:
        for name in _CALL_RE.findall(value):
            body = defines.get(name)
            if body is not None:
                more, cluster = _resolve(body, defines, depth + 1)
                candidates += more
                by_cluster = by_cluster or cluster
    return list(dict.fromkeys(candidates)), by_cluster


def scan_template(
    file: str, text: str, defines: Mapping[str, str], defaults: Mapping[str, Any]
) -> list[ApiChoice]:
    """Every document of one template file that names a kind and a resolvable apiVersion."""
    lines, _ = _lines_and_defines(text)
    choices = []
    for doc in _documents(lines):
        if doc.kind is None or not doc.api_lines or "{{" in doc.kind:
            continue
        candidates: list[str] = []
        by_cluster = False
        for line in doc.api_lines:
            found, cluster = _resolve(line.text, defines)
            candidates += found
            by_cluster = by_cluster or cluster or _cluster_guarded(line.guards)
        if not candidates:
            continue  # apiVersion taken from values (`.Values.keda.apiVersion`): nothing to judge
        by_cluster = by_cluster or _cluster_guarded(doc.kind_guards)
        off = _off_by_default(doc.kind_guards, defaults)
        choices.append(ApiChoice(file, doc.kind, tuple(dict.fromkeys(candidates)), by_cluster, off))
    return choices


def _cluster_guarded(guards: tuple[_Guard, ...]) -> bool:
    return any(_CLUSTER_RE.search(g.condition) for g in guards)


def collect_defines(files: Mapping[str, str]) -> dict[str, str]:
    """Every `define` in every template file (helpers live in `_*.tpl`, but may be anywhere)."""
    defines: dict[str, str] = {}
    for text in files.values():
        defines.update(_lines_and_defines(text)[1])
    return defines


def scan_chart(
    templates: Mapping[str, str], crds: Mapping[str, str], defaults: Mapping[str, Any]
) -> list[ApiChoice]:
    """All apiVersion choices of a chart: rendered templates (helpers excluded) and CRD files."""
    defines = collect_defines(templates)
    choices: list[ApiChoice] = []
    for name in sorted(templates):
        base = name.rsplit("/", 1)[-1]
        if base.startswith("_") or not base.endswith((".yaml", ".yml", ".tpl")):
            continue
        choices += scan_template(name, templates[name], defines, defaults)
    for name in sorted(crds):
        choices += scan_template(name, crds[name], {}, {})
    return choices


# -- default values: just enough of Go template truthiness to see what defaults switch off --

_TOKEN_RE = re.compile(r'\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+')


def _off_by_default(guards: tuple[_Guard, ...], defaults: Mapping[str, Any]) -> str | None:
    for guard in guards:
        if guard.negated or " ELSE " in guard.condition:
            continue
        if _evaluate(_TOKEN_RE.findall(guard.condition), defaults) is False:
            return guard.condition
    return None


def _evaluate(tokens: list[str], values: Mapping[str, Any]) -> bool | None:
    """`and`/`or`/`not` over `.Values.a.b` paths; None wherever the value cannot be known."""
    result, rest = _expr(tokens, values)
    return result if not rest else None


def _expr(tokens: list[str], values: Mapping[str, Any]) -> tuple[bool | None, list[str]]:
    if not tokens:
        return None, []
    head, rest = tokens[0], tokens[1:]
    if head in ("and", "or"):
        results = []
        while rest and rest[0] != ")":
            value, rest = _term(rest, values)
            results.append(value)
        return _combine(head, results), rest
    if head == "not":
        value, rest = _term(rest, values)
        return (None if value is None else not value), rest
    return _term(tokens, values)


def _combine(op: str, results: list[bool | None]) -> bool | None:
    if op == "and":
        return False if False in results else (True if all(results) else None)
    return True if True in results else (False if all(r is False for r in results) else None)


def _term(tokens: list[str], values: Mapping[str, Any]) -> tuple[bool | None, list[str]]:
    if not tokens:
        return None, []
    head, rest = tokens[0], tokens[1:]
    if head == "(":
        depth, i = 1, 0
        while i < len(rest) and depth:
            depth += {"(": 1, ")": -1}.get(rest[i], 0)
            i += 1
        inner = rest[: i - 1]
        value, leftover = _expr(inner, values)
        return (value if not leftover else None), rest[i:]
    if head.startswith(".Values."):
        return _truthy(_lookup(values, head[len(".Values.") :].split("."))), rest
    return None, rest


def _lookup(values: Mapping[str, Any], path: list[str]) -> Any:
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None  # Go templates read a missing key as nil
        node = node[key]
    return node


def _truthy(value: Any) -> bool:
    return bool(value) if value is not None else False


# -- results the archive adapter caches, and helm's rendered output --


@dataclass(frozen=True)
class ChartScan:
    """The parsed form of one chart archive: what `compat` needs, cached by digest."""

    chart: str
    version: str
    digest: str
    choices: tuple[ApiChoice, ...]
    archive: str | None = None  # local path of the cached .tgz, for rendering


_SOURCE_RE = re.compile(r"^# Source: (.+)$", re.MULTILINE)


def scan_rendered(text: str, scanned: tuple[ApiChoice, ...]) -> list[ApiChoice]:
    """Documents of `helm template` output. A rendered apiVersion that the templates only
    pick by cluster capability keeps that mark: `helm template` answers `.Capabilities`
    from its own built-in API list, not from the target cluster."""
    picked = {(c.kind, a) for c in scanned if c.by_cluster for a in c.candidates}
    found = []
    for doc in re.split(r"(?m)^---[ \t]*$", text):
        source = _SOURCE_RE.search(doc)
        file = source.group(1).strip() if source else "rendered"
        for choice in scan_template(file, doc, {}, {}):
            flag = any((choice.kind, a) in picked for a in choice.candidates)
            found.append(ApiChoice(file, choice.kind, choice.candidates, flag))
    return found

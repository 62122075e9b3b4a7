"""Which Kubernetes apiVersion/kind pairs a chart produces, read from its template text.

Used when no `helm` binary can render the chart. The scan reads Go-template text the way a
reviewer does: each top-level YAML document's `kind:` and every `apiVersion:` line that can
produce it (if/else branches, `ternary`, `template`/`include` of a helper that prints literal
versions, a value such as `{{ .Values.pdb.apiVersion | default "policy/v1" }}`), with the
values the chart is installed with (its defaults, or those under the kit's and a customer's
values: `helm_values`). Two facts decide how a removed API counts (see `compat`):

- `by_cluster`: the choice depends on the cluster (`.Capabilities.APIVersions.Has`,
  `semverCompare` on `.Capabilities.KubeVersion`), so an old API may only be a fallback;
- `off_by_default`: the document sits under a `.Values` condition (`if .Values.psp.enabled`,
  `if gt (int .Values.replicaCount) 1`) that those values switch off, so it renders only
  when a user turns it on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from releaser.domain import helm_values

_ACTION_RE = re.compile(r"\{\{-?(.*?)-?\}\}", re.DOTALL)
_API_RE = re.compile(r"^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?$")
_CALL_RE = re.compile(r'\b(?:template|include)\s+"([^"]+)"')
_CLUSTER_RE = re.compile(r"\.Capabilities\b|\bsemverCompare\b|\bKubeVersion\b")
_KEY_RE = re.compile(r"^(apiVersion|kind):(.*)$")
_OPENERS = ("if", "range", "with", "define", "block")
_KEYWORDS = frozenset((*_OPENERS, "else", "end"))
# Hostile templates must not cost more than linear time, so helper resolution is bounded:
_MAX_HELPERS = 64  # defines followed from one value (real charts chain two or three)
_MAX_CANDIDATES = 32  # apiVersions one value can offer (real ones offer two to four)
_MAX_API_WORD = 320  # longest apiVersion-looking word considered (group names are DNS names)


@dataclass(frozen=True)
class ApiChoice:
    """One template document: its kind and every apiVersion it may be rendered with."""

    file: str
    kind: str
    candidates: tuple[str, ...]
    by_cluster: bool = False
    off_by_default: str | None = None  # the `.Values` guard the values scanned with switch off


# -- Go-template text, read in one pass --


def _actions(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, body) of each `{{ … }}`, trim markers removed.

    The search stops at the last `}}`: past it a `{{` can never close, and letting the regex
    try there would retry every later position to the end of the text (quadratic time)."""
    for match in _ACTION_RE.finditer(text, 0, text.rfind("}}") + 2):
        yield match.start(), match.end(), match.group(1)


def _strings(action: str) -> Iterator[str]:
    """The "…" and `…` literals of an action, left to right; an unclosed one ends them."""
    pos = 0
    while True:
        starts = [i for i in (action.find('"', pos), action.find("`", pos)) if i >= 0]
        if not starts:
            return
        start = min(starts)
        end = _string_end(action, start)
        if end < 0:
            return
        yield action[start + 1 : end]
        pos = end + 1


def _string_end(action: str, start: int) -> int:
    """Index of the quote closing the literal opened at `start`, or -1."""
    if action[start] == "`":
        return action.find("`", start + 1)
    pos = start + 1
    while (end := action.find('"', pos)) >= 0:
        slashes = len(action[pos:end]) - len(action[pos:end].rstrip("\\"))
        if slashes % 2 == 0:
            return end
        pos = end + 1
    return -1


@dataclass(frozen=True)
class _Scope:
    """One open block. Each links to the one around it and carries what all of them mean
    for a line inside, so a line keeps its conditions in O(1) however deep the nesting."""

    keyword: str
    parent: _Scope | None
    name: str = ""  # a define's name
    start: int = 0  # where a define's body starts
    guarded: bool = False  # an if/with: its condition guards the lines inside
    in_define: bool = False  # this or an enclosing block is a `define`
    by_cluster: bool = False  # this or an enclosing condition asks the cluster
    off: str | None = None  # outermost enclosing condition that default values switch off


@dataclass(frozen=True)
class _Line:
    text: str
    scope: _Scope | None

    @property
    def by_cluster(self) -> bool:
        return self.scope is not None and self.scope.by_cluster

    @property
    def off(self) -> str | None:
        return self.scope.off if self.scope is not None else None


@dataclass
class _LineBuffer:
    """Top-level template text cut into lines, each with the scope its first piece sits in."""

    lines: list[_Line] = field(default_factory=list)
    _parts: list[str] = field(default_factory=list)
    _scope: _Scope | None = None
    _started: bool = False

    def text(self, chunk: str, scope: _Scope | None) -> None:
        if not chunk or (scope is not None and scope.in_define):
            return
        *complete, tail = chunk.split("\n")
        for piece in complete:
            self._parts.append(piece)
            self.lines.append(_Line("".join(self._parts), self._scope if self._started else scope))
            self._parts, self._started = [], False
        if tail:
            self.add(tail, scope)

    def add(self, piece: str, scope: _Scope | None) -> None:
        if scope is not None and scope.in_define:
            return
        if not self._started:
            self._scope, self._started = scope, True
        self._parts.append(piece)


def _lines_and_defines(
    text: str, defaults: Mapping[str, Any] | None = None
) -> tuple[list[_Line], dict[str, str]]:
    """Top-level lines with the conditions around them, and the bodies of `define`s.
    With `defaults`, each line also knows the condition those values switch off."""
    buffer = _LineBuffer()
    defines: dict[str, str] = {}
    scope: _Scope | None = None
    pos = 0
    for start, end, action in _actions(text):
        buffer.text(text[pos:start], scope)
        buffer.add("{{" + action + "}}", scope)
        scope = _step(action, start, end, scope, defines, text, defaults)
        pos = end
    buffer.text(text[pos:] + "\n", scope)
    return buffer.lines, defines


def _step(
    action: str,
    start: int,
    end: int,
    scope: _Scope | None,
    defines: dict[str, str],
    text: str,
    defaults: Mapping[str, Any] | None,
) -> _Scope | None:
    """The scope after one action."""
    head = action.split(None, 1)
    if not head or head[0] not in _KEYWORDS:  # most actions print a value: no block changes
        return scope
    word, rest = head[0], head[1].strip() if len(head) > 1 else ""
    if word in _OPENERS:
        return _open(word, rest, end, scope, defaults)
    if word == "else" and scope is not None:
        return _else(rest, scope)
    if word == "end" and scope is not None:
        outer = scope.keyword == "define" and not _in_define(scope.parent)
        if outer and scope.name:  # Go allows no nested define: only the outer one counts
            defines[scope.name] = text[scope.start : start]
        return scope.parent
    return scope


def _in_define(scope: _Scope | None) -> bool:
    return scope is not None and scope.in_define


def _open(
    word: str, rest: str, end: int, parent: _Scope | None, defaults: Mapping[str, Any] | None
) -> _Scope:
    guarded = word in ("if", "with")
    outer_off = parent.off if parent is not None else None
    off = outer_off
    if guarded and off is None and defaults is not None:
        off = rest if _switched_off(rest, defaults) else None
    return _Scope(
        keyword=word,
        parent=parent,
        name=next(_strings(rest), "") if rest[:1] in ('"', "`") else "",
        start=end,
        guarded=guarded,
        in_define=word == "define" or _in_define(parent),
        by_cluster=(parent is not None and parent.by_cluster)
        or (guarded and bool(_CLUSTER_RE.search(rest))),
        off=off,
    )


def _else(rest: str, scope: _Scope) -> _Scope:
    """An else branch: the condition no longer switches anything off, but an `else if`
    that asks the cluster makes the branch a cluster choice too."""
    if not scope.guarded:
        return scope
    cond = rest[2:].strip() if rest.startswith("if") else ""
    parent_off = scope.parent.off if scope.parent is not None else None
    by_cluster = scope.by_cluster or bool(_CLUSTER_RE.search(cond))
    return replace(scope, off=parent_off, by_cluster=by_cluster)


@dataclass
class _Doc:
    kind: str | None = None
    kind_line: _Line | None = None
    api_lines: list[_Line] = field(default_factory=list)


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
        value = key.group(2).strip(" \t")
        if key.group(1) == "kind" and doc.kind is None:
            doc.kind, doc.kind_line = _unquote(value), line
        elif key.group(1) == "apiVersion":
            doc.api_lines.append(_Line(value, line.scope))
    docs.append(doc)
    return docs


def _unquote(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def _literals(text: str, values: Mapping[str, Any] | None = None) -> list[str]:
    """apiVersion-looking strings: quoted ones in actions, the values actions read (with
    `values`), bare words in template text."""
    found: list[str] = []
    outside: list[str] = []
    pos = 0
    for start, end, action in _actions(text):
        found += _strings(action)
        if values:
            found += [v for v in helm_values.referenced(action, values) if isinstance(v, str)]
        outside.append(text[pos:start])
        pos = end
    outside.append(text[pos:])
    found += " ".join(outside).split()
    return [f for f in found if len(f) <= _MAX_API_WORD and _API_RE.match(f)]


class _Resolver:
    """Candidate apiVersions of a value and whether the cluster picks among them, following
    `template`/`include` into the chart's defines; each define is read once per chart."""

    def __init__(self, defines: Mapping[str, str], values: Mapping[str, Any]) -> None:
        self._defines = defines
        self._values = values
        # name -> (its own literals, whether it asks the cluster, the defines it calls)
        self._own: dict[str, tuple[list[str], bool, list[str]]] = {}
        self._done: dict[str, tuple[list[str], bool]] = {}

    def value(self, value: str) -> tuple[list[str], bool]:
        if "{{" not in value:
            literal = _unquote(value)
            return ([literal] if literal else []), False
        exact = self._printed(value)
        if exact is not None:  # `{{ .Values.pdb.apiVersion | default "policy/v1" }}`
            return ([exact] if _API_RE.match(exact) else []), False
        candidates = _literals(value, self._values)
        by_cluster = bool(_CLUSTER_RE.search(value))
        for name in dict.fromkeys(_CALL_RE.findall(value)):
            more, cluster = self._define(name)
            candidates += more
            by_cluster = by_cluster or cluster
        return _bounded(candidates), by_cluster

    def _printed(self, value: str) -> str | None:
        """The value as Helm prints it, when each of its actions only reads values."""
        out, pos = [], 0
        for start, end, action in _actions(value):
            text = helm_values.printed(action, self._values)
            if text is None:
                return None
            out += [value[pos:start], text]
            pos = end
        return _unquote("".join([*out, value[pos:]]))

    def _define(self, name: str) -> tuple[list[str], bool]:
        """A define's literals and those of the defines it calls, breadth first, bounded."""
        if name in self._done:
            return self._done[name]
        candidates: list[str] = []
        by_cluster = False
        queue, seen = [name], {name}
        for current in queue:
            if current not in self._defines:
                continue
            literals, cluster, calls = self._read(current)
            candidates += literals
            by_cluster = by_cluster or cluster
            for call in calls:
                if call not in seen and len(seen) < _MAX_HELPERS:
                    seen.add(call)
                    queue.append(call)
        self._done[name] = result = (_bounded(candidates), by_cluster)
        return result

    def _read(self, name: str) -> tuple[list[str], bool, list[str]]:
        if name not in self._own:
            body = self._defines[name]
            exact = self._printed(body)
            if exact is not None:  # a helper that only prints values: its exact output
                self._own[name] = ([exact] if _API_RE.match(exact) else [], False, [])
                return self._own[name]
            calls = list(dict.fromkeys(_CALL_RE.findall(body)))
            literals = _bounded(_literals(body, self._values))
            self._own[name] = (literals, bool(_CLUSTER_RE.search(body)), calls)
        return self._own[name]


def _bounded(candidates: list[str]) -> list[str]:
    return list(dict.fromkeys(candidates))[:_MAX_CANDIDATES]


def scan_template(
    file: str, text: str, defines: Mapping[str, str], defaults: Mapping[str, Any]
) -> list[ApiChoice]:
    """Every document of one template file that names a kind and a resolvable apiVersion."""
    lines, _ = _lines_and_defines(text, defaults)
    return _choices(file, lines, _Resolver(defines, defaults))


def _choices(file: str, lines: list[_Line], resolver: _Resolver) -> list[ApiChoice]:
    choices = []
    for doc in _documents(lines):
        if doc.kind is None or doc.kind_line is None or not doc.api_lines or "{{" in doc.kind:
            continue
        candidates: list[str] = []
        by_cluster = False
        for line in doc.api_lines:
            found, cluster = resolver.value(line.text)
            candidates += found
            by_cluster = by_cluster or cluster or line.by_cluster
        if not candidates:
            continue  # apiVersion from a value that is not set: the document cannot render
        by_cluster = by_cluster or doc.kind_line.by_cluster
        unique = tuple(dict.fromkeys(candidates))
        choices.append(ApiChoice(file, doc.kind, unique, by_cluster, doc.kind_line.off))
    return choices


def collect_defines(files: Mapping[str, str]) -> dict[str, str]:
    """Every `define` in every template file (helpers live in `_*.tpl`, but may be anywhere)."""
    defines: dict[str, str] = {}
    for text in files.values():
        defines.update(_lines_and_defines(text)[1])
    return defines


def scan_chart(
    templates: Mapping[str, str], crds: Mapping[str, str], defaults: Mapping[str, Any]
) -> list[ApiChoice]:
    """All apiVersion choices of a chart: rendered templates (helpers excluded) and CRD files.
    Each file is read once: its lines are kept while the defines of all files are gathered."""
    parsed = {name: _lines_and_defines(text, defaults) for name, text in templates.items()}
    defines: dict[str, str] = {}
    for _lines, found in parsed.values():
        defines.update(found)
    resolver = _Resolver(defines, defaults)
    choices: list[ApiChoice] = []
    for name in sorted(templates):
        base = name.rsplit("/", 1)[-1]
        if base.startswith("_") or not base.endswith((".yaml", ".yml", ".tpl")):
            continue
        choices += _choices(name, parsed[name][0], resolver)
    for name in sorted(crds):
        choices += scan_template(name, crds[name], {}, {})
    return choices


def _switched_off(condition: str, values: Mapping[str, Any]) -> bool:
    """True when `values` make `condition` false; a condition that cannot be told (too long
    to be a real chart's, or asking what values do not say) never switches anything off."""
    return helm_values.condition(condition, values) is False


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

"""The one safe YAML loader: plain data plus the line, raw text and span of every value.

Every YAML file releaser reads (kit, compatibility, fleet, mirrors, customer manifests, chart
value defaults) comes through here. Nodes are composed within limits (see `compose`), then
walked once: each value keeps its line, scalars keep their text as written (`1.30`, not 1.3)
and their exact character span (so a rollout can rewrite one value in place), and duplicate
keys, non-scalar keys, unknown tags and values their tag cannot hold (`!!int x`, the date
`2024-13-45`) are refused with `file:line` like a syntax error (exit 3).

`load_fast` is for upstream Helm indexes, where megabytes must parse in milliseconds and no
position is needed: libyaml straight through, its errors as `FastLoadError`.
"""

from __future__ import annotations

import binascii
from typing import Any

import yaml

from releaser.adapters.yaml.compose import compose_all, refuse
from releaser.domain.document import Document, KeyPath, ManifestDoc, dotted
from releaser.domain.errors import InvalidFileError, Problem
from releaser.domain.splice import Span

_YAML = "tag:yaml.org,2002:"
_MERGE = _YAML + "merge"
_BINARY = _YAML + "binary"
_SCALAR_TAGS = {_YAML + t for t in ("str", "int", "float", "bool", "null", "timestamp", "binary")}
_COLLECTION_TAGS: dict[type[yaml.Node], str] = {
    yaml.MappingNode: _YAML + "map",
    yaml.SequenceNode: _YAML + "seq",
}
# What PyYAML's constructors raise on values their tag does not fit (`!!int` with no digits
# indexes an empty string).
_CONSTRUCT_ERRORS = (
    yaml.YAMLError, ValueError, TypeError, AttributeError, IndexError, KeyError,
    OverflowError, binascii.Error,
)  # fmt: skip


def _short(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML) if tag.startswith(_YAML) else tag


class _Walker:
    """Turns composed nodes into plain data, recording where each value came from."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[KeyPath, int] = {}
        self.raw: dict[KeyPath, str] = {}
        self.spans: dict[KeyPath, Span] = {}
        self.problems: list[Problem] = []
        self._ctor = yaml.SafeLoader("")
        self._flattened: set[int] = set()

    def _fail(self, node: yaml.Node, path: KeyPath, message: str) -> InvalidFileError:
        return refuse(self.file, node.start_mark.line + 1, message, dotted(path))

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag != _COLLECTION_TAGS.get(type(node)):
            raise self._fail(node, path, f"unsupported tag {_short(node.tag)}")
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.MappingNode)
        return self._mapping(node, path)

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        value = self._construct(node, path)
        self.raw[path] = str(node.value)
        self.spans[path] = Span(node.start_mark.index, node.end_mark.index, _style(node.style))
        return value

    def _construct(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise self._fail(node, path, f"unsupported tag {_short(node.tag)}")
        try:
            if node.tag == _BINARY:  # PyYAML would skip characters that are not base64
                binascii.a2b_base64("".join(node.value.split()), strict_mode=True)
            return self._ctor.construct_object(node)
        except _CONSTRUCT_ERRORS:
            message = f"not a valid {_short(node.tag)}: {node.value!r}"
            raise self._fail(node, path, message) from None

    def _key(self, node: yaml.Node, path: KeyPath) -> str:
        """A key as written (`on` stays "on"); it must be a valid single value."""
        if not isinstance(node, yaml.ScalarNode):
            raise self._fail(node, path, "a key must be a single value, not a list or mapping")
        self._construct(node, path)
        return str(node.value)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        if id(node) not in self._flattened:
            self._flattened.add(id(node))
            self._duplicates(node, path)
            try:
                self._ctor.flatten_mapping(node)
            except yaml.YAMLError as err:
                raise self._fail(node, path, str(getattr(err, "problem", err))) from None
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            child = (*path, key)
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.walk(value_node, child)
        return out

    def _duplicates(self, node: yaml.MappingNode, path: KeyPath) -> None:
        """Keys written twice in one mapping (a merged-in key may be overridden: not a dup)."""
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                if key_node.value in seen:
                    where = key_node.start_mark.line + 1
                    child = dotted((*path, key_node.value))
                    self.problems.append(Problem(self.file, where, child, "duplicate key"))
                seen.add(key_node.value)


def _style(style: str | None) -> str | None:
    return {None: None, "'": "'", '"': '"'}.get(style, "block")


def _walked(node: yaml.Node, file: str, *, strict: bool = True) -> tuple[_Walker, Any]:
    """Data and positions; `strict` refuses duplicate keys (reported all at once)."""
    walker = _Walker(file)
    data = walker.walk(node, ())
    if strict and walker.problems:
        raise InvalidFileError(walker.problems)
    return walker, data


def _single(text: str | bytes, file: str) -> yaml.Node | None:
    nodes = compose_all(text, file)
    if len(nodes) > 1:
        raise refuse(file, nodes[1].start_mark.line + 1, "expected one YAML document, found more")
    return nodes[0] if nodes else None


def parse_document(text: str | bytes, file: str) -> Document:
    """One YAML document with the line and raw text of every value; refuses with file:line."""
    node = _single(text, file)
    if node is None:  # empty: problems about missing keys point at line 1
        return Document(file, None, {(): 1})
    walker, data = _walked(node, file)
    return Document(file, data, walker.lines, walker.raw)


def compose_document(text: str | bytes, file: str) -> yaml.Node | None:
    """The checked node tree of a one-document file, for validators that work on nodes."""
    node = _single(text, file)
    if node is not None:
        _walked(node, file)
    return node


def parse_manifests(text: str | bytes, file: str) -> list[ManifestDoc]:
    """Every document of a manifest file, with the character span of every scalar."""
    docs = []
    for index, node in enumerate(compose_all(text, file)):
        walker, data = _walked(node, file)
        docs.append(ManifestDoc(file, index, data, walker.lines, walker.spans))
    return docs


def check_documents(text: str | bytes, file: str) -> None:
    """Refuse `text` (file:line, exit 3) unless every document would load cleanly."""
    for node in compose_all(text, file):
        _walked(node, file)


def load_values(text: str | bytes, file: str) -> Any:
    """A Helm values document (a chart's defaults, inline `helm.values`, a value file) as data.

    Helm reads a key written twice as its last value, so a duplicate is not refused here.
    """
    node = _single(text, file)
    return None if node is None else _walked(node, file, strict=False)[1]


class FastLoadError(Exception):
    """`load_fast` could not parse its input; `line` is 1-based when known."""

    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


try:
    _FAST: dict[bool, Any] = {True: yaml.CBaseLoader, False: yaml.CSafeLoader}
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _FAST = {True: yaml.BaseLoader, False: yaml.SafeLoader}


def load_fast(data: str | bytes, *, strings: bool = False) -> Any:
    """Position-less libyaml load of upstream data (`strings`: every scalar a str, as Go reads).

    Aliases come back as shared objects, so an alias bomb costs no memory here; callers only
    read known keys of the result.
    """
    try:
        return yaml.load(data, Loader=_FAST[strings])
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        raise FastLoadError(str(err.problem or err.context), line) from None
    except (yaml.YAMLError, ValueError, TypeError, AttributeError, RecursionError) as err:
        problem = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise FastLoadError(problem, None) from None

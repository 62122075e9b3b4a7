"""Compose YAML into nodes with hard limits, refusing hostile input with `file:line` (exit 3).

PyYAML's own composer trusts its input: an alias bomb composes into a small graph that any
walk then expands into billions of nodes, a recursive alias walks forever, and a reader
error has no line. We compose from libyaml's event stream instead (same nodes, same marks)
and, while doing so, count what a walk of the result would visit: every alias adds the
expanded size and height of the node it names. Past a limit the file is refused at the line
of the offending event, before anything expands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from releaser.domain.errors import InvalidFileError, Problem

try:
    PARSER: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    PARSER = yaml.SafeLoader

MAX_BYTES = 4 * 1024 * 1024  # no file releaser reads is anywhere near this
MAX_NODES = 100_000  # nodes visited when every alias is expanded
MAX_ALIASES = 5_000
MAX_DEPTH = 100  # nesting, aliases expanded

# C0 controls but tab, LF and CR; DEL; C1 controls; lone surrogates (undecodable bytes that
# were read with errors="surrogateescape"); the two non-characters YAML forbids.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_RESOLVER = yaml.SafeLoader("")  # only its tag resolution is used


def refuse(file: str, line: int, message: str, path: str = "") -> InvalidFileError:
    """The one shape of a refusal: `file:line: message` (exit 3)."""
    return InvalidFileError([Problem(file, max(line, 1), path, message)])


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def decode(raw: bytes, file: str) -> str:
    """UTF-8 text, or a refusal at the line of the first byte that is not UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise refuse(file, line, f"not UTF-8 text (byte 0x{raw[err.start]:02x})") from None


def check_text(text: str | bytes, file: str) -> str:
    """The text when its size and characters are acceptable; refuses with the line otherwise."""
    if len(text) > MAX_BYTES:
        raise refuse(file, 1, f"file too large ({len(text)} bytes; the limit is {MAX_BYTES})")
    if isinstance(text, bytes):
        text = decode(text, file)
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        char = bad.group()
        what = "not UTF-8 text" if "\ud800" <= char <= "\udfff" else "control character"
        raise refuse(file, line_of(text, bad.start()), f"{what} (U+{ord(char):04X})")
    return text


def syntax_error(err: yaml.YAMLError, file: str, fallback_line: int) -> InvalidFileError:
    """A PyYAML error as `file:line: YAML syntax error: …`."""
    line = fallback_line
    message = str(err).splitlines()[0] if str(err) else type(err).__name__
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else fallback_line
        message = str(err.problem or err.context)
    return refuse(file, line, f"YAML syntax error: {message}")


def _tag(kind: type[yaml.Node], event: yaml.NodeEvent, value: str | None) -> str:
    """The explicit tag, or the one YAML's core schema resolves for an untagged node."""
    tag = getattr(event, "tag", None)
    if tag is None or tag == "!":
        implicit = getattr(event, "implicit", None)
        tag = _RESOLVER.resolve(kind, value, implicit)  # type: ignore[no-untyped-call]
    return str(tag)


@dataclass
class _Frame:
    node: yaml.CollectionNode
    anchor: str | None
    size: int = 1  # nodes in the expanded subtree
    height: int = 1  # collection levels in the expanded subtree


@dataclass
class _Composer:
    """Builds the nodes of every document while keeping the expansion counts."""

    file: str
    stack: list[_Frame] = field(default_factory=list)
    anchors: dict[str, yaml.Node] = field(default_factory=dict)
    open_anchors: set[str] = field(default_factory=set)
    measure: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (size, height)
    documents: list[yaml.Node | None] = field(default_factory=list)
    nodes: int = 0
    aliases: int = 0
    line: int = 1

    def event(self, event: yaml.Event) -> None:
        self.line = event.start_mark.line + 1 if event.start_mark else self.line
        if isinstance(event, yaml.DocumentStartEvent):
            self.anchors.clear()
            self.documents.append(None)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            self._open(event)
        elif isinstance(event, yaml.CollectionEndEvent):
            self._close(event)

    def _fail(self, message: str) -> InvalidFileError:
        return refuse(self.file, self.line, message)

    def _alias(self, event: yaml.AliasEvent) -> None:
        name = str(event.anchor)
        if name in self.open_anchors:
            raise self._fail(f"recursive alias *{name} (it refers to a node that contains it)")
        if name not in self.anchors:
            raise self._fail(f"unknown alias *{name}")
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise self._fail(f"too many aliases (more than {MAX_ALIASES})")
        node = self.anchors[name]
        size, height = self.measure[id(node)]
        self._count(size)
        if len(self.stack) + height > MAX_DEPTH:
            raise self._fail(f"nested too deeply once aliases are expanded (> {MAX_DEPTH})")
        self._add(node, size, height)

    def _scalar(self, event: yaml.ScalarEvent) -> None:
        tag = _tag(yaml.ScalarNode, event, event.value)
        style = event.style or None  # libyaml says "" for plain, PyYAML None
        start: Any = event.start_mark  # libyaml's marks quack like PyYAML's
        end: Any = event.end_mark
        node = yaml.ScalarNode(tag, event.value, start, end, style)
        self._anchor(event.anchor, node)
        self.measure[id(node)] = (1, 0)
        self._count(1)
        self._add(node, 1, 0)

    def _open(self, event: yaml.CollectionStartEvent) -> None:
        kind: type[yaml.CollectionNode]
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
        start: Any = event.start_mark
        node = kind(_tag(kind, event, None), [], start, None, flow_style=event.flow_style)
        if len(self.stack) >= MAX_DEPTH:
            raise self._fail(f"nested too deeply (more than {MAX_DEPTH} levels)")
        self._anchor(event.anchor, node)
        if event.anchor is not None:
            self.open_anchors.add(str(event.anchor))
        self._count(1)
        self.stack.append(_Frame(node, event.anchor))

    def _close(self, event: yaml.Event) -> None:
        frame = self.stack.pop()
        frame.node.end_mark = event.end_mark
        if frame.anchor is not None:
            self.open_anchors.discard(str(frame.anchor))
        self.measure[id(frame.node)] = (frame.size, frame.height)
        self._add(frame.node, frame.size, frame.height)

    def _anchor(self, anchor: str | None, node: yaml.Node) -> None:
        if anchor is None:
            return
        if anchor in self.anchors:
            raise self._fail(f"duplicate anchor &{anchor}")
        self.anchors[anchor] = node

    def _count(self, size: int) -> None:
        """Count the nodes a full walk would visit (an alias: the whole node it names)."""
        self.nodes += size
        if self.nodes > MAX_NODES:
            raise self._fail(f"too many nodes once aliases are expanded (more than {MAX_NODES})")

    def _add(self, node: yaml.Node, size: int, height: int) -> None:
        """Attach `node` to the open collection, or make it the document's root."""
        if not self.stack:
            self.documents[-1] = node
            return
        parent = self.stack[-1]
        parent.size += size
        parent.height = max(parent.height, height + 1)
        if isinstance(parent.node, yaml.SequenceNode):
            parent.node.value.append(node)
        elif parent.node.value and not isinstance(parent.node.value[-1], tuple):
            parent.node.value[-1] = (parent.node.value[-1], node)
        else:
            parent.node.value.append(node)  # a key; its value completes the pair


def compose_all(text: str | bytes, file: str) -> list[yaml.Node]:
    """The root node of every non-empty document, composed within the limits above."""
    text = check_text(text, file)
    composer = _Composer(file)
    try:
        for event in yaml.parse(text, Loader=PARSER):
            composer.event(event)
    except yaml.YAMLError as err:
        raise syntax_error(err, file, composer.line) from None
    return [node for node in composer.documents if node is not None]

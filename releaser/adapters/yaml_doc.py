"""Parse YAML into a `Document` that keeps each value's line and raw scalar text.

Composing nodes (rather than loading) is what gives us the lines, duplicate-key detection
(PyYAML silently keeps the last one) and the text as written (`1.30`, not 1.3).
"""

from __future__ import annotations

from typing import Any

import yaml

from releaser.domain.document import Document, KeyPath, dotted
from releaser.domain.errors import InvalidFileError, Problem

try:
    Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    Loader = yaml.SafeLoader


def syntax_error(err: yaml.YAMLError, file: str) -> InvalidFileError:
    """A YAML error as `file:line: YAML syntax error: …` (exit 3)."""
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        message = f"YAML syntax error: {err.problem or err.context}"
        return InvalidFileError([Problem(file, line, "", message)])
    return InvalidFileError([Problem(file, None, "", f"YAML error: {err}")])

_MAX_DEPTH = 64


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: dict[KeyPath, int] = {}
        self.raw: dict[KeyPath, str] = {}
        self.problems: list[Problem] = []
        self._scalars = yaml.SafeLoader("")

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if len(path) > _MAX_DEPTH:
            self.problems.append(
                Problem(self.file, node.start_mark.line + 1, "", "nesting too deep")
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        self.raw[path] = str(node.value)
        return self._scalars.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[str, Any]:
        self._scalars.flatten_mapping(node)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self._scalars.construct_object(key_node)
            key = key if isinstance(key, str) else str(key)
            child = (*path, key)
            if key in out:
                where = key_node.start_mark.line + 1
                self.problems.append(Problem(self.file, where, dotted(child), "duplicate key"))
            self.lines[child] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, child)
        return out


def parse_document(text: str, file: str) -> Document:
    """Parse one YAML document; raise `InvalidFileError` for syntax errors and duplicate keys."""
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.YAMLError as err:
        raise syntax_error(err, file) from None
    if node is None:
        return Document(file, None)
    builder = _Builder(file)
    data = builder.build(node, ())
    if builder.problems:
        raise InvalidFileError(builder.problems)
    return Document(file, data, builder.lines, builder.raw)

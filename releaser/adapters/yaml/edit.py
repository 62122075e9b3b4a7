"""The one byte-minimal YAML editor: everything but the edited scalar stays byte-identical.

Round-tripping a file through a YAML library (ruamel.yaml included) reflows it: quotes,
indentation, comments in odd places, anchors. Instead we find the exact character span of
the scalar token in the safely composed nodes (see `compose`) and splice new text in, keeping
the original quote style, then re-parse and check that nothing but that one value changed.
`bump`, `plan --apply`, `cut` and `rollout` share this.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from releaser.adapters.output_file import write_atomically
from releaser.adapters.yaml.compose import PARSER, compose_all, refuse
from releaser.adapters.yaml.load import check_documents
from releaser.domain.document import KeyPath, dotted
from releaser.domain.errors import InvalidFileError
from releaser.domain.splice import Span, splice

_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class ScalarSpan:
    """Where a scalar sits in the text: `text[start:end]` is the token, quotes included."""

    start: int
    end: int
    line: int  # 1-based
    style: str | None  # None (plain), "'" or '"'
    value: str


def _problem(file: str, line: int | None, path: KeyPath, message: str) -> InvalidFileError:
    return refuse(file, line or 1, message, dotted(path))


def _compose(text: str, file: str, document: int) -> tuple[list[yaml.Node], yaml.Node]:
    """Every document of `text` and the `document`-th one, as written (merges not applied)."""
    nodes = compose_all(text, file)
    if document >= len(nodes):
        raise _problem(file, None, (), f"no YAML document #{document} in the file")
    return nodes, nodes[document]


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        return node.value[key] if 0 <= key < len(node.value) else None
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)]
    return found[0] if len(found) == 1 else None


def _has_merge(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode) and any(k.tag == _MERGE_TAG for k, _ in node.value)


def _walk(root: yaml.Node, path: KeyPath, file: str) -> yaml.ScalarNode:
    node = root
    for depth, key in enumerate(path):
        child = _child(node, key)
        if child is None:
            reason = "not found"
            if _has_merge(node):
                reason = "not set directly (it comes from a YAML merge key '<<'); edit it by hand"
            raise _problem(file, node.start_mark.line + 1, path[: depth + 1], reason)
        node = child
    if not isinstance(node, yaml.ScalarNode):
        raise _problem(file, node.start_mark.line + 1, path, "expected a scalar value")
    return node


def _references(root: yaml.Node, target: yaml.Node) -> int:
    """How often `target` is reached in the node graph (more than once: shared by an alias)."""
    count, seen, stack = 0, set(), [root]
    while stack:
        node = stack.pop()
        if node is target:
            count += 1
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return count


def _token_span(text: str, node: yaml.ScalarNode, file: str, path: KeyPath) -> ScalarSpan:
    """The scalar token itself: the node's span would include an anchor or tag before it."""
    for token in yaml.scan(text, Loader=PARSER):
        if isinstance(token, yaml.ScalarToken) and token.end_mark.index == node.end_mark.index:
            start, end = token.start_mark.index, token.end_mark.index
            line = token.start_mark.line + 1
            style = token.style or None  # libyaml says "" for plain
            if style not in (None, "'", '"') or "\n" in text[start:end]:
                raise _problem(file, line, path, "multi-line scalar; edit it by hand")
            return ScalarSpan(start, end, line, style, str(node.value))
    raise _problem(file, node.start_mark.line + 1, path, "scalar token not found")  # unreachable


def find_scalar(text: str, path: KeyPath, *, file: str = "<text>", document: int = 0) -> ScalarSpan:
    """The span of the scalar at `path` in the `document`-th YAML document of `text`.

    Raises `InvalidFileError` (exit 3) when the text is not safe YAML, the path is missing,
    not a scalar, or the value is shared with other keys through an anchor/alias (editing it
    would change them too).
    """
    check_documents(text, file)  # the loader's refusals (tags, values, duplicates) first
    _, root = _compose(text, file, document)
    node = _walk(root, path, file)
    if _references(root, node) > 1:
        message = "the value is shared through a YAML anchor/alias; edit it by hand"
        raise _problem(file, node.start_mark.line + 1, path, message)
    return _token_span(text, node, file, path)


def _shape(node: yaml.Node, skip: tuple[int, int], seen: set[int]) -> object:
    """A comparable summary of a node tree; the scalar spanning `skip` (old or new) is left out."""
    if id(node) in seen:
        return "<alias>"
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        if (node.start_mark.index, node.end_mark.index) == skip:
            return "<edited>"
        return (node.tag, node.value)
    if isinstance(node, yaml.SequenceNode):
        return [_shape(n, skip, seen) for n in node.value]
    return [(_shape(k, skip, seen), _shape(v, skip, seen)) for k, v in node.value]


def _splice(text: str, span: ScalarSpan, new_value: str, style: str | None) -> str:
    return splice(text, [(Span(span.start, span.end, style), new_value)])


def _shapes(text: str, file: str, path: KeyPath, document: int) -> tuple[yaml.Node, object]:
    """The edited node of `text` and the shape of all its documents without it."""
    nodes, root = _compose(text, file, document)
    node = _walk(root, path, file)
    skip = (node.start_mark.index, node.end_mark.index)
    return node, [_shape(n, skip, set()) for n in nodes]


def _check(old: str, new: str, path: KeyPath, value: str, *, file: str, document: int) -> bool:
    """True when `new` differs from `old` only in the value at `path`, now the string `value`."""
    try:
        node, new_shape = _shapes(new, file, path, document)
    except InvalidFileError:
        return False
    if node.value != value or node.tag != _STR_TAG:
        return False
    return _shapes(old, file, path, document)[1] == new_shape


def set_scalar(
    text: str, path: KeyPath, new_value: str, *, file: str = "<text>", document: int = 0
) -> str:
    """`text` with the scalar at `path` replaced by the string `new_value`, nothing else touched.

    The original quoting is kept; a plain scalar that would not read back as the same string
    (`1.10` is fine, `a: b` is not) is double-quoted instead. Raises `InvalidFileError` when
    the value cannot be edited safely.
    """
    span = find_scalar(text, path, file=file, document=document)
    if span.value == new_value:
        return text
    styles = [span.style, '"'] if span.style is None else [span.style]
    for style in styles:
        candidate = _splice(text, span, new_value, style)
        if _check(text, candidate, path, new_value, file=file, document=document):
            return candidate
    raise _problem(file, span.line, path, f"cannot write {new_value!r} here without side effects")


class ExactTextFiles:
    """Reads and writes files byte for byte (no newline translation, so CRLF files stay CRLF)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read_text(self, path: str) -> str | None:
        """The text; bytes that are not UTF-8 stay (as surrogates) for the loader to refuse."""
        file = self.root / path
        return file.read_bytes().decode("utf-8", "surrogateescape") if file.is_file() else None

    def write_text(self, path: str, text: str) -> None:
        """Atomic replace, keeping the file's permissions: a crash never leaves half a file."""
        write_atomically(self.root / path, text)

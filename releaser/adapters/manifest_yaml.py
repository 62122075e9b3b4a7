"""Parse customer manifests (multi-document YAML) keeping the exact span of every scalar.

The span (`start_mark.index` .. `end_mark.index` of the composed node) is what lets a rollout
rewrite a `targetRevision` value and leave every other character of the file alone. Both
PyYAML's pure loader and libyaml count marks in characters of the decoded text, which is what
we splice (tests/test_customer.py checks it on non-ASCII text); libyaml is ~10x faster, which
`rollout --status` over hundreds of customers needs.
"""

from __future__ import annotations

from typing import Any

import yaml

from releaser.adapters.yaml_doc import Loader, syntax_error
from releaser.domain.customer import ManifestDoc, Span
from releaser.domain.document import KeyPath

_STYLES = {None: None, "": None, "'": "'", '"': '"'}  # libyaml says '' for plain


class _Walker:
    def __init__(self, file: str, index: int) -> None:
        self.file, self.index = file, index
        self.lines: dict[KeyPath, int] = {}
        self.spans: dict[KeyPath, Span] = {}
        self._ctor = yaml.SafeLoader("")

    def walk(self, node: yaml.Node, path: KeyPath) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            self._ctor.flatten_mapping(node)
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key = self._ctor.construct_object(key_node)
                key = key if isinstance(key, str) else str(key)
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.walk(value_node, (*path, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        raw_style = getattr(node, "style", None)
        style = _STYLES.get(raw_style, "block")
        self.spans[path] = Span(node.start_mark.index, node.end_mark.index, style)
        return self._ctor.construct_object(node, deep=True)

    def doc(self, node: yaml.Node) -> ManifestDoc:
        data = self.walk(node, ())
        return ManifestDoc(self.file, self.index, data, self.lines, self.spans)


def parse_manifests(text: str, file: str) -> list[ManifestDoc]:
    """Every document of `text`; raises `InvalidFileError` (exit 3) on a syntax error."""
    try:
        nodes = list(yaml.compose_all(text, Loader=Loader))
    except yaml.YAMLError as err:
        raise syntax_error(err, file) from None
    return [_Walker(file, i).doc(node) for i, node in enumerate(nodes) if node is not None]


def load_values(text: str, file: str) -> Any:
    """A Helm values document (inline `helm.values` or a value file) as plain data."""
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError as err:
        raise syntax_error(err, file) from None

"""An upstream chart's default values compared between two versions, and which keys a chart
accepts.

Pure. `diff_chart_values` lists leaf keys added, removed, renamed and changed. A rename is a
heuristic, since charts do not declare them: a removed leaf and an added leaf with the same
value whose paths look alike (difflib's ratio over the lower-cased paths with separators
dropped, at least `RENAME_SIMILARITY`; a stricter `RENAME_SIMILARITY_BLANK` when the value
is blank, such as "", 0, false, null or an empty list, since many keys share those). Pairs
are taken best score first, each key once. Victoria-metrics' `server.httpListenAddr: ":8428"`
becoming `server.http.listenAddr: ":8428"` is found; two unrelated keys that both default to
`false` are not.

`ChartKeys` answers whether a chart still takes a key: its values.yaml has it (or a parent
is an empty map, a free-form one such as `podAnnotations: {}`), or its values.schema.json
declares it (`properties`, `patternProperties`, or an `additionalProperties` schema).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from releaser.domain.diff import flatten

RENAME_SIMILARITY = 0.6
RENAME_SIMILARITY_BLANK = 0.8
_MISSING = object()
_SEPARATORS = re.compile(r"[._\-\[\]]")


@dataclass(frozen=True)
class KeyRename:
    old: str
    new: str
    value: Any
    similarity: float

    def as_dict(self) -> dict[str, Any]:
        return {"from": self.old, "to": self.new, "value": self.value,
                "similarity": round(self.similarity, 2)}  # fmt: skip


@dataclass(frozen=True)
class ChartValuesDiff:
    """One component's chart defaults between two of its versions."""

    component: str
    chart: str
    from_version: str
    to_version: str
    added: tuple[tuple[str, Any], ...] = ()
    removed: tuple[tuple[str, Any], ...] = ()
    renamed: tuple[KeyRename, ...] = ()
    changed: tuple[tuple[str, Any, Any], ...] = ()
    error: str | None = None  # a version's values.yaml could not be read

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.renamed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.component, "chart": self.chart,
            "from": self.from_version, "to": self.to_version,
            "added": [{"path": p, "value": v} for p, v in self.added],
            "removed": [{"path": p, "value": v} for p, v in self.removed],
            "renamed": [r.as_dict() for r in self.renamed],
            "changed": [{"path": p, "from": a, "to": b} for p, a, b in self.changed],
            "error": self.error,
        }  # fmt: skip


def diff_chart_values(
    component: str, chart: str, versions: tuple[str, str],
    old: Mapping[str, Any], new: Mapping[str, Any],
) -> ChartValuesDiff:  # fmt: skip
    before, after = dict(flatten(old)), dict(flatten(new))
    gone = {p: v for p, v in before.items() if p not in after}
    came = {p: v for p, v in after.items() if p not in before}
    renamed = find_renames(gone, came)
    paired = {r.old for r in renamed} | {r.new for r in renamed}
    changed = tuple(
        (p, before[p], after[p]) for p in sorted(before.keys() & after.keys())
        if before[p] != after[p]
    )  # fmt: skip
    return ChartValuesDiff(
        component, chart, *versions,
        added=tuple((p, v) for p, v in sorted(came.items()) if p not in paired),
        removed=tuple((p, v) for p, v in sorted(gone.items()) if p not in paired),
        renamed=renamed, changed=changed,
    )  # fmt: skip


def find_renames(gone: Mapping[str, Any], came: Mapping[str, Any]) -> tuple[KeyRename, ...]:
    """Likely renames among removed and added leaves (see the module's description)."""
    candidates = []
    for old, value in gone.items():
        for new, other in came.items():
            if type(value) is not type(other) or value != other:
                continue
            score = similarity(old, new)
            if score >= (RENAME_SIMILARITY_BLANK if _blank(value) else RENAME_SIMILARITY):
                candidates.append(KeyRename(old, new, value, score))
    taken: set[str] = set()
    found = []
    for rename in sorted(candidates, key=lambda r: (-r.similarity, r.old, r.new)):
        if rename.old not in taken and rename.new not in taken:
            taken |= {rename.old, rename.new}
            found.append(rename)
    return tuple(sorted(found, key=lambda r: r.old))


def similarity(a: str, b: str) -> float:
    def squash(path: str) -> str:
        return _SEPARATORS.sub("", path.lower())

    return difflib.SequenceMatcher(None, squash(a), squash(b)).ratio()


def _blank(value: Any) -> bool:
    return value is None or value in ("", 0, False) or value == [] or value == {}


# --------------------------------------------------------------------------- accepted keys


@dataclass(frozen=True)
class ChartKeys:
    """What one chart version takes as values: its defaults and its JSON schema (if any)."""

    chart: str
    version: str
    defaults: Mapping[str, Any] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None

    def accepts(self, path: Sequence[str]) -> bool:
        return in_defaults(self.defaults, path) or (
            self.schema is not None and in_schema(self.schema, path)
        )


def in_defaults(defaults: Mapping[str, Any], path: Sequence[str]) -> bool:
    """The path exists in the defaults, or runs through an empty (free-form) map."""
    node: Any = defaults
    for part in path:
        if isinstance(node, Mapping) and not node:
            return True
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def in_schema(schema: Mapping[str, Any], path: Sequence[str]) -> bool:
    """The schema declares every step of the path (a permissive default does not count)."""
    node: Any = schema
    for part in path:
        node = _child_schema(node, part)
        if node is None:
            return False
    return True


def _child_schema(schema: Any, key: str) -> Any:
    if not isinstance(schema, Mapping):
        return None
    properties = schema.get("properties")
    if isinstance(properties, Mapping) and key in properties:
        return properties[key] or {}
    patterns = schema.get("patternProperties")
    for pattern, sub in (patterns.items() if isinstance(patterns, Mapping) else ()):
        try:
            if re.search(str(pattern), key):
                return sub or {}
        except re.error:
            continue
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        return extra
    for combinator in ("allOf", "anyOf", "oneOf"):
        for sub in schema.get(combinator) or ():
            found = _child_schema(sub, key)
            if found is not None:
                return found
    return None

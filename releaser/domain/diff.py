"""What changed between two kit snapshots. `diff`, the changelog and the report share it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from releaser.domain.kit import Component, Kit, KubernetesRange
from releaser.domain.versions import ChartVersion, change_kind

_MISSING = object()


@dataclass(frozen=True)
class ComponentRef:
    name: str
    section: str
    version: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "section": self.section, "version": self.version}


@dataclass(frozen=True)
class VersionChange:
    name: str
    section: str
    from_version: str
    to_version: str
    change: str  # patch | minor | major | other

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "section": self.section,
            "from": self.from_version,
            "to": self.to_version,
            "change": self.change,
        }


@dataclass(frozen=True)
class ValueChange:
    """A default value added, removed or changed; `None` on one side means absent there."""

    name: str  # component name, or `<section>.global` for section-wide values
    path: str
    from_value: Any
    to_value: Any

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "from": self.from_value, "to": self.to_value}


@dataclass(frozen=True)
class FieldChange:
    """repoURL, chart, namespace or section of a component changed."""

    name: str
    field: str
    from_value: str
    to_value: str

    def as_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "field": self.field,
            "from": self.from_value,
            "to": self.to_value,
        }


@dataclass(frozen=True)
class KitDiff:
    from_ref: str
    to_ref: str
    added: tuple[ComponentRef, ...]
    removed: tuple[ComponentRef, ...]
    changed: tuple[VersionChange, ...]
    defaults: tuple[ValueChange, ...]
    fields: tuple[FieldChange, ...]
    kubernetes_from: KubernetesRange
    kubernetes_to: KubernetesRange

    @property
    def is_empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.changed
            or self.defaults
            or self.fields
            or self.kubernetes_from != self.kubernetes_to
        )

    @property
    def majors(self) -> tuple[VersionChange, ...]:
        return tuple(c for c in self.changed if c.change == "major")

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_ref,
            "to": self.to_ref,
            "added": [a.as_dict() for a in self.added],
            "removed": [r.as_dict() for r in self.removed],
            "changed": [c.as_dict() for c in self.changed],
            "defaults": [d.as_dict() for d in self.defaults],
            "fields": [f.as_dict() for f in self.fields],
            "kubernetes": {
                "from": self.kubernetes_from.as_dict(),
                "to": self.kubernetes_to.as_dict(),
            },
        }


def flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaf paths of a values tree; lists are leaves (Helm replaces lists, never merges them)."""
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            yield from flatten(value, path)
        else:
            yield path, value


def value_changes(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ValueChange]:
    before, after = dict(flatten(old)), dict(flatten(new))
    changes = []
    for path in sorted(before.keys() | after.keys()):
        a, b = before.get(path, _MISSING), after.get(path, _MISSING)
        if a != b:
            changes.append(
                ValueChange(name, path, None if a is _MISSING else a, None if b is _MISSING else b)
            )
    return changes


def _field_changes(old: Component, new: Component) -> list[FieldChange]:
    pairs = (
        ("repoURL", old.repo_url, new.repo_url),
        ("chart", old.chart, new.chart),
        ("namespace", old.namespace, new.namespace),
        ("section", old.section, new.section),
    )
    return [FieldChange(old.name, f, a, b) for f, a, b in pairs if a != b]


def _version_change(old: Component, new: Component) -> VersionChange | None:
    if old.version == new.version:
        return None
    kind = change_kind(ChartVersion.parse(old.version), ChartVersion.parse(new.version))
    return VersionChange(new.name, new.section, old.version, new.version, kind)


def diff_kits(old: Kit, new: Kit, from_ref: str = "", to_ref: str = "") -> KitDiff:
    """The changes from `old` to `new`, components in kit order."""
    before = {c.name: c for c in old}
    after = {c.name: c for c in new}
    changed, defaults, fields = [], [], []
    for name, component in after.items():
        if name in before:
            version = _version_change(before[name], component)
            changed += [version] if version else []
            fields += _field_changes(before[name], component)
            defaults += value_changes(name, before[name].values, component.values)
    for section in new.sections:
        old_section = old.section(section.name)
        old_globals = old_section.global_values if old_section else {}
        defaults += value_changes(f"{section.name}.global", old_globals, section.global_values)
    return KitDiff(
        from_ref=from_ref or old.ref or "working tree",
        to_ref=to_ref or new.ref or "working tree",
        added=tuple(
            ComponentRef(c.name, c.section, c.version) for n, c in after.items() if n not in before
        ),
        removed=tuple(
            ComponentRef(c.name, c.section, c.version) for n, c in before.items() if n not in after
        ),
        changed=tuple(changed),
        defaults=tuple(defaults),
        fields=tuple(fields),
        kubernetes_from=old.kubernetes,
        kubernetes_to=new.kubernetes,
    )

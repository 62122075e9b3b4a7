"""The changelog tree of one kit version, built from the same `KitDiff` as `releaser diff`.

Pure: the caller passes the date, the upstream changes per component and the compatibility
warnings; a template only formats the tree (see `releaser/templates/changelog.md.j2`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from releaser.domain.charts import ChartChange
from releaser.domain.diff import ComponentRef, FieldChange, KitDiff, ValueChange, VersionChange
from releaser.domain.kit import SECTION_ORDER, Kit, KubernetesRange
from releaser.domain.versions import ChartVersion, minor_key


@dataclass(frozen=True)
class Upgrade:
    """A component whose chart version moved; `direction` is down only for downgrades."""

    name: str
    from_version: str
    to_version: str
    change: str  # patch | minor | major | other
    direction: str  # up | down | unknown
    changes: tuple[ChartChange, ...] = ()


@dataclass(frozen=True)
class DefaultChange:
    name: str  # component, or `<section>.global`
    path: str
    from_text: str
    to_text: str


@dataclass(frozen=True)
class SectionEntry:
    name: str
    added: tuple[ComponentRef, ...] = ()
    removed: tuple[ComponentRef, ...] = ()
    upgraded: tuple[Upgrade, ...] = ()
    defaults: tuple[DefaultChange, ...] = ()
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class ChangelogEntry:
    """One `## VERSION — DATE` section of CHANGELOG.md."""

    version: str
    date: str  # ISO date
    kind: str  # release | hotfix
    previous: str | None  # the version compared against; None for the first release
    kubernetes: KubernetesRange
    kubernetes_was: KubernetesRange | None  # set only when the range changed
    attention: tuple[str, ...]
    sections: tuple[SectionEntry, ...]
    notes: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()  # components cut with --allow-unverified, and why

    @property
    def is_hotfix(self) -> bool:
        return self.kind == "hotfix"

    @property
    def has_changes(self) -> bool:
        return bool(self.sections or self.kubernetes_was)


@dataclass(frozen=True)
class EntryInput:
    """Everything the entry is built from besides the diff itself."""

    version: str
    date: date
    kind: str = "release"
    previous: str | None = None
    changes: Mapping[str, Sequence[ChartChange]] | None = None
    warnings: Sequence[str] = ()
    incompatible: Sequence[str] = ()  # compat failures accepted with --allow-incompatible
    notes: Sequence[str] = ()
    unverified: Sequence[str] = ()  # `loki (URL: reason)`: cut with --allow-unverified


def show_value(value: Any) -> str:
    """A default value as one short line: JSON, `(absent)` for a missing key."""
    if value is None:
        return "(absent)"
    text = json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= 80 else text[:77] + "..."


def direction(change: VersionChange) -> str:
    old, new = ChartVersion.parse(change.from_version), ChartVersion.parse(change.to_version)
    if not (old.is_semver and new.is_semver):
        return "unknown"
    return "down" if new < old else "up"


def _upgrade(change: VersionChange, changes: Mapping[str, Sequence[ChartChange]]) -> Upgrade:
    return Upgrade(
        change.name,
        change.from_version,
        change.to_version,
        change.change,
        direction(change),
        tuple(changes.get(change.name, ())),
    )


def _default(change: ValueChange) -> DefaultChange:
    return DefaultChange(
        change.name, change.path, show_value(change.from_value), show_value(change.to_value)
    )


def _section_of(name: str, diff: KitDiff, new: Kit) -> str:
    """Where a default change belongs: its component's section, or `<section>` of globals."""
    component = new.component(name)
    if component is not None:
        return component.section
    removed = next((r.section for r in diff.removed if r.name == name), None)
    return removed or name.split(".", 1)[0]


def _section_order(diff: KitDiff, new: Kit) -> list[str]:
    names = list(new.section_names)
    extra = [r.section for r in diff.removed if r.section not in names]
    known = [s for s in SECTION_ORDER if s in names or s in extra]
    return known + [s for s in dict.fromkeys(names + extra) if s not in known]


def build_sections(
    diff: KitDiff, new: Kit, changes: Mapping[str, Sequence[ChartChange]]
) -> tuple[SectionEntry, ...]:
    """The diff grouped by section, in kit order; empty sections left out."""
    sections = []
    for name in _section_order(diff, new):
        entry = SectionEntry(
            name=name,
            added=tuple(a for a in diff.added if a.section == name),
            removed=tuple(r for r in diff.removed if r.section == name),
            upgraded=tuple(_upgrade(c, changes) for c in diff.changed if c.section == name),
            defaults=tuple(
                _default(d) for d in diff.defaults if _section_of(d.name, diff, new) == name
            ),
            fields=tuple(f for f in diff.fields if _section_of(f.name, diff, new) == name),
        )
        if entry.added or entry.removed or entry.upgraded or entry.defaults or entry.fields:
            sections.append(entry)
    return tuple(sections)


def _kubernetes_attention(diff: KitDiff) -> list[str]:
    old, new = diff.kubernetes_from, diff.kubernetes_to
    if minor_key(new.min) <= minor_key(old.min):
        return []
    return [
        f"Kubernetes {old.min} is no longer supported (range {old} → {new}): "
        f"upgrade clusters to {new.min} or later before rolling out"
    ]


def attention(diff: KitDiff, data: EntryInput) -> tuple[str, ...]:
    """What a reviewer must look at before rolling this version out, most severe first."""
    items = [f"released with --allow-incompatible despite: {m}" for m in data.incompatible]
    items += _kubernetes_attention(diff)
    items += [
        f"{c.name} {c.from_version} → {c.to_version} is a major upgrade: "
        "read the upstream notes before rolling out"
        for c in diff.majors
    ]
    items += [
        f"{c.name} {c.from_version} → {c.to_version} goes down a version"
        for c in diff.changed
        if direction(c) == "down"
    ]
    items += [f"{r.name} {r.version} is removed from the kit" for r in diff.removed]
    items += [
        f"{f.name}: {f.field} changed from {f.from_value} to {f.to_value}" for f in diff.fields
    ]
    items += _defaults_attention(diff)
    items += list(data.warnings)
    return tuple(items)


def _defaults_attention(diff: KitDiff) -> list[str]:
    """One line per component whose defaults changed: customers overriding them must check."""
    by_name: dict[str, list[str]] = {}
    for change in diff.defaults:
        by_name.setdefault(change.name, []).append(change.path)
    return [
        f"default values of {name} changed ({', '.join(paths)}): check customers that override them"
        for name, paths in by_name.items()
    ]


def build_entry(diff: KitDiff, new: Kit, data: EntryInput) -> ChangelogEntry:
    """The changelog entry for `data.version`, from the diff of the previous version to it."""
    range_changed = diff.kubernetes_from != diff.kubernetes_to and data.previous is not None
    return ChangelogEntry(
        version=data.version,
        date=data.date.isoformat(),
        kind=data.kind,
        previous=data.previous,
        kubernetes=diff.kubernetes_to,
        kubernetes_was=diff.kubernetes_from if range_changed else None,
        attention=attention(diff, data),
        sections=build_sections(diff, new, data.changes or {}),
        notes=tuple(data.notes),
        unverified=tuple(data.unverified),
    )

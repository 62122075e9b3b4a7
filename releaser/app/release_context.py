"""What cut and hotfix share: their ports, reading kits at commits, the changelog entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from releaser.app.kit import KIT_FILE, check_kit, load_kit
from releaser.app.ports import YamlParser
from releaser.app.ports_git import (
    ChangelogRenderer,
    ChangesLookup,
    Clock,
    CompatGate,
    ReleaseRepo,
)
from releaser.domain.changelog import EntryInput, build_entry
from releaser.domain.charts import ChartChange
from releaser.domain.diff import KitDiff
from releaser.domain.errors import InvalidFileError, ReleaserError
from releaser.domain.kit import Kit, Section
from releaser.domain.release_files import insert_entry, set_kit_version
from releaser.domain.versions import KitVersion

CHANGELOG = "CHANGELOG.md"
CHANGELOG_HEADER = "# Changelog\n"


@dataclass(frozen=True)
class ReleaseDeps:
    repo: ReleaseRepo
    parse: YamlParser
    render: ChangelogRenderer
    clock: Clock
    compat: CompatGate
    changes: ChangesLookup


def kit_at(deps: ReleaseDeps, commit: str, label: str) -> Kit:
    """The kit at `commit`; every problem reported as for `releaser validate`."""
    kit, problems = check_kit(deps.repo.files(commit), deps.parse)
    if kit is None:
        raise InvalidFileError(
            problems, hint=f"fix the kit on {label}, then check it with `releaser validate`"
        )
    return kit


def quick_kit(deps: ReleaseDeps, commit: str) -> Kit:
    return load_kit(deps.repo.files(commit), deps.parse)


def empty_like(kit: Kit) -> Kit:
    """The kit before its first release: same sections and globals, no components."""
    sections = tuple(Section(s.name, (), s.global_values) for s in kit.sections)
    return Kit(kit.name, None, kit.kubernetes, kit.providers, sections)


def upstream_changes(
    deps: ReleaseDeps, diff: KitDiff, new: Kit, warnings: list[str]
) -> dict[str, Sequence[ChartChange]]:
    """Release notes per upgraded component; a failing lookup costs the notes, not the cut."""
    found: dict[str, Sequence[ChartChange]] = {}
    for change in diff.changed:
        component = new.component(change.name)
        if component is None:
            continue
        try:
            found[change.name] = deps.changes.changes(
                component, change.from_version, change.to_version
            )
        except ReleaserError as err:
            warnings.append(f"upstream notes of {change.name} unavailable: {err.message}")
    return found


def render_entry(deps: ReleaseDeps, diff: KitDiff, new: Kit, data: EntryInput) -> str:
    return deps.render.render(build_entry(diff, new, data))


def read_text(deps: ReleaseDeps, commit: str, path: str) -> str | None:
    return deps.repo.files(commit).read_text(path)


def with_entry(deps: ReleaseDeps, commit: str, entry: str, version: KitVersion) -> str:
    """CHANGELOG.md at `commit` with `entry` inserted in version order."""
    text = read_text(deps, commit, CHANGELOG) or CHANGELOG_HEADER
    return insert_entry(text, entry, version)


def kit_yaml_with_version(deps: ReleaseDeps, commit: str, version: KitVersion) -> str:
    text = read_text(deps, commit, KIT_FILE) or ""
    return set_kit_version(text, deps.parse(text, KIT_FILE), str(version))

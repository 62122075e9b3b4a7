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
from releaser.app.release_commits import (
    BranchUpdate,
    WritePlan,
    WriteResult,
    apply_plan,
    catch_up_worktree,
)
from releaser.domain.changelog import EntryInput, build_entry
from releaser.domain.charts import ChartChange
from releaser.domain.diff import KitDiff
from releaser.domain.errors import GitError, InvalidFileError, ReleaserError
from releaser.domain.kit import Kit, Section
from releaser.domain.release_files import has_entry, insert_entry, set_kit_version
from releaser.domain.release_rules import CHANGELOG_TRAILER, with_trailers
from releaser.domain.versions import KitVersion

CHANGELOG = "CHANGELOG.md"
CHANGELOG_HEADER = "# Changelog\n"


@dataclass(frozen=True)
class ReleaseDeps:
    """The ports of cut and hotfix, and what both do with them."""

    repo: ReleaseRepo
    parse: YamlParser
    render: ChangelogRenderer
    clock: Clock
    compat: CompatGate
    changes: ChangesLookup

    def kit_at(self, commit: str, label: str) -> Kit:
        """The kit at `commit`; every problem reported as for `releaser validate`."""
        kit, problems = check_kit(self.repo.files(commit), self.parse)
        if kit is None:
            raise InvalidFileError(
                problems, hint=f"fix the kit on {label}, then check it with `releaser validate`"
            )
        return kit

    def quick_kit(self, commit: str) -> Kit:
        return load_kit(self.repo.files(commit), self.parse)

    def upstream_changes(
        self, diff: KitDiff, new: Kit, warnings: list[str]
    ) -> dict[str, Sequence[ChartChange]]:
        """Release notes per upgraded component; a failing lookup costs the notes, not the cut."""
        found: dict[str, Sequence[ChartChange]] = {}
        for change in diff.changed:
            component = new.component(change.name)
            if component is None:
                continue
            try:
                found[change.name] = self.changes.changes(
                    component, change.from_version, change.to_version
                )
            except ReleaserError as err:
                warnings.append(f"upstream notes of {change.name} unavailable: {err.message}")
        return found

    def render_entry(self, diff: KitDiff, new: Kit, data: EntryInput) -> str:
        return self.render.render(build_entry(diff, new, data))

    def read_text(self, commit: str, path: str) -> str | None:
        return self.repo.files(commit).read_text(path)

    def with_entry(self, commit: str, entry: str, version: KitVersion) -> str:
        """CHANGELOG.md at `commit` with `entry` inserted in version order."""
        text = self.read_text(commit, CHANGELOG) or CHANGELOG_HEADER
        return insert_entry(text, entry, version)

    def kit_yaml_with_version(self, commit: str, version: KitVersion) -> str:
        text = self.read_text(commit, KIT_FILE) or ""
        return set_kit_version(text, self.parse(text, KIT_FILE), str(version))

    def changelog_update(
        self, branch: str, version: KitVersion, entry: str, what: str
    ) -> BranchUpdate | None:
        """`entry` recorded on `branch` too (its changelog stays the full history), unless
        the branch is absent here or already has it."""
        tip = self.repo.local_branch(branch)
        if tip is None or has_entry(self.read_text(tip, CHANGELOG) or "", str(version)):
            return None
        message = with_trailers(
            f"Changelog of {version}",
            f"{what}, so {branch}'s changelog stays the full history.",
            {CHANGELOG_TRAILER: str(version)},
        )
        files = {CHANGELOG: self.with_entry(tip, entry, version)}
        before = {CHANGELOG: self.read_text(tip, CHANGELOG)}
        return BranchUpdate(branch, tip, tip, files, before, message)

    def check_clean(self) -> None:
        """Releases are made from committed files only."""
        dirty = self.repo.dirty_paths()
        if dirty:
            shown = ", ".join(dirty[:5]) + (" …" if len(dirty) > 5 else "")
            raise GitError(
                f"the working tree has uncommitted changes: {shown}",
                hint="commit or stash them; a release is made from committed files only",
            )

    def apply(self, plan: WritePlan) -> WriteResult:
        return apply_plan(self.repo, plan)

    def catch_up(self, branch: str, tip: str, parent: str) -> bool:
        return catch_up_worktree(self.repo, branch, tip, parent)


def empty_like(kit: Kit) -> Kit:
    """The kit before its first release: same sections and globals, no components."""
    sections = tuple(Section(s.name, (), s.global_values) for s in kit.sections)
    return Kit(kit.name, None, kit.kubernetes, kit.providers, sections)

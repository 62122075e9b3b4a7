"""`releaser hotfix VERSION --set COMPONENT=VERSION…`: a patch commit on release/VERSION
(kit version YYYY.N.P, the new chart versions, a changelog entry), the same entry on main,
optionally pushed; plus the customers who receive it through their branch reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from releaser.app.kit import KIT_FILE, values_file
from releaser.app.ports_git import CustomerVersions
from releaser.app.release_commits import BranchUpdate, WritePlan, WriteResult
from releaser.app.release_context import CHANGELOG, ReleaseDeps
from releaser.domain.changelog import EntryInput
from releaser.domain.diff import diff_kits
from releaser.domain.errors import GitError, ProblemsFound, ReleaserError, UsageError
from releaser.domain.kit import Kit
from releaser.domain.release_files import entry_text, set_component_version
from releaser.domain.release_rules import (
    CHANGELOG_TRAILER,
    HOTFIX_TRAILER,
    Fix,
    on_branch,
    plan_fixes,
    trailer,
    upgrade_path,
    with_trailers,
    with_versions,
)
from releaser.domain.versions import KitVersion

MAIN = "main"


@dataclass(frozen=True)
class HotfixRequest:
    version: str  # the release, YYYY.N
    sets: tuple[str, ...]
    note: str | None = None
    push: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class HotfixResult:
    version: str  # YYYY.N.P
    branch: str
    entry: str
    plan: WritePlan
    written: WriteResult | None = None
    customers: tuple[str, ...] | None = None  # None without a fleet
    warnings: tuple[str, ...] = field(default=())
    resumed: bool = False


def hotfix(
    request: HotfixRequest, deps: ReleaseDeps, customers: CustomerVersions | None = None
) -> HotfixResult:
    release = _release(request.version)
    base, local = _branch_tip(deps, release)
    result = _resume(request, deps, release, base) or _fresh(request, deps, release, base, local)
    if customers is not None:
        result = replace(result, customers=tuple(on_branch(customers.versions(), release.branch)))
    if request.dry_run:
        return result
    return replace(result, written=deps.apply(result.plan))


def _release(text: str) -> KitVersion:
    version = KitVersion.parse(text)
    if version.is_patch:
        raise UsageError(
            f"hotfix takes the release it fixes (YYYY.N), not {version}",
            hint=f"run `releaser hotfix {version.release} --set …`; the patch number is computed",
        )
    return version


def _branch_tip(deps: ReleaseDeps, release: KitVersion) -> tuple[str, str | None]:
    """(commit to build on, local branch commit or None when only the remote has it)."""
    local = deps.repo.local_branch(release.branch)
    if local is not None:
        return local, local
    ref = next((b for b in deps.repo.release_branches() if b.name == release.branch), None)
    if ref is None or not ref.tip:
        raise UsageError(
            f"there is no release {release} ({release.branch} not found locally or remotely)",
            hint="list the releases with `releaser releases`; `git fetch` if it is new",
        )
    return ref.tip, None


def _requested(sets: Sequence[str]) -> dict[str, str]:
    return {n.strip(): v.strip() for n, _, v in (s.partition("=") for s in sets)}


def _resume(
    request: HotfixRequest, deps: ReleaseDeps, release: KitVersion, tip: str
) -> HotfixResult | None:
    """The branch tip is this very hotfix from an earlier run: finish main and the push."""
    patch = trailer(deps.repo.commit_info(tip).message, HOTFIX_TRAILER)
    if patch is None:
        return None
    kit = deps.quick_kit(tip)
    wanted = _requested(request.sets)
    if not wanted or any(
        (c := kit.component(n)) is None or c.version != v for n, v in wanted.items()
    ):
        return None
    entry = entry_text(deps.read_text(tip, CHANGELOG) or "", patch) or ""
    if not request.dry_run:
        _catch_up_main(deps, patch)
    main = _main_update(deps, KitVersion.parse(patch), entry)
    if main is not None and deps.repo.head_branch() == MAIN:
        deps.check_clean()
    plan = WritePlan((main,) if main else (), (release.branch, MAIN) if request.push else ())
    note = f"hotfix {patch} is already on {release.branch} ({tip[:12]}); finishing it"
    return HotfixResult(patch, release.branch, entry, plan, warnings=(note,), resumed=True)


def _catch_up_main(deps: ReleaseDeps, patch: str) -> None:
    """The run stopped after moving main but before updating its checkout: finish that."""
    tip = deps.repo.local_branch(MAIN)
    if tip is None:
        return
    info = deps.repo.commit_info(tip)
    if trailer(info.message, CHANGELOG_TRAILER) == patch and info.parents:
        deps.catch_up(MAIN, tip, info.parents[0])


def _fresh(
    request: HotfixRequest, deps: ReleaseDeps, release: KitVersion, base: str, local: str | None
) -> HotfixResult:
    deps.check_clean()
    if request.push and not deps.repo.has_remote():
        raise GitError(f"cannot push: no remote '{deps.repo.remote}'", hint="run without --push")
    kit = deps.kit_at(base, release.branch)
    current = KitVersion.parse(kit.version) if kit.version else release
    if current.release != release:
        raise UsageError(f"{release.branch} carries kit version {current}, not {release}.x")
    patch = current.next_patch()
    fixes = plan_fixes(kit, request.sets)
    warnings = _check_upgrade_path(deps, release, fixes)
    new_kit = with_versions(kit, {f.name: f.to_version for f in fixes}, str(patch))
    diff = diff_kits(kit, new_kit, str(current), str(patch))
    data = EntryInput(
        version=str(patch),
        date=deps.clock.today(),
        kind="hotfix",
        previous=str(current),
        changes=deps.upstream_changes(diff, new_kit, warnings),
        notes=(request.note,) if request.note else (),
    )
    entry = deps.render_entry(diff, new_kit, data)
    update = _branch_update(deps, release, base, local, patch, fixes, entry)
    main = _main_update(deps, patch, entry)
    updates = (update, main) if main else (update,)
    if main is None:
        warnings.append(f"no local {MAIN}: record the entry of {patch} there by hand")
    plan = WritePlan(updates, (release.branch, MAIN) if request.push and main else ())
    return HotfixResult(str(patch), release.branch, entry, plan, warnings=tuple(warnings))


def _later_kits(deps: ReleaseDeps, release: KitVersion) -> list[tuple[str, Kit]]:
    later = []
    for ref in deps.repo.release_branches():
        version = KitVersion.from_branch(ref.name)
        if version is not None and version > release:
            later.append((ref.name, deps.quick_kit(ref.tip)))
    return later


def _check_upgrade_path(deps: ReleaseDeps, release: KitVersion, fixes: list[Fix]) -> list[str]:
    main_tip = deps.repo.local_branch(MAIN)
    main: Kit | None = None
    warnings: list[str] = []
    if main_tip is not None:
        try:
            main = deps.quick_kit(main_tip)
        except ReleaserError as err:
            warnings.append(f"{MAIN}'s kit does not load, not compared: {err.message}")
    problems, found = upgrade_path(release, fixes, _later_kits(deps, release), main)
    if problems:
        raise ProblemsFound(
            "the fix would break the upgrade path:\n  " + "\n  ".join(problems),
            hint="hotfix the later releases first (or in the same change window)",
        )
    return warnings + found


def _branch_update(
    deps: ReleaseDeps,
    release: KitVersion,
    base: str,
    local: str | None,
    patch: KitVersion,
    fixes: list[Fix],
    entry: str,
) -> BranchUpdate:
    files = {KIT_FILE: deps.kit_yaml_with_version(base, patch)}
    for fix in fixes:
        path = values_file(fix.section)
        text = files.get(path) or deps.read_text(base, path) or ""
        files[path] = set_component_version(text, deps.parse(text, path), fix.name, fix.to_version)
    files[CHANGELOG] = deps.with_entry(base, entry, patch)
    summary = "\n".join(f"{f.name} {f.from_version} -> {f.to_version}" for f in fixes)
    message = with_trailers(f"Hotfix {patch}", summary, {HOTFIX_TRAILER: str(patch)})
    before = {path: deps.read_text(base, path) for path in files}
    return BranchUpdate(release.branch, base, local, files, before, message)


def _main_update(deps: ReleaseDeps, patch: KitVersion, entry: str) -> BranchUpdate | None:
    return deps.changelog_update(MAIN, patch, entry, f"The hotfix entry of {patch.branch}")

"""`releaser hotfix VERSION --set COMPONENT=VERSION…`: a patch commit on release/VERSION
(kit version YYYY.N.P, the new chart versions, a changelog entry), the same entry on main,
optionally pushed; plus the customers who receive it through their branch reference, told
and, with `--wait`, gated (see `hotfix_watch`). `--revert` makes the next patch restore
what the last hotfix changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from releaser.app.kit import KIT_FILE, values_file
from releaser.app.ports_git import CustomerVersions
from releaser.app.release_commits import BranchUpdate, WritePlan, WriteResult
from releaser.app.release_context import CHANGELOG, ReleaseDeps
from releaser.domain.changelog import EntryInput
from releaser.domain.diff import diff_kits
from releaser.domain.errors import GitError, ProblemsFound, ReleaserError, UsageError
from releaser.domain.hotfix_revert import (
    REVERT_TRAILER,
    HistoryCommit,
    hotfix_to_revert,
    revert_fixes,
)
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
from releaser.domain.rollout import Outcome
from releaser.domain.versions import KitVersion

MAIN = "main"
_HISTORY = 1000  # commits walked back on a release branch looking for the hotfix to revert


@dataclass(frozen=True)
class HotfixRequest:
    version: str  # the release, YYYY.N
    sets: tuple[str, ...]
    note: str | None = None
    push: bool = False
    dry_run: bool = False
    revert: bool = False  # instead of `sets`: undo the last hotfix as the next patch


@dataclass(frozen=True)
class CustomerGate:
    """The health gate's outcome on one customer that receives a hotfix; `outcome` None when
    it was not gated (no Argo CD settings)."""

    customer: str
    outcome: Outcome | None
    reasons: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome in (None, Outcome.HEALTHY)

    def as_dict(self) -> dict[str, Any]:
        outcome = self.outcome.value if self.outcome else "not gated"
        return {"customer": self.customer, "outcome": outcome, "reasons": list(self.reasons)}


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
    changes: tuple[str, ...] = ()  # `component from -> to`, one per fix
    gates: tuple[CustomerGate, ...] = ()  # with --wait: each receiving customer's gate
    previous: str = ""  # the kit version the branch carried before this hotfix
    resumed_at: str | None = None  # the hotfix commit an earlier run made, when resumed

    @property
    def commit(self) -> str | None:
        """The hotfix commit on the release branch, once written."""
        written = self.written.commits.get(self.branch) if self.written else None
        return written or self.resumed_at


class PushWatch(Protocol):
    """Eyes on a pushed hotfix: told before anything is written, then after the push."""

    def before_push(self, customers: Sequence[str]) -> None:
        """Raise to stop while nothing is written (a refused Argo CD token)."""
        ...

    def after_push(self, result: HotfixResult) -> tuple[CustomerGate, ...]:
        """Notify, then gate the receiving customers; their outcomes."""
        ...


def hotfix(
    request: HotfixRequest,
    deps: ReleaseDeps,
    customers: CustomerVersions | None = None,
    watch: PushWatch | None = None,
) -> HotfixResult:
    release = _release(request.version)
    if request.revert and request.sets:
        raise UsageError("--revert undoes the last hotfix: it takes no --set")
    base, local = _branch_tip(deps, release)
    result = _resume(request, deps, release, base) or _fresh(request, deps, release, base, local)
    if customers is not None:
        result = replace(result, customers=tuple(on_branch(customers.versions(), release.branch)))
    if request.dry_run:
        return result
    if watch is not None and request.push:
        watch.before_push(result.customers or ())
    result = replace(result, written=deps.apply(result.plan))
    if watch is not None and result.written is not None and result.written.pushed:
        result = replace(result, gates=watch.after_push(result))
    return result


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
    message = deps.repo.commit_info(tip).message
    patch = trailer(message, HOTFIX_TRAILER)
    if patch is None:
        return None
    if request.revert:
        if not _unpublished_revert(deps, release, tip, message):
            return None
    elif not _carries(deps.quick_kit(tip), _requested(request.sets)):
        return None
    changes = tuple(line for line in message.splitlines() if " -> " in line)
    return replace(_finish(request, deps, release, tip, patch), changes=changes)


def _carries(kit: Kit, wanted: dict[str, str]) -> bool:
    return bool(wanted) and all(
        (c := kit.component(n)) is not None and c.version == v for n, v in wanted.items()
    )


def _unpublished_revert(deps: ReleaseDeps, release: KitVersion, tip: str, message: str) -> bool:
    """A revert at the tip not on the remote yet is an earlier run's, to finish; once pushed,
    another `--revert` undoes the hotfix before it."""
    if trailer(message, REVERT_TRAILER) is None:
        return False
    return deps.repo.resolve(f"refs/remotes/{deps.repo.remote}/{release.branch}") != tip


def _finish(
    request: HotfixRequest, deps: ReleaseDeps, release: KitVersion, tip: str, patch: str
) -> HotfixResult:
    entry = entry_text(deps.read_text(tip, CHANGELOG) or "", patch) or ""
    if not request.dry_run:
        _catch_up_main(deps, patch)
    main = _main_update(deps, KitVersion.parse(patch), entry)
    if main is not None and deps.repo.head_branch() == MAIN:
        deps.check_clean()
    plan = WritePlan((main,) if main else (), (release.branch, MAIN) if request.push else ())
    note = f"hotfix {patch} is already on {release.branch} ({tip[:12]}); finishing it"
    previous = str(_before(KitVersion.parse(patch)))
    return HotfixResult(patch, release.branch, entry, plan, warnings=(note,), resumed=True,
                        previous=previous, resumed_at=tip)  # fmt: skip


def _before(patch: KitVersion) -> KitVersion:
    """2024.3.2 -> 2024.3.1, 2024.3.1 -> 2024.3."""
    earlier = (patch.patch or 1) - 1
    return KitVersion(patch.year, patch.n, earlier or None)


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
    reverted, fixes = _revert(deps, release, base, kit) if request.revert else (None, [])
    fixes = fixes or plan_fixes(kit, request.sets)
    warnings = _check_upgrade_path(deps, release, fixes)
    new_kit = with_versions(kit, {f.name: f.to_version for f in fixes}, str(patch))
    diff = diff_kits(kit, new_kit, str(current), str(patch))
    data = EntryInput(
        version=str(patch),
        date=deps.clock.today(),
        kind="hotfix",
        previous=str(current),
        changes=deps.upstream_changes(diff, new_kit, warnings),
        notes=_notes(request, reverted),
    )
    entry = deps.render_entry(diff, new_kit, data)
    update = _branch_update(deps, release, base, local, patch, fixes, entry, reverted)
    main = _main_update(deps, patch, entry)
    updates = (update, main) if main else (update,)
    if main is None:
        warnings.append(f"no local {MAIN}: record the entry of {patch} there by hand")
    plan = WritePlan(updates, (release.branch, MAIN) if request.push and main else ())
    changes = tuple(_change_line(f) for f in fixes)
    return HotfixResult(str(patch), release.branch, entry, plan, warnings=tuple(warnings),
                        changes=changes, previous=str(current))  # fmt: skip


def _change_line(fix: Fix) -> str:
    return f"{fix.name} {fix.from_version} -> {fix.to_version}"


def _notes(request: HotfixRequest, reverted: str | None) -> tuple[str, ...]:
    revert = (f"Reverts hotfix {reverted}",) if reverted else ()
    return revert + ((request.note,) if request.note else ())


def _revert(deps: ReleaseDeps, release: KitVersion, tip: str, now: Kit) -> tuple[str, list[Fix]]:
    """(the patch undone, the fixes restoring the versions it replaced)."""
    found = hotfix_to_revert(_history(deps, tip))
    if found is None:
        raise ProblemsFound(
            f"{release.branch} has no hotfix to revert since its cut",
            hint="roll customers to another release instead",
        )
    commit, patch = found
    parents = deps.repo.commit_info(commit.sha).parents
    if not parents:
        raise ProblemsFound(f"hotfix {patch} ({commit.sha[:12]}) has no parent to go back to")
    before, after = deps.quick_kit(parents[0]), deps.quick_kit(commit.sha)
    return patch, revert_fixes(before, after, now, patch)


def _history(deps: ReleaseDeps, tip: str) -> list[HistoryCommit]:
    """The release branch from its tip, first parents only, newest first (bounded)."""
    found: list[HistoryCommit] = []
    sha: str | None = tip
    while sha is not None and len(found) < _HISTORY:
        info = deps.repo.commit_info(sha)
        found.append(HistoryCommit(sha, info.message))
        sha = info.parents[0] if info.parents else None
    return found


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
    reverted: str | None = None,
) -> BranchUpdate:
    files = {KIT_FILE: deps.kit_yaml_with_version(base, patch)}
    for fix in fixes:
        path = values_file(fix.section)
        text = files.get(path) or deps.read_text(base, path) or ""
        files[path] = set_component_version(text, deps.parse(text, path), fix.name, fix.to_version)
    files[CHANGELOG] = deps.with_entry(base, entry, patch)
    summary = "\n".join(_change_line(f) for f in fixes)
    trailers = {HOTFIX_TRAILER: str(patch), **({REVERT_TRAILER: reverted} if reverted else {})}
    subject = f"Hotfix {patch}" + (f": revert of {reverted}" if reverted else "")
    message = with_trailers(subject, summary, trailers)
    before = {path: deps.read_text(base, path) for path in files}
    return BranchUpdate(release.branch, base, local, files, before, message)


def _main_update(deps: ReleaseDeps, patch: KitVersion, entry: str) -> BranchUpdate | None:
    return deps.changelog_update(MAIN, patch, entry, f"The hotfix entry of {patch.branch}")

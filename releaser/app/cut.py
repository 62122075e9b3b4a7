"""`releaser cut VERSION`: a release branch with its version and changelog entry, the same
entry recorded on the source branch, optionally pushed — atomically (see release_commits)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from releaser.app.kit import KIT_FILE
from releaser.app.release_commits import BranchUpdate, WritePlan, WriteResult
from releaser.app.release_context import CHANGELOG, ReleaseDeps, empty_like
from releaser.domain.changelog import EntryInput
from releaser.domain.diff import diff_kits
from releaser.domain.errors import GitError, ProblemsFound, UpstreamError, UsageError
from releaser.domain.kit import Kit
from releaser.domain.release_files import entry_text
from releaser.domain.release_rules import (
    CHANGELOG_TRAILER,
    CUT_TRAILER,
    check_later_than_all,
    cut_version,
    downgrades,
    previous_release,
    trailer,
    with_trailers,
)
from releaser.domain.unverified import Unverified, judged_names, partial_message
from releaser.domain.versions import KitVersion

MAIN = "main"


@dataclass(frozen=True)
class CutRequest:
    version: str
    from_ref: str = MAIN
    push: bool = False
    dry_run: bool = False
    allow_incompatible: bool = False
    allow_unverified: bool = False


@dataclass(frozen=True)
class CutResult:
    version: str
    branch: str
    source_branch: str
    entry: str  # the changelog entry (Markdown)
    plan: WritePlan
    written: WriteResult | None  # None on --dry-run
    resumed: bool = False
    warnings: tuple[str, ...] = field(default=())
    gate: str = ""  # what the compatibility gate judged, under which profiles ("" on a resume)


def cut(request: CutRequest, deps: ReleaseDeps) -> CutResult:
    version = cut_version(request.version)
    if request.push and not deps.repo.has_remote():
        raise GitError(
            f"cannot push: the kit repository has no remote '{deps.repo.remote}'",
            hint="add the remote, or run without --push",
        )
    tip = deps.repo.local_branch(version.branch)
    if tip is not None and trailer(deps.repo.commit_info(tip).message, CUT_TRAILER) == str(version):
        result = _resume(request, deps, version, tip)
    else:
        result = _fresh(request, deps, version)
    if request.dry_run:
        return result
    written = deps.apply(result.plan)
    return replace(result, written=written)


def source_branch(deps: ReleaseDeps, from_ref: str) -> str:
    """The branch whose changelog records the release: REF when it is a local branch other
    than a release branch (an older release must not carry a newer one's entry), else main."""
    branch = from_ref.removeprefix("refs/heads/")
    if not branch.startswith("release/") and deps.repo.local_branch(branch) is not None:
        return branch
    if deps.repo.local_branch(MAIN) is None:
        raise UsageError(f"'{from_ref}' is not a local branch and there is no local {MAIN}")
    return MAIN


# --------------------------------------------------------------------------- checks


def _existing(deps: ReleaseDeps, version: KitVersion, push: bool, warnings: list[str]) -> set[str]:
    """Release branch names, local and on the remote; refuse when VERSION's exists."""
    branch = version.branch
    if deps.repo.local_branch(branch) is not None:
        raise GitError(
            f"{branch} already exists locally",
            hint=f"pick the next version, or inspect it with `git log {branch}`",
        )
    tracking = {b.name for b in deps.repo.release_branches()}
    try:
        remote = set(deps.repo.remote_branches("release/") or {})
    except GitError as err:
        if push:
            raise
        warnings.append(f"{err.message}; checked the remote-tracking branches instead")
        remote = {b.name for b in deps.repo.release_branches() if b.remote}
    if branch in remote or branch in tracking:
        raise GitError(
            f"{branch} already exists on the remote '{deps.repo.remote}'",
            hint="fetch it (git fetch) and pick the next version",
        )
    return tracking | remote


def _check_compat(deps: ReleaseDeps, kit: Kit, allow: bool, warnings: list[str]) -> list[str]:
    """The gate's failures (one line per fact, and per fleet customer whose cluster a
    component fails on), refused unless `allow`; its summary names the profiles used."""
    failures = deps.compat.failures(kit)
    if failures and not allow:
        raise ProblemsFound(
            f"{len(failures)} compatibility failure(s) in Kubernetes {kit.kubernetes}:\n  "
            + "\n  ".join(failures) + f"\n{deps.compat.summary(kit)}",
            hint="fix them (releaser compat), or cut anyway with --allow-incompatible "
            "(recorded in the changelog)",
        )
    warnings += [f"released despite: {f}" for f in failures]
    return failures


def _check_verified(
    deps: ReleaseDeps, kit: Kit, request: CutRequest, warnings: list[str]
) -> list[Unverified]:
    """Fail closed: a component whose upstream could not be read was never judged by the
    gate, so the cut stops (exit 4, nothing written) unless --allow-unverified."""
    unverified = deps.compat.unverified(kit)
    if unverified and not request.allow_unverified:
        would = "would refuse" if request.dry_run else "refused"
        judged = judged_names((c.name for c in kit), unverified)
        raise UpstreamError(
            f"cut {request.version} {would}: "
            + partial_message(unverified, "the compatibility gate", judged),
            hint="retry when the upstream answers, or cut anyway with --allow-unverified "
            "(recorded in the changelog)",
        )
    warnings += [f"released without verifying: {u}" for u in unverified]
    return unverified


def _previous(deps: ReleaseDeps, version: KitVersion, names: set[str]) -> tuple[str, Kit] | None:
    existing = [v for n in names if (v := KitVersion.from_branch(n)) is not None]
    check_later_than_all(version, existing)
    previous = previous_release(version, existing)
    if previous is None:
        return None
    ref = next((b for b in deps.repo.release_branches() if b.name == previous.branch), None)
    if ref is None:
        raise GitError(
            f"{previous.branch} exists on the remote but not in this clone",
            hint="run `git fetch` so the upgrade path can be checked against it",
        )
    return str(previous), deps.quick_kit(ref.tip)


def _check_upgrade_path(previous: str, diff_changes: list[str]) -> None:
    if diff_changes:
        raise ProblemsFound(
            f"components would go down against {previous}:\n  " + "\n  ".join(diff_changes),
            hint="customers moving up would downgrade them: bump them on the source first",
        )


# --------------------------------------------------------------------------- planning


def _fresh(request: CutRequest, deps: ReleaseDeps, version: KitVersion) -> CutResult:
    warnings: list[str] = []
    names = _existing(deps, version, request.push, warnings)
    deps.check_clean()
    base = deps.repo.resolve(request.from_ref)
    if base is None:
        raise UsageError(f"unknown git ref '{request.from_ref}'", hint="use a branch or commit")
    kit = deps.kit_at(base, request.from_ref)
    unverified = _check_verified(deps, kit, request, warnings)
    failures = _check_compat(deps, kit, request.allow_incompatible, warnings)
    previous = _previous(deps, version, names)
    old_kit = previous[1] if previous else empty_like(kit)
    diff = diff_kits(old_kit, kit, version_label(previous), request.from_ref)
    if previous:
        _check_upgrade_path(
            previous[0], [f"{c.name} {c.from_version} → {c.to_version}" for c in downgrades(diff)]
        )
    changes = deps.upstream_changes(diff, kit, warnings)
    data = EntryInput(
        version=str(version),
        date=deps.clock.today(),
        previous=previous[0] if previous else None,
        changes=changes,
        warnings=deps.compat.warnings(kit),
        incompatible=failures,
        unverified=[str(u) for u in unverified],
    )
    entry = deps.render_entry(diff, kit, data)
    planned = _planned(request, deps, version, base, entry, tuple(warnings))
    return replace(planned, gate=deps.compat.summary(kit))


def version_label(previous: tuple[str, Kit] | None) -> str:
    return f"release/{previous[0]}" if previous else "(nothing)"


def _release_update(
    deps: ReleaseDeps, version: KitVersion, base: str, entry: str, from_ref: str
) -> BranchUpdate:
    files = {
        KIT_FILE: deps.kit_yaml_with_version(base, version),
        CHANGELOG: deps.with_entry(base, entry, version),
    }
    message = with_trailers(
        f"Release {version}",
        f"Cut from {from_ref} ({base[:12]}) by releaser.",
        {CUT_TRAILER: str(version)},
    )
    before = {path: deps.read_text(base, path) for path in files}
    return BranchUpdate(version.branch, base, None, files, before, message)


def _source_update(
    deps: ReleaseDeps, version: KitVersion, branch: str, entry: str
) -> BranchUpdate | None:
    return deps.changelog_update(branch, version, entry, f"The entry of {version.branch}")


def _planned(
    request: CutRequest,
    deps: ReleaseDeps,
    version: KitVersion,
    base: str,
    entry: str,
    warnings: tuple[str, ...],
) -> CutResult:
    branch = source_branch(deps, request.from_ref)
    release = _release_update(deps, version, base, entry, request.from_ref)
    source = _source_update(deps, version, branch, entry)
    updates = (release, source) if source else (release,)
    push = (version.branch, branch) if request.push else ()
    plan = WritePlan(updates, push)
    return CutResult(str(version), version.branch, branch, entry, plan, None, False, warnings)


def _resume(request: CutRequest, deps: ReleaseDeps, version: KitVersion, tip: str) -> CutResult:
    """An earlier run made the release commit: finish the source branch and the push."""
    branch = source_branch(deps, request.from_ref)
    entry = entry_text(deps.read_text(tip, CHANGELOG) or "", str(version)) or ""
    warnings = [f"{version.branch} was already cut ({tip[:12]}); finishing that cut"]
    source_tip = deps.repo.local_branch(branch)
    if source_tip is not None and not request.dry_run:
        info = deps.repo.commit_info(source_tip)
        if trailer(info.message, CHANGELOG_TRAILER) == str(version) and info.parents:
            deps.catch_up(branch, source_tip, info.parents[0])
    source = _source_update(deps, version, branch, entry)
    if source is not None and deps.repo.head_branch() == branch:
        deps.check_clean()
    push = (version.branch, branch) if request.push else ()
    plan = WritePlan((source,) if source else (), push)
    return CutResult(str(version), version.branch, branch, entry, plan, None, True, tuple(warnings))

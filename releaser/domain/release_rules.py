"""Pure checks of `cut` and `hotfix`: version ordering, the upgrade path, hotfix fixes.

Releaser's own commits carry a trailer (`Releaser-Cut: 2024.3`) so an interrupted command
can recognise its work on a re-run and finish it instead of starting over.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from releaser.domain.diff import KitDiff, VersionChange
from releaser.domain.errors import UsageError
from releaser.domain.kit import Kit
from releaser.domain.versions import ChartVersion, KitVersion, next_release

CUT_TRAILER = "Releaser-Cut"
CHANGELOG_TRAILER = "Releaser-Changelog"
HOTFIX_TRAILER = "Releaser-Hotfix"


def trailer(message: str, key: str) -> str | None:
    """The value of `key: value` in the message's last paragraph (git trailer style)."""
    paragraphs = [p for p in message.strip().split("\n\n") if p.strip()]
    if not paragraphs:
        return None
    for line in paragraphs[-1].splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() == key:
            return value.strip()
    return None


def with_trailers(subject: str, body: str, trailers: Mapping[str, str]) -> str:
    lines = "\n".join(f"{k}: {v}" for k, v in trailers.items())
    parts = [subject, body.strip(), lines] if body.strip() else [subject, lines]
    return "\n\n".join(parts) + "\n"


def cut_version(text: str) -> KitVersion:
    """The release to cut: `YYYY.N`, not a hotfix version."""
    version = KitVersion.parse(text)
    if version.is_patch:
        raise UsageError(
            f"{version} is a hotfix version; cut takes a release version YYYY.N",
            hint=f"to fix release {version.release}, run `releaser hotfix {version.release}`",
        )
    return version


def check_later_than_all(version: KitVersion, existing: Iterable[KitVersion]) -> None:
    releases = sorted({v.release for v in existing})
    newer = [v for v in releases if v >= version]
    if newer:
        year = max(version.year, releases[-1].year)
        raise UsageError(
            f"{version} is not later than every existing release: {newer[-1]} exists",
            hint=f"the next release is {next_release(releases, year)}",
        )


def previous_release(version: KitVersion, existing: Iterable[KitVersion]) -> KitVersion | None:
    older = [v.release for v in existing if v.release < version]
    return max(older, default=None)


def downgrades(diff: KitDiff) -> list[VersionChange]:
    """Components whose chart version goes down: customers moving up would downgrade them."""
    found = []
    for change in diff.changed:
        old, new = ChartVersion.parse(change.from_version), ChartVersion.parse(change.to_version)
        if old.is_semver and new.is_semver and new < old:
            found.append(change)
    return found


# --------------------------------------------------------------------------- hotfix


@dataclass(frozen=True)
class Fix:
    name: str
    section: str
    from_version: str
    to_version: str


def _parse_set(text: str) -> tuple[str, str]:
    name, sep, version = text.partition("=")
    if not sep or not name.strip() or not version.strip():
        raise UsageError(f"invalid --set {text!r}: expected COMPONENT=VERSION")
    return name.strip(), version.strip()


def _fix(kit: Kit, name: str, version: str) -> Fix:
    component = kit.component(name)
    if component is None:
        names = [c.name for c in kit]
        close = difflib.get_close_matches(name, names, n=1)
        raise UsageError(
            f"unknown component '{name}' in release {kit.version or kit.ref}",
            hint=f"did you mean '{close[0]}'?" if close else "see `releaser components`",
        )
    new, old = ChartVersion.parse(version), ChartVersion.parse(component.version)
    if not new.is_semver:
        raise UsageError(f"'{version}' is not a SemVer 2 chart version (Helm requires one)")
    if new == old:
        raise UsageError(f"{name} is already at {version} in release {kit.version}")
    if old.is_semver and new < old:
        raise UsageError(
            f"{name} {old} → {new} goes down: a hotfix reaches every customer on the branch "
            "without a rollout, so it only moves components up",
            hint="roll customers back to an earlier release instead",
        )
    return Fix(name, component.section, component.version, version)


def plan_fixes(kit: Kit, sets: Sequence[str]) -> list[Fix]:
    """The fixes `--set COMPONENT=VERSION…` asks for, checked against the release's kit."""
    if not sets:
        raise UsageError("nothing to fix", hint="pass --set COMPONENT=VERSION at least once")
    pairs = [_parse_set(s) for s in sets]
    names = [n for n, _ in pairs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UsageError(f"--set names {', '.join(duplicates)} more than once")
    return [_fix(kit, name, version) for name, version in pairs]


def _below(kit: Kit, fix: Fix) -> str | None:
    """The version `kit` carries when it is below the fix, else None."""
    component = kit.component(fix.name)
    if component is None:
        return None
    have, want = ChartVersion.parse(component.version), ChartVersion.parse(fix.to_version)
    return component.version if have.is_semver and have < want else None


def upgrade_path(
    version: KitVersion, fixes: Sequence[Fix], later: Sequence[tuple[str, Kit]], main: Kit | None
) -> tuple[list[str], list[str]]:
    """(problems, warnings): a later release below a fix breaks the upgrade path (customers
    moving up would lose the fix); main below a fix only means the next cut must carry it."""
    problems, warnings = [], []
    for fix in fixes:
        for label, kit in later:
            have = _below(kit, fix)
            if have is not None:
                problems.append(
                    f"{label} carries {fix.name} {have}, below the fix {fix.to_version}: "
                    f"customers moving from {version} to it would go down"
                )
        have = _below(main, fix) if main is not None else None
        if have is not None:
            warnings.append(
                f"main carries {fix.name} {have}, below the fix {fix.to_version}: "
                "bump it on main too, or the next cut will refuse the downgrade"
            )
    return problems, warnings


def with_versions(kit: Kit, versions: Mapping[str, str], version: str | None) -> Kit:
    """`kit` with these component versions and kit version: the kit a hotfix produces."""
    sections = tuple(
        replace(
            s,
            components=tuple(
                replace(c, version=versions.get(c.name, c.version)) for c in s.components
            ),
        )
        for s in kit.sections
    )
    return replace(kit, sections=sections, version=version)


def on_branch(references: Mapping[str, str], branch: str) -> list[str]:
    """The customers whose kit reference names `branch` (bare or as refs/heads/...)."""
    names = {branch, f"refs/heads/{branch}"}
    return sorted(c for c, ref in references.items() if ref in names)

"""`releaser bump`: set one component's chart version in its section's values.yaml.

Only that scalar changes (comments, quoting and layout stay byte-identical). The target is
given (`--to`, checked against the upstream releases when a chart source is available), the
newest release (`--latest`) or the newest compatible one (`--latest-compatible`). Going down
is never silent.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from releaser.app.kit import load_kit, values_file
from releaser.app.ports import KitFiles, YamlParser
from releaser.app.ports_bump import CompatibleVersionPicker, ScalarEditor, SourceFor, TextFiles
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import InvalidFileError, Problem, UsageError
from releaser.domain.kit import Component, Kit
from releaser.domain.versions import ChartVersion, newest


@dataclass(frozen=True)
class BumpRequest:
    component: str
    to: str | None = None
    latest: bool = False
    latest_compatible: bool = False
    pre: bool = False
    allow_downgrade: bool = False


@dataclass(frozen=True)
class BumpPorts:
    files: KitFiles  # the working tree, to load the kit
    parse: YamlParser
    text: TextFiles  # the same working tree, byte-exact, to edit
    edit: ScalarEditor
    source_for: SourceFor
    picker: CompatibleVersionPicker | None = None


@dataclass(frozen=True)
class BumpResult:
    name: str
    section: str
    from_version: str
    to_version: str
    file: str
    line: int | None
    notes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.from_version != self.to_version

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "section": self.section,
            "from": self.from_version,
            "to": self.to_version,
            "file": self.file,
            "line": self.line,
            "changed": self.changed,
        }


def _mode(request: BumpRequest) -> str:
    modes = [
        m
        for m, on in (
            ("--to", request.to is not None),
            ("--latest", request.latest),
            ("--latest-compatible", request.latest_compatible),
        )
        if on
    ]
    if len(modes) != 1:
        raise UsageError(
            "give exactly one of --to VERSION, --latest or --latest-compatible"
            + (f" (got {', '.join(modes)})" if modes else "")
        )
    if request.pre and modes[0] == "--to":
        raise UsageError("--pre only applies to --latest and --latest-compatible")
    return modes[0]


def find_component(kit: Kit, name: str) -> Component:
    component = kit.component(name)
    if component is not None:
        return component
    names = [c.name for c in kit]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else f"components: {', '.join(names)}"
    raise UsageError(f"unknown component '{name}'", hint=hint)


def nearest_versions(wanted: ChartVersion, available: Sequence[str], count: int = 3) -> list[str]:
    """Published versions closest to `wanted`: the same one spelled otherwise (`v1.2.3` for
    `1.2.3`) first, then the neighbours below and above it."""
    parsed = sorted(ChartVersion.parse(v) for v in available if ChartVersion.parse(v).is_semver)
    same = [v.raw for v in parsed if v.semver == wanted.semver]
    below = [v.raw for v in parsed if v < wanted and v.semver != wanted.semver][-1:]
    above = [v.raw for v in parsed if v > wanted and v.semver != wanted.semver][:1]
    return (same + below + above)[:count]


def _releases(ports: BumpPorts, component: Component, mode: str) -> list[ChartRelease] | None:
    source = ports.source_for(component.repo_url)
    if source is None and mode != "--to":
        raise UsageError(
            f"{mode} cannot look up {component.repo_url}: no chart source for this kind of "
            "repository is available yet",
            hint="pass --to VERSION",
        )
    return None if source is None else source.releases(component.repo_url, component.chart)


def _check_published(component: Component, wanted: str, releases: list[ChartRelease]) -> None:
    published = [r.version for r in releases]
    if wanted in published:
        return
    near = nearest_versions(ChartVersion.parse(wanted), published)
    raise UsageError(
        f"{component.chart} {wanted} is not published at {component.repo_url}",
        hint=f"nearest published: {', '.join(near)}" if near else "no SemVer release found",
    )


def _pick(
    kit: Kit, component: Component, request: BumpRequest, mode: str, ports: BumpPorts
) -> tuple[str, tuple[str, ...]]:
    """The target version and notes about how it was chosen."""
    if mode == "--latest-compatible" and ports.picker is None:
        raise UsageError(
            "--latest-compatible is not available yet: the compatibility engine is not wired in",
            hint="use --latest or --to VERSION",
        )
    wanted = str(request.to)
    if mode == "--to" and not ChartVersion.parse(wanted).is_semver:
        raise UsageError(
            f"invalid chart version {wanted!r}: expected SemVer 2, e.g. 1.2.3 or v1.2.3"
        )
    releases = _releases(ports, component, mode)
    if releases is None:  # only for --to: the version cannot be checked upstream
        return wanted, (f"{wanted} not checked upstream: no chart source for {component.repo_url}",)
    if mode == "--to":
        _check_published(component, wanted, releases)
        return wanted, ()
    if mode == "--latest-compatible":
        return _pick_compatible(kit, component, request, releases, ports)
    return _pick_newest(component, request, releases), ()


def _what(request: BumpRequest) -> str:
    return "pre-release or release" if request.pre else "release"


def _pick_compatible(
    kit: Kit,
    component: Component,
    request: BumpRequest,
    releases: list[ChartRelease],
    ports: BumpPorts,
) -> tuple[str, tuple[str, ...]]:
    """The picker's choice; none newer while the current version is published: it stays
    (what it fails on, its candidates would fail on too, so it is no reason to move)."""
    assert ports.picker is not None
    chosen = ports.picker.newest_compatible(
        kit, component, releases, include_prerelease=request.pre
    )
    if chosen is not None:
        return chosen.version, ()
    if any(r.version == component.version for r in releases):
        return component.version, (
            f"no newer {_what(request)} of {component.chart} is compatible with Kubernetes "
            f"{kit.kubernetes}; {component.version} stays",
        )
    raise UsageError(
        f"no {_what(request)} of {component.chart} at {component.repo_url} is compatible with "
        f"Kubernetes {kit.kubernetes}"
    )


def _pick_newest(component: Component, request: BumpRequest, releases: list[ChartRelease]) -> str:
    best = newest((r.parsed_version for r in releases), include_prerelease=request.pre)
    if best is None:
        raise UsageError(
            f"no SemVer {_what(request)} of {component.chart} at {component.repo_url}"
        )
    return best.raw


def _guard_downgrade(component: Component, target: str, request: BumpRequest) -> None:
    current, wanted = ChartVersion.parse(component.version), ChartVersion.parse(target)
    if request.allow_downgrade or not (current.is_semver and wanted.is_semver):
        return
    if wanted < current and wanted.semver != current.semver:
        raise UsageError(
            f"{component.name}: {target} is older than the current {component.version}",
            hint="pass --allow-downgrade to go down",
        )


def _write(component: Component, target: str, ports: BumpPorts) -> tuple[str, int | None]:
    path = values_file(component.section)
    text = ports.text.read_text(path)
    if text is None:
        raise InvalidFileError([Problem(path, None, "", "file is missing (working tree)")])
    key = ("components", component.name, "version")
    edited = ports.edit(text, key, target, file=path)
    if edited != text:
        ports.text.write_text(path, edited)
    return path, ports.parse(edited, path).line_of(key)


def bump(request: BumpRequest, ports: BumpPorts) -> BumpResult:
    """Choose the target version, refuse silent downgrades, edit the values file."""
    mode = _mode(request)
    kit = load_kit(ports.files, ports.parse)
    component = find_component(kit, request.component)
    target, notes = _pick(kit, component, request, mode, ports)
    _guard_downgrade(component, target, request)
    path, line = _write(component, target, ports)
    return BumpResult(
        component.name, component.section, component.version, target, path, line, notes
    )

"""Rollout rules: the preflight that says exactly why a customer is blocked and the outcomes
written to the rollout log (the health gate's judgement is in `releaser.domain.gate`)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any

from releaser.domain.customer import CustomerState
from releaser.domain.document import KeyPath, dotted
from releaser.domain.errors import UpstreamError
from releaser.domain.fleet import Hold
from releaser.domain.kit import ADDONS, Kit
from releaser.domain.unverified import Unverified
from releaser.domain.values_diff import ChartKeys
from releaser.domain.versions import KitVersion, KubeVersion, parse_minor


class Outcome(StrEnum):
    BLOCKED = "blocked"  # preflight refused; nothing changed
    COMMITTED = "committed"  # committed in the local clone, not pushed
    PUSHED = "pushed"  # pushed, health not confirmed (no --wait)
    HEALTHY = "healthy"  # pushed and every app confirmed healthy on the new revision
    DEGRADED = "degraded"  # an app went Degraded
    FAILED = "failed"  # an Argo CD operation failed or the API refused
    TIMEOUT = "timeout"  # the gate ran out of time
    ERROR = "error"  # git or another failure stopped the rollout
    INTERRUPTED = "interrupted"
    ABANDONED = "abandoned"  # its pull/merge request was closed without merging

    @property
    def confirmed(self) -> bool:
        return self is Outcome.HEALTHY


@dataclass(frozen=True)
class Block:
    """One reason a customer cannot move to the target: a rule name and the exact why."""

    rule: str
    message: str
    waiver: str | None = None  # the option that accepts it
    waived: bool = False  # accepted by that option: reported, not blocking
    subject: str | None = None  # what exactly a waiver accepts (a key path, a hold)

    def __str__(self) -> str:
        if self.waived:
            return f"{self.rule}: {self.message} (accepted by {self.waiver})"
        waiver = f" (pass {self.waiver} to accept)" if self.waiver else ""
        return f"{self.rule}: {self.message}{waiver}"


@dataclass(frozen=True)
class Overrides:
    """Values a customer sets for one kit section, and where they come from."""

    section: str
    origin: str
    values: Mapping[str, Any]


@dataclass(frozen=True)
class PreflightInput:
    state: CustomerState
    cluster: KubeVersion
    target_version: KitVersion
    target: Kit | None
    before: Mapping[KitVersion, Kit] = field(default_factory=dict)
    overrides: Sequence[Overrides] = ()
    verdict_failures: Sequence[str] = ()
    allow_downgrade: bool = False
    accept_dropped_keys: bool = False
    unverified: Sequence[Unverified] = ()  # components no verdict could judge
    revert: bool = False  # back to the version the customer ran before: see `REVERT_WAIVES`
    charts: Mapping[str, ChartKeys] = field(default_factory=dict)  # target's, by component


# A revert goes back to a version the customer ran: moving down is the point, and what the
# compatibility rules say about it is shown as a warning, since it ran there.
REVERT = "--revert"
REVERT_WAIVES = ("downgrade", "kubernetes", "compatibility", "unverified")


def preflight(given: PreflightInput) -> list[Block]:
    """Every reason the customer cannot move to the target (waived ones included, marked)."""
    blocks = _preflight(given)
    if not given.revert:
        return blocks
    return [
        replace(b, waiver=REVERT, waived=True) if b.rule in REVERT_WAIVES else b for b in blocks
    ]


def hold_blocks(hold: Hold | None, target: KitVersion, today: date, forced: bool) -> list[Block]:
    """The fleet's `hold:` as a block; `--force` on one customer accepts it (logged)."""
    if hold is None or not hold.applies(target, today):
        return []
    return [Block("hold", str(hold), "--force", forced, subject=str(hold))]


def _preflight(given: PreflightInput) -> list[Block]:
    if given.target is None:
        missing = f"release/{given.target_version} does not exist on the kit remote"
        return [Block("release", missing)]
    blocks = reference_blocks(given.state)
    blocks += direction_blocks(given.state, given.target_version, given.allow_downgrade)
    blocks += range_blocks(given.target, given.cluster)
    blocks += section_blocks(given.state, given.target)
    blocks += [Block("compatibility", f) for f in given.verdict_failures]
    # Fail closed: a component whose upstream could not be read was never judged.
    blocks += [Block("unverified", f"{u}: compatibility not judged") for u in given.unverified]
    blocks += addon_blocks(enabled_addons(given.overrides), given.target)
    blocks += dropped_key_blocks(given, given.target)
    return blocks


def reference_blocks(state: CustomerState) -> list[Block]:
    if not state.sources:
        return [Block("references", "no Argo CD Application or ApplicationSet references the kit")]
    return [Block("references", p) for p in state.problems]


def direction_blocks(state: CustomerState, target: KitVersion, allowed: bool) -> list[Block]:
    newer = sorted(v for v in state.versions if v.release > target.release)
    if not newer:
        return []
    runs = ", ".join(map(str, newer))
    message = f"runs {runs}, newer than the target {target}"
    return [Block("downgrade", message, "--allow-downgrade", allowed, f"{runs} -> {target}")]


def range_blocks(target: Kit, cluster: KubeVersion) -> list[Block]:
    low, high = parse_minor(target.kubernetes.min), parse_minor(target.kubernetes.max)
    if low <= cluster.minor_tuple <= high:
        return []
    return [
        Block(
            "kubernetes",
            f"cluster runs {cluster} (minor {cluster.minor_str}), outside the target's "
            f"supported range {target.kubernetes}",
        )
    ]


def section_blocks(state: CustomerState, target: Kit) -> list[Block]:
    used = sorted({s.section for s in state.sources if s.section})
    return [
        Block("sections", f"section '{name}' does not exist in the target")
        for name in used
        if target.section(name) is None
    ]


def enabled_addons(overrides: Sequence[Overrides]) -> list[str]:
    names: list[str] = []
    for item in overrides:
        value = item.values.get("appEnabled") if item.section == ADDONS else None
        if isinstance(value, list):
            names += [str(v) for v in value if str(v) not in names]
    return names


def addon_blocks(addons: Sequence[str], target: Kit) -> list[Block]:
    section = target.section(ADDONS)
    known = tuple(c.name for c in section.components) if section else ()
    return [
        Block("add-ons", f"enabled add-on '{name}' is not in the target{_close(name, known)}")
        for name in addons
        if name not in known
    ]


def enabled_components(state: CustomerState, overrides: Sequence[Overrides], kit: Kit) -> list[str]:
    """The target's components this customer runs: its sections, add-ons only when enabled."""
    addons = set(enabled_addons(overrides))
    if (section := kit.section(ADDONS)) is not None:
        addons |= set(section.app_enabled)
    used = {s.section for s in state.sources}
    return [c.name for c in kit if c.section in used and (c.section != ADDONS or c.name in addons)]


def _dropped(given: PreflightInput, target: Kit) -> list[tuple[Overrides, KeyPath, str]]:
    found = []
    for item in given.overrides:
        after = target.section(item.section)
        if after is None:
            continue
        befores = [k.section(item.section) for k in given.before.values()]
        before = [s.values for s in befores if s is not None] or None
        found += [(item, p, hint) for p, hint in dropped_keys(item.values, before, after.values)]
    return found


def _chart_path(path: KeyPath) -> tuple[str, tuple[str, ...]] | None:
    """`components.<name>.values.<rest>` -> (name, rest): a key of that component's chart."""
    if len(path) > 3 and path[0] == "components" and path[2] == "values":
        return str(path[1]), tuple(str(p) for p in path[3:])
    return None


def dropped_charts(given: PreflightInput, target: Kit) -> list[str]:
    """Components whose chart could still take a key the target's kit defaults dropped."""
    names = [c[0] for _, path, _ in _dropped(given, target) if (c := _chart_path(path))]
    return [n for n in dict.fromkeys(names) if target.component(n) is not None]


def _chart_takes(given: PreflightInput, path: KeyPath) -> ChartKeys | None:
    split = _chart_path(path)
    keys = given.charts.get(split[0]) if split else None
    return keys if keys is not None and split and keys.accepts(split[1]) else None


def chart_kept_notes(given: PreflightInput, target: Kit) -> list[str]:
    """A dropped key the component's chart still takes is not blocked: it is said here."""
    notes = []
    for item, path, _ in _dropped(given, target):
        if (keys := _chart_takes(given, path)) is not None:
            notes.append(
                f"{item.section}: {dotted(path)} (set in {item.origin}): the kit no longer "
                f"sets it, but {keys.chart} {keys.version} still takes it; kept"
            )
    return notes


def dropped_key_blocks(given: PreflightInput, target: Kit) -> list[Block]:
    blocks: list[Block] = []
    for item, path, hint in _dropped(given, target):
        if _chart_takes(given, path) is None:
            blocks.append(
                Block(
                    "dropped-key",
                    f"{item.section}: {dotted(path)} (set in {item.origin}) is not in the "
                    f"target's defaults{hint}",
                    "--accept-dropped-keys",
                    given.accept_dropped_keys,
                    f"{item.section}: {dotted(path)}",
                )
            )
    return blocks


def dropped_keys(
    overrides: Mapping[str, Any],
    before: Sequence[Mapping[str, Any]] | None,
    after: Mapping[str, Any],
) -> list[tuple[KeyPath, str]]:
    """Override paths that the current release's defaults had and the target's lack.

    Without `before` (the current release cannot be read) every path missing from the
    target counts. The hint names a close sibling key in the target (a likely rename)."""
    found: list[tuple[KeyPath, str]] = []
    for path in leaf_paths(overrides):
        if _has(after, path):
            continue
        if before is not None and not any(_has(b, path) for b in before):
            continue
        found.append((path, _rename_hint(after, path)))
    return found


def leaf_paths(values: Mapping[str, Any], at: KeyPath = ()) -> list[KeyPath]:
    out: list[KeyPath] = []
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out += leaf_paths(value, (*at, str(key)))
        else:
            out.append((*at, str(key)))
    return out


def _has(data: Any, path: KeyPath) -> bool:
    for part in path:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _rename_hint(after: Mapping[str, Any], path: KeyPath) -> str:
    node: Any = after
    for depth, part in enumerate(path):
        if not isinstance(node, dict) or part not in node:
            if not isinstance(node, dict):
                return ""
            hint = _close(str(part), tuple(str(k) for k in node))
            if depth == len(path) - 1:
                return hint
            return f" ({dotted(path[: depth + 1])} is gone{hint})"
        node = node[part]
    return ""


def _close(name: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; renamed to '{close[0]}'?" if close else ""


def blocking(blocks: Sequence[Block]) -> list[Block]:
    return [b for b in blocks if not b.waived]


class GateUnreachable(UpstreamError):
    """Argo CD did not answer usefully; `permanent` when retrying cannot help (401, 404)."""

    def __init__(self, message: str, *, permanent: bool, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.permanent = permanent

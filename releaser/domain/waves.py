"""Campaign waves (fleet `waves:`) and the customer labels they select by.

    waves:
      - {name: canary, select: {names: [kuvaq]}, maxParallel: 1, maxFailures: 0, soak: 30m}
      - {name: gold, select: {labels: {tier: gold}}, maxParallel: 5, maxFailures: 1, approval: true}
      - {name: rest, select: {all: true}, maxParallel: 10, maxFailures: 2}

Waves run in the order written. A customer belongs to the first wave that selects it, and
every customer must belong to one: a fleet whose waves leave a customer out is invalid (exit
3), so a new customer is never rolled by a rule nobody wrote; end the list with `select:
{all: true}` to catch the rest. A fleet without `waves:` is one wave of every customer, one at
a time, stopping at the first failure (what `rollout --next` does).
"""

from __future__ import annotations

import heapq
import re
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from releaser.domain.document import KeyPath
from releaser.domain.durations import parse_duration
from releaser.domain.errors import UsageError
from releaser.domain.kit_schema import (
    NAME_RE,
    Problems,
    as_mapping,
    check_keys,
    did_you_mean,
    text_at,
)
from releaser.domain.windows import Window

WAVE_KEYS = ("name", "select", "maxParallel", "maxFailures", "soak", "approval")
SELECT_KEYS = ("names", "labels", "all")
# A Kubernetes-style label key (optional DNS prefix) and a value of the same characters.
_LABEL_KEY = re.compile(
    r"^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
_LABEL_VALUE = re.compile(r"^(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Selector:
    """Which customers a wave takes: named ones, those with every given label, or all."""

    names: tuple[str, ...] = ()
    labels: Labels = ()
    everyone: bool = False

    def selects(self, name: str, labels: Labels) -> bool:
        if self.everyone:
            return True
        if self.names:
            return name in self.names
        own = dict(labels)
        return all(own.get(key) == value for key, value in self.labels)

    def describe(self) -> str:
        if self.everyone:
            return "all"
        if self.names:
            return "names " + ", ".join(self.names)
        return "labels " + ", ".join(f"{k}={v}" for k, v in self.labels)


@dataclass(frozen=True)
class Wave:
    name: str
    select: Selector
    max_parallel: int = 1  # customers rolled at once
    max_failures: int = 0  # failed customers the wave tolerates before the campaign stops
    soak: float = 0.0  # seconds to wait after the wave before the next one starts
    approval: bool = False  # the wave starts only once approved


# A fleet without `waves:`: every customer, in fleet order, one at a time.
DEFAULT_WAVE = Wave("all", Selector(everyone=True))


@dataclass(frozen=True)
class WaveMembers:
    """A wave and the names of its customers, in fleet order."""

    wave: Wave
    customers: tuple[str, ...]


def assign(waves: Sequence[Wave], customers: Sequence[tuple[str, Labels]]) -> list[WaveMembers]:
    """Each customer in the first wave that selects it; waves in order, customers in fleet
    order. A customer no wave selects is left out (`read_waves` refuses such a fleet)."""
    chosen: dict[str, list[str]] = {wave.name: [] for wave in waves}
    for name, labels in customers:
        wave = next((w for w in waves if w.select.selects(name, labels)), None)
        if wave is not None:
            chosen[wave.name].append(name)
    return [WaveMembers(wave, tuple(chosen[wave.name])) for wave in waves]


# --------------------------------------------------------------------------- reading


def read_labels(problems: Problems, value: Any, path: KeyPath) -> Labels:
    """`labels: {tier: gold, region: eu}`: string keys and scalar values, kept as written."""
    if value is None:
        return ()
    data = as_mapping(problems, value, path)
    found: list[tuple[str, str]] = []
    for key, raw in data.items():
        text = _label_value(problems, raw, (*path, str(key)))
        if not _LABEL_KEY.match(str(key)) or len(str(key)) > 253:
            problems.add((*path, str(key)), "invalid label key: letters, digits, '-', '_', '.'")
        elif text is not None:
            found.append((str(key), text))
    return tuple(found)


def _label_value(problems: Problems, value: Any, path: KeyPath) -> str | None:
    if isinstance(value, (dict, list)) or value is None:
        problems.add(path, "expected a label value (a string)")
        return None
    text = problems.doc.raw_text(path) or str(value)
    if not _LABEL_VALUE.match(text) or len(text) > 63:
        problems.add(path, f"invalid label value {text!r}: letters, digits, '-', '_', '.'")
        return None
    return text


def read_waves(
    problems: Problems, value: Any, customers: Sequence[tuple[str, Labels]]
) -> tuple[Wave, ...]:
    """The waves of the fleet, checked against its customers; () when there is no `waves:`."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        problems.add(("waves",), "expected a non-empty list of waves")
        return ()
    names = tuple(name for name, _ in customers)
    before = len(problems.found)
    waves: list[Wave] = []
    for index, item in enumerate(value):
        wave = _read_wave(problems, item, ("waves", index), names)
        if wave is None:
            continue
        if any(w.name == wave.name for w in waves):
            problems.add(("waves", index, "name"), f"duplicate wave '{wave.name}'")
        waves.append(wave)
    if len(problems.found) == before:  # a wave in error would only add noise here
        _check_everyone_placed(problems, waves, customers)
    return tuple(waves)


def _check_everyone_placed(
    problems: Problems, waves: Sequence[Wave], customers: Sequence[tuple[str, Labels]]
) -> None:
    placed = {name for members in assign(waves, customers) for name in members.customers}
    left = [name for name, _ in customers if name not in placed]
    if left:
        shown = ", ".join(left[:10]) + (f" and {len(left) - 10} more" if len(left) > 10 else "")
        problems.add(
            ("waves",),
            f"no wave selects {shown}: add them to a wave, or end the waves with "
            "{name: rest, select: {all: true}}",
        )


def _read_wave(
    problems: Problems, value: Any, path: KeyPath, customers: tuple[str, ...]
) -> Wave | None:
    data = as_mapping(problems, value, path)
    if not data:
        problems.add(path, "expected a wave {name, select, maxParallel, maxFailures, soak}")
        return None
    check_keys(problems, data, path, WAVE_KEYS)
    name = text_at(problems, data, (*path, "name"))
    if name is not None and (not NAME_RE.match(name) or len(name) > 40):
        problems.add((*path, "name"), "invalid wave name: lower-case letters, digits and '-'")
        name = None
    select = _read_select(problems, data.get("select"), (*path, "select"), customers)
    max_parallel = _read_count(problems, data, (*path, "maxParallel"), 1, minimum=1)
    max_failures = _read_count(problems, data, (*path, "maxFailures"), 0, minimum=0)
    soak = _read_soak(problems, data, (*path, "soak"))
    approval = _read_flag(problems, data, (*path, "approval"))
    if name is None or select is None:
        return None
    return Wave(name, select, max_parallel, max_failures, soak, approval)


def _read_select(
    problems: Problems, value: Any, path: KeyPath, customers: tuple[str, ...]
) -> Selector | None:
    data = as_mapping(problems, value, path)
    check_keys(problems, data, path, SELECT_KEYS)
    given = [key for key in SELECT_KEYS if key in data]
    if len(given) != 1:
        problems.add(path, "expected exactly one of names: [...], labels: {...} or all: true")
        return None
    if given == ["all"]:
        if data["all"] is not True:
            problems.add((*path, "all"), "expected true")
            return None
        return Selector(everyone=True)
    if given == ["names"]:
        return _read_names(problems, data["names"], (*path, "names"), customers)
    labels = read_labels(problems, data["labels"], (*path, "labels"))
    if not labels:
        problems.add((*path, "labels"), "expected a non-empty mapping of labels")
        return None
    return Selector(labels=labels)


def _read_names(
    problems: Problems, value: Any, path: KeyPath, customers: tuple[str, ...]
) -> Selector | None:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        problems.add(path, "expected a non-empty list of customer names")
        return None
    for index, name in enumerate(value):
        if name not in customers:
            problems.add(
                (*path, index), f"unknown customer '{name}'{did_you_mean(name, customers)}"
            )
    return Selector(names=tuple(value))


def _read_count(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, default: int, minimum: int
) -> int:
    value = data.get(str(path[-1]))
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.add(path, f"expected a whole number, {minimum} or more")
        return default
    return value


def _read_flag(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> bool:
    value = data.get(str(path[-1]), False)
    if not isinstance(value, bool):
        problems.add(path, "expected true or false")
        return False
    return value


def _read_soak(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> float:
    if data.get(str(path[-1])) is None:
        return 0.0
    text = text_at(problems, data, path)
    try:
        return parse_duration(text) if text is not None else 0.0
    except UsageError:
        problems.add(path, f"invalid duration {text!r}: use for example 30m, 90s or 1h")
        return 0.0


# --------------------------------------------------------------------------- estimates

STEP_SECONDS = 60.0  # fetch, preflight, commit and push one customer
SYNC_SECONDS = 180.0  # Argo CD notices a new commit within its default 3-minute git poll


def step_estimate(gated: bool, soak: float) -> float:
    """Seconds one customer's rollout takes: the git work, then (with a health gate) the
    sync and the gate's soak."""
    return STEP_SECONDS + (SYNC_SECONDS + soak if gated else 0.0)


def wave_estimate(steps: Sequence[float], max_parallel: int, soak: float) -> float:
    """Seconds a wave takes: its customers in order, each started as soon as one of
    `max_parallel` slots is free, then the wave's soak. Nothing to do takes no time."""
    if not steps:
        return 0.0
    slots = [0.0] * min(max_parallel, len(steps))
    for step in steps:
        heapq.heappush(slots, heapq.heappop(slots) + step)
    return max(slots) + soak


# --------------------------------------------------------------------------- running


class Windowed(Protocol):
    @property
    def window(self) -> Window | None: ...


W = TypeVar("W", bound=Windowed)


class WindowQueue(Generic[W]):
    """A wave's customers in fleet order for a run; one whose maintenance window is closed
    waits in a heap by the time its window opens, so each is looked at once per opening."""

    def __init__(self, items: Sequence[W]) -> None:
        self.fresh: deque[tuple[int, W]] = deque(enumerate(items))
        self.deferred: list[tuple[datetime, int, W]] = []
        self.never: list[W] = []  # no open window within the horizon

    def __bool__(self) -> bool:
        return bool(self.fresh or self.deferred)

    def next_open(self, now: datetime) -> W | None:
        while self.deferred and self.deferred[0][0] <= now:
            _, index, item = heapq.heappop(self.deferred)
            if self._open_or_defer(index, item, now):
                return item
        while self.fresh:
            index, item = self.fresh.popleft()
            if self._open_or_defer(index, item, now):
                return item
        return None

    def opens(self) -> datetime | None:
        return self.deferred[0][0] if self.deferred else None

    def left(self) -> list[W]:
        """Those not taken yet, in fleet order."""
        waiting = [(i, item) for _, i, item in self.deferred] + list(self.fresh)
        return [item for _, item in sorted(waiting, key=lambda pair: pair[0])]

    def _open_or_defer(self, index: int, item: W, now: datetime) -> bool:
        window = item.window
        if window is None:
            return True
        span = window.next_open(now)
        if span is None:
            self.never.append(item)
            return False
        if span.start <= now:
            return True
        heapq.heappush(self.deferred, (span.start, index, item))
        return False

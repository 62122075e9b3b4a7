"""Maintenance windows: when a customer may be rolled (fleet `customers[].window`).

A window is a set of allowed periods, minus denied periods and freezes, in one IANA time zone:

    window: {rrule: "FREQ=WEEKLY;BYDAY=TU,WE;BYHOUR=9", duration: 4h, tz: Europe/Berlin}

    window:
      tz: Europe/Berlin                 # every entry's zone (default UTC)
      allow:                            # only inside one of these (absent: at any time)
        - {rrule: "FREQ=WEEKLY;BYDAY=TU,WE;BYHOUR=9", duration: 4h}
        - {cron: "0 22 * * 1-4", duration: 2h}
      deny:                             # never inside one of these, even when allowed
        - {cron: "0 0 * * SAT", duration: 48h}
      freezes:                          # whole days in the zone, both ends included
        - {from: 2026-12-20, until: 2027-01-06, reason: year-end freeze}

A period starts at each occurrence of an RFC 5545 RRULE (python-dateutil; FREQ=DAILY or
coarser, counted from Monday 2024-01-01 00:00 in the zone, so `INTERVAL=2` means the same
weeks on every run) or a five-field cron expression (croniter), read as wall-clock time in
the zone, and lasts `duration`. Everything here is computed from a given instant: no clock.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter
from dateutil.rrule import rrulestr

from releaser.domain.document import KeyPath
from releaser.domain.durations import parse_duration
from releaser.domain.errors import UsageError
from releaser.domain.kit_schema import Problems, as_mapping, check_keys, text_at

WINDOW_KEYS = ("tz", "rrule", "cron", "duration", "allow", "deny", "freezes")
PERIOD_KEYS = ("rrule", "cron", "duration")
FREEZE_KEYS = ("from", "until", "reason")
HORIZON = timedelta(days=400)  # how far ahead `next_open` looks before it says "none"
RRULE_ANCHOR = datetime(2024, 1, 1)  # a Monday: the DTSTART of every rule, in its zone
_RRULE_FREQ = re.compile(r"(?:^|;)FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY)(?:;|$)")
_MAX_STEPS = 10_000  # blocked periods skipped in one search, so a search always ends


class Schedule(Protocol):
    """Periods of one length: the latest start at or before an instant, the next after one."""

    @property
    def length(self) -> timedelta: ...

    def last_start(self, at: datetime) -> datetime | None: ...

    def next_start(self, after: datetime) -> datetime | None: ...


def _local(instant: datetime, zone: ZoneInfo) -> datetime:
    """The wall-clock time of `instant` in `zone`, naive (rules count in wall-clock time)."""
    return instant.astimezone(zone).replace(tzinfo=None)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class RRulePeriods:
    """Periods starting at each occurrence of an RRULE."""

    rule: str
    length: timedelta
    zone: ZoneInfo

    def _set(self) -> Any:
        return rrulestr(self.rule, dtstart=RRULE_ANCHOR, forceset=True, cache=True)

    def last_start(self, at: datetime) -> datetime | None:
        found = self._set().before(_local(at, self.zone), inc=True)
        return None if found is None else _instant(found, self.zone)

    def next_start(self, after: datetime) -> datetime | None:
        found = self._set().after(_local(after, self.zone), inc=False)
        return None if found is None else _instant(found, self.zone)

    def describe(self) -> str:
        return f"rrule {self.rule} for {_span(self.length)}"


@dataclass(frozen=True)
class CronPeriods:
    """Periods starting at each time a cron expression fires (minute resolution)."""

    expression: str
    length: timedelta
    zone: ZoneInfo

    def last_start(self, at: datetime) -> datetime | None:
        wall = _local(at, self.zone) + timedelta(seconds=1)  # `at` itself counts
        found = croniter(self.expression, wall).get_prev(datetime)
        return _instant(found, self.zone)

    def next_start(self, after: datetime) -> datetime | None:
        found = croniter(self.expression, _local(after, self.zone)).get_next(datetime)
        return _instant(found, self.zone)

    def describe(self) -> str:
        return f"cron {self.expression} for {_span(self.length)}"


@dataclass(frozen=True)
class Freeze:
    """Whole days, `first` to `last` included, in the window's zone."""

    first: date
    last: date
    reason: str
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        return _instant(datetime.combine(self.first, datetime.min.time()), self.zone)

    @property
    def length(self) -> timedelta:
        end = _instant(datetime.combine(self.last + timedelta(days=1), datetime.min.time()),
                       self.zone)  # fmt: skip
        return end - self.start

    def last_start(self, at: datetime) -> datetime | None:
        return self.start if self.start <= at else None

    def next_start(self, after: datetime) -> datetime | None:
        return self.start if self.start > after else None

    def describe(self) -> str:
        reason = f" ({self.reason})" if self.reason else ""
        return f"freeze {self.first} to {self.last}{reason}"


@dataclass(frozen=True)
class OpenSpan:
    """An open stretch: from `start` until `end` (None: no end in sight)."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class Window:
    zone: ZoneInfo
    allow: tuple[Schedule, ...] = ()
    deny: tuple[Schedule, ...] = ()  # deny periods and freezes

    @property
    def tz(self) -> str:
        return self.zone.key

    def next_open(self, now: datetime, horizon: timedelta = HORIZON) -> OpenSpan | None:
        """The first open stretch that contains `now` or starts after it, within `horizon`."""
        limit = now + horizon
        for start, end in self._allowed(now, limit):
            span = self._first_unblocked(max(start, now), end)
            if span is not None:
                return span if span.start <= limit else None
        return None

    def is_open(self, now: datetime) -> bool:
        span = self.next_open(now)
        return span is not None and span.start <= now

    def _allowed(
        self, now: datetime, limit: datetime
    ) -> Iterator[tuple[datetime, datetime | None]]:
        """Allowed stretches in time order, overlapping periods merged; one endless stretch
        when the window allows any time."""
        if not self.allow:
            yield now, None
            return
        merged: tuple[datetime, datetime] | None = None
        for start, end in heapq.merge(*(_periods(s, now, limit) for s in self.allow)):
            if merged is not None and start <= merged[1]:
                merged = (merged[0], max(merged[1], end))
                continue
            if merged is not None:
                yield merged
            merged = (start, end)
        if merged is not None:
            yield merged

    def _first_unblocked(self, start: datetime, end: datetime | None) -> OpenSpan | None:
        """The first moment of [start, end) outside every deny period, and how long it lasts."""
        moment = start
        for _ in range(_MAX_STEPS):
            if end is not None and moment >= end:
                return None
            blocked_until = self._blocked_until(moment)
            if blocked_until is None:
                closes = [s for b in self.deny if (s := b.next_start(moment)) is not None]
                if end is not None:
                    closes.append(end)
                return OpenSpan(moment, min(closes) if closes else None)
            moment = blocked_until
        return None

    def _blocked_until(self, moment: datetime) -> datetime | None:
        ends = [
            start + blocker.length
            for blocker in self.deny
            if (start := blocker.last_start(moment)) is not None and start + blocker.length > moment
        ]
        return max(ends) if ends else None


def _periods(
    schedule: Schedule, now: datetime, limit: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The schedule's periods that end after `now` and start by `limit`, in order."""
    start = schedule.last_start(now)
    if start is None or start + schedule.length <= now:
        start = schedule.next_start(now)
    while start is not None and start <= limit:
        yield start, start + schedule.length
        start = schedule.next_start(start)


def _span(length: timedelta) -> str:
    minutes = int(length.total_seconds()) // 60
    hours, minutes = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")


# --------------------------------------------------------------------------- reading


def read_window(problems: Problems, value: Any, path: KeyPath) -> Window | None:
    """The window at `path` (a mapping, shorthand or full form), every problem reported."""
    if value is None:
        return None
    data = as_mapping(problems, value, path)
    check_keys(problems, data, path, WINDOW_KEYS)
    zone = _read_zone(problems, data, (*path, "tz"))
    shorthand = any(key in data for key in PERIOD_KEYS)
    if shorthand and "allow" in data:
        problems.add(path, "give the period (rrule or cron, duration) or `allow:`, not both")
    allow = [_read_period(problems, data, path, zone)] if shorthand else []
    allow += _read_list(problems, data, (*path, "allow"), zone)
    deny: list[Schedule | None] = list(_read_list(problems, data, (*path, "deny"), zone))
    deny += _read_freezes(problems, data.get("freezes"), (*path, "freezes"), zone)
    if not data or zone is None or None in allow or None in deny:
        if not data:
            problems.add(path, "expected a period (rrule or cron, duration) or allow/deny/freezes")
        return None
    return Window(zone, tuple(a for a in allow if a), tuple(d for d in deny if d))


def _read_zone(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> ZoneInfo | None:
    if data.get("tz") is None:
        return ZoneInfo("UTC")
    name = text_at(problems, data, path)
    if name is None:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.add(path, f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin")
        return None


def _read_list(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, zone: ZoneInfo | None
) -> list[Schedule | None]:
    value = data.get(str(path[-1]))
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        problems.add(path, "expected a non-empty list of periods ({rrule or cron, duration})")
        return [None]
    found: list[Schedule | None] = []
    for index, item in enumerate(value):
        entry = as_mapping(problems, item, (*path, index))
        check_keys(problems, entry, (*path, index), PERIOD_KEYS)
        found.append(_read_period(problems, entry, (*path, index), zone))
    return found


def _read_period(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, zone: ZoneInfo | None
) -> Schedule | None:
    length = _read_length(problems, data, (*path, "duration"))
    has_rrule, has_cron = data.get("rrule") is not None, data.get("cron") is not None
    if has_rrule == has_cron:
        problems.add(path, "give exactly one of rrule (RFC 5545) or cron (five fields)")
        return None
    key = "rrule" if has_rrule else "cron"
    text = text_at(problems, data, (*path, key))
    problem = None if text is None else (_rrule_problem if has_rrule else _cron_problem)(text)
    if problem:
        problems.add((*path, key), problem)
    if text is None or problem or length is None or zone is None:
        return None
    if has_rrule:
        return RRulePeriods(text.removeprefix("RRULE:"), length, zone)
    return CronPeriods(text, length, zone)


def _read_length(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> timedelta | None:
    text = text_at(problems, data, path)
    if text is None:
        return None
    try:
        seconds = parse_duration(text)
    except UsageError:
        seconds = 0.0
    if seconds <= 0:
        problems.add(path, f"invalid duration {text!r}: use for example 4h, 90m or 1h30m")
        return None
    return timedelta(seconds=seconds)


def _rrule_problem(text: str) -> str | None:
    rule = text.removeprefix("RRULE:")
    if "\n" in rule or "DTSTART" in rule.upper():
        return "one RRULE line only (no DTSTART: the zone comes from tz)"
    if not _RRULE_FREQ.search(rule.upper()):
        return "invalid RRULE: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY is required"
    try:
        rrulestr(rule, dtstart=RRULE_ANCHOR)
    except (ValueError, TypeError) as err:
        return f"invalid RRULE: {err}"
    return None


def _cron_problem(text: str) -> str | None:
    if len(text.split()) != 5 or not croniter.is_valid(text):
        return "invalid cron expression: five fields, minute hour day-of-month month day-of-week"
    return None


def _read_freezes(
    problems: Problems, value: Any, path: KeyPath, zone: ZoneInfo | None
) -> list[Schedule | None]:
    if value is None:
        return []
    if not isinstance(value, list) or not value:
        problems.add(path, "expected a non-empty list of {from, until, reason}")
        return [None]
    return [_read_freeze(problems, item, (*path, i), zone) for i, item in enumerate(value)]


def _read_freeze(
    problems: Problems, value: Any, path: KeyPath, zone: ZoneInfo | None
) -> Freeze | None:
    data = as_mapping(problems, value, path)
    check_keys(problems, data, path, FREEZE_KEYS)
    first, last = (_read_date(problems, data, (*path, key)) for key in ("from", "until"))
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        problems.add((*path, "reason"), "expected a string")
    if first and last and last < first:
        problems.add((*path, "until"), f"{last} is before from: {first}")
        return None
    if first is None or last is None or zone is None:
        return None
    return Freeze(first, last, reason if isinstance(reason, str) else "", zone)


def _read_date(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> date | None:
    text = text_at(problems, data, path)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add(path, f"invalid date {text!r}: use YYYY-MM-DD")
        return None

"""Cached copies standing in for failing upstreams (SPEC §8, RELEASER_STALE_MAX).

When a repository (or its mirror) is down after retries (unreachable, timing out, a broken
answer, 429 or 5xx; never a refusal such as 401, 403 or 404, which someone has to fix), its
source asks `stand_in` whether the cached copy may answer instead. It may while younger than
the limit: the run then
says so once on stderr (`announce`), and use cases ask `used(repo_url)` to mark the
components it answered for `"stale": true`. An older copy, or a limit of zero, fails
closed as before; the refusal is added to the upstream's failure.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from releaser.adapters.mirrors import normalise_url
from releaser.domain.unverified import StaleCopy, may_stand_in, refusal


def _quiet(message: str) -> None:
    return


class StaleStandIns:
    """The run's stale stand-ins, one per upstream repository; thread-safe."""

    def __init__(
        self, limit: timedelta = timedelta(0), announce: Callable[[str], None] = _quiet
    ) -> None:
        self.limit = limit
        self._announce = announce
        self._copies: dict[tuple[str, str], StaleCopy] = {}  # (URL, chart or "")
        self._lock = threading.Lock()

    def stand_in(
        self, repo_url: str, fetched_at: datetime | None, reason: str, chart: str = ""
    ) -> str | None:
        """Let the copy of `repo_url` (of one `chart` of it, for registries that list each
        chart apart) last fetched or confirmed at `fetched_at` answer for the upstream that
        failed with `reason`: None when it does, else why not."""
        if fetched_at is None:
            return "the cached copy has no readable date"
        age = datetime.now(UTC) - fetched_at
        if not may_stand_in(age, self.limit):
            return refusal(age, self.limit)
        copy = StaleCopy.of(repo_url, age, reason)
        with self._lock:
            first = self._copies.setdefault((normalise_url(repo_url), chart), copy) is copy
        if first:
            self._announce(copy.notice())
        return None

    def used(self, repo_url: str, chart: str) -> StaleCopy | None:
        """The copy that stood in for `chart` of `repo_url` this run, if one did."""
        url = normalise_url(repo_url)
        with self._lock:
            return self._copies.get((url, "")) or self._copies.get((url, chart))


def parse_time(text: object) -> datetime | None:
    """A cache entry's `fetchedAt` (ISO 8601 with offset), or None when unreadable."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None

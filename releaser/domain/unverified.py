"""Partial answers: the upstreams a result depended on but could not read (SPEC §8).

Every result that may be partial carries a tuple of `Unverified`; the command prints the
partial data, then fails closed with exit 4 naming each one (`partial_message`).

An upstream that failed while a cached copy younger than RELEASER_STALE_MAX exists does not
make a result partial: the copy stands in (`StaleCopy`, said on stderr when it is used), and
results carry a parallel tuple of `Stale`, one per component answered from such a copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from releaser.domain.redaction import redact, redact_url

T = TypeVar("T")


@dataclass(frozen=True)
class Unverified:
    """One component whose upstream (index, registry) could not be read, and why."""

    component: str
    repo_url: str  # redacted
    reason: str  # redacted

    @classmethod
    def of(cls, component: str, repo_url: str, reason: str) -> Unverified:
        """Build one with the URL and the reason redacted (they may carry credentials); the
        reason loses a leading `repository URL: `, which the URL already says."""
        reason = reason.removeprefix(f"repository {repo_url}: ")
        return cls(component, redact_url(repo_url), redact(reason))

    def __str__(self) -> str:
        return f"{self.component} ({self.repo_url}: {self.reason})"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.component, "repoURL": self.repo_url, "reason": self.reason}


def unique(items: Iterable[T]) -> tuple[T, ...]:
    """Each upstream once, in first-seen order."""
    return tuple(dict.fromkeys(items))


def partial_message(unverified: Sequence[Unverified], what: str, judged: Sequence[str] = ()) -> str:
    """`the plan is partial: 1 upstream could not be read:` then one line per upstream, and
    the components that were judged (the partial result, when nothing else shows it)."""
    count = len(unverified)
    noun = "upstream" if count == 1 else "upstreams"
    lines = [f"{what} is partial: {count} {noun} could not be read:"]
    lines += [f"  {item}" for item in unverified]
    if judged:
        lines.append(f"judged: {', '.join(judged)}")
    return "\n".join(lines)


def judged_names(names: Iterable[str], unverified: Sequence[Unverified]) -> tuple[str, ...]:
    """The components of `names` that some upstream answered for."""
    unread = {item.component for item in unverified}
    return tuple(name for name in names if name not in unread)


@dataclass(frozen=True)
class StaleCopy:
    """A cached copy of one upstream repository that stood in for it this run."""

    repo_url: str  # redacted
    age: timedelta  # since the upstream last served or confirmed the copy
    reason: str  # redacted: why the upstream could not be read

    @classmethod
    def of(cls, repo_url: str, age: timedelta, reason: str) -> StaleCopy:
        reason = reason.removeprefix(f"repository {repo_url}: ")
        return cls(redact_url(repo_url), max(age, timedelta(0)), redact(reason))

    def notice(self) -> str:
        """The stderr line that says the copy is used, how old it is and why."""
        age = age_text(self.age)
        return f"using a cached copy of {self.repo_url} from {age} ago: {self.reason}"


@dataclass(frozen=True)
class Stale:
    """One component answered from a `StaleCopy` of its upstream: the answer stands (no
    exit 4), marked `"stale": true` in JSON."""

    component: str
    copy: StaleCopy

    def __str__(self) -> str:
        age = age_text(self.copy.age)
        return f"{self.component} ({self.copy.repo_url}: cached copy from {age} ago)"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.component,
            "repoURL": self.copy.repo_url,
            "stale": True,
            "ageSeconds": int(self.copy.age.total_seconds()),
            "reason": self.copy.reason,
        }


def stale_of(component: str, copy: StaleCopy | None) -> Stale | None:
    return Stale(component, copy) if copy is not None else None


def may_stand_in(age: timedelta, limit: timedelta) -> bool:
    """A copy stands in for its failing upstream while younger than `limit` (zero: never)."""
    return limit > timedelta(0) and age < limit


def refusal(age: timedelta, limit: timedelta) -> str:
    """Why a cached copy did not stand in, appended to the upstream's failure."""
    if limit <= timedelta(0):
        return f"a cached copy from {age_text(age)} ago is not used (RELEASER_STALE_MAX=0)"
    return (
        f"the cached copy from {age_text(age)} ago is older than "
        f"RELEASER_STALE_MAX ({age_text(limit)})"
    )


def age_text(age: timedelta) -> str:
    """`45 s`, `12 min`, `3 h`, `2 d`: the unit a reader would pick."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"

"""Partial answers: the upstreams a result depended on but could not read (SPEC §8).

Every result that may be partial carries a tuple of `Unverified`; the command prints the
partial data, then fails closed with exit 4 naming each one (`partial_message`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from releaser.domain.redaction import redact, redact_url


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


def unique(items: Iterable[Unverified]) -> tuple[Unverified, ...]:
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

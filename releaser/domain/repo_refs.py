"""Git facts as plain values: what the git adapter returns to the release use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class BranchRef:
    """A release branch as seen locally and in the remote-tracking refs."""

    name: str  # release/2024.3
    local: str | None  # commit of refs/heads/<name>
    remote: str | None  # commit of refs/remotes/<remote>/<name>

    @property
    def tip(self) -> str:
        return self.local or self.remote or ""


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    message: str
    date: date  # committer date

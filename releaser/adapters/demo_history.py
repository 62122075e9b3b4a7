"""The demo's git histories, each written by one `git fast-import`.

A sandbox holds a kit with a release history and three customer repositories; committing
them file by file took dozens of git processes. Here each commit is a whole tree held in
memory, on a branch, at a fixed date, and one fast-import writes a repository's history:
the same commits (and the same hashes) on every run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from releaser.adapters.git import run_git

IDENTITY = "Platform Team <platform@example.com>"


@dataclass(frozen=True)
class Snapshot:
    """One commit: the whole tree (path -> text) on `branch`, dated `day` at 10:00 UTC."""

    branch: str
    message: str
    day: str
    files: Mapping[str, str]


@dataclass
class History:
    """Commits in order; a new branch starts from the tip of the branch named `start`."""

    commits: list[tuple[Snapshot, str | None]] = field(default_factory=list)

    def commit(self, snapshot: Snapshot, start: str | None = None) -> None:
        self.commits.append((snapshot, start))

    def stream(self) -> bytes:
        tips: dict[str, int] = {}
        out: list[bytes] = []
        for mark, (snapshot, start) in enumerate(self.commits, 1):
            parent = tips.get(snapshot.branch) or (tips.get(start) if start else None)
            out.append(_commit(snapshot, mark, parent))
            tips[snapshot.branch] = mark
        return b"".join(out)


def _data(text: str) -> bytes:
    body = text.encode("utf-8")
    return b"data %d\n%s\n" % (len(body), body)


def _commit(snapshot: Snapshot, mark: int, parent: int | None) -> bytes:
    when = int(datetime.fromisoformat(f"{snapshot.day}T10:00:00+00:00").timestamp())
    head = [
        f"commit refs/heads/{snapshot.branch}\n",
        f"mark :{mark}\n",
        f"author {IDENTITY} {when} +0000\n",
        f"committer {IDENTITY} {when} +0000\n",
    ]
    body = [b"".join(line.encode() for line in head), _data(snapshot.message)]
    if parent is not None:
        body.append(b"from :%d\n" % parent)
    body.append(b"deleteall\n")  # each snapshot is the whole tree
    for path, text in sorted(snapshot.files.items()):
        body += [f"M 100644 inline {path}\n".encode(), _data(text)]
    return b"".join(body) + b"\n"


def write_history(repo: Path, history: History, *, bare: bool = False) -> None:
    """A new repository at `repo` holding `history`; a work tree checks out main."""
    repo.mkdir(parents=True)
    run_git(repo, "init", "-q", *(["--bare"] if bare else []), "-b", "main")
    run_git(repo, "fast-import", "--quiet", stdin=history.stream())
    if not bare:
        run_git(repo, "reset", "-q", "--hard")

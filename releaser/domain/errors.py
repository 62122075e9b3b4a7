"""The one exception root. Each expected failure carries its SPEC §8 exit code.

A message says what went wrong, where, and what to do; `cli.main` alone prints it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class ExitCode:
    OK = 0
    PROBLEMS_FOUND = 1
    USAGE = 2
    INVALID_FILE = 3
    UPSTREAM = 4
    GIT = 5
    INTERRUPTED = 130


class ReleaserError(Exception):
    """Root of every expected failure."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ProblemsFound(ReleaserError):
    """The command ran and found what it was asked to look for (exit 1)."""

    exit_code = ExitCode.PROBLEMS_FOUND


class UsageError(ReleaserError):
    """Bad option, unknown component, malformed version (exit 2)."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class Problem:
    """One finding in a kit, fleet or customer file: `file:line: key.path: message`."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class InvalidFileError(ReleaserError):
    """A kit, fleet or customer file is invalid (exit 3); carries every problem found."""

    exit_code = ExitCode.INVALID_FILE

    def __init__(self, problems: Sequence[Problem], *, hint: str | None = None) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems), hint=hint)


class UpstreamError(ReleaserError):
    """An upstream repository or network failed after retries (exit 4)."""

    exit_code = ExitCode.UPSTREAM


class GitError(ReleaserError):
    """Dirty tree, existing branch, rejected push, unreachable remote (exit 5)."""

    exit_code = ExitCode.GIT

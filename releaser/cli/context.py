"""The global options of one invocation (`releaser --kit … --json COMMAND`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GlobalOptions:
    kit: Path | None = None
    fleet: Path | None = None
    mirrors: Path | None = None
    json: bool = False
    verbose: bool = False
    no_color: bool = False

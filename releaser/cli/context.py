"""The global options of one invocation (`releaser --kit … --json COMMAND`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GlobalOptions:
    kit: Path | None = None
    fleet: Path | None = None
    mirrors: Path | None = None
    json: bool = False
    verbose: bool = False
    no_color: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> GlobalOptions:
        """The options among a parsed command line's parameters (named as the fields)."""
        given = {f.name: params[f.name] for f in fields(cls) if params.get(f.name) is not None}
        return cls(**given)

"""Global options, shared by every command through typer's context."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import typer


@dataclass
class Settings:
    kit: Path | None = None
    fleet: Path | None = None
    mirrors: Path | None = None
    json: bool = False
    verbose: bool = False
    no_color: bool = False

    @property
    def fleet_path(self) -> Path | None:
        """--fleet, then RELEASER_FLEET, then ./fleet.yaml when it exists."""
        if self.fleet:
            return self.fleet
        env = os.environ.get("RELEASER_FLEET")
        if env:
            return Path(env)
        default = Path("fleet.yaml")
        return default if default.is_file() else None

    @property
    def mirrors_path(self) -> Path | None:
        if self.mirrors:
            return self.mirrors
        env = os.environ.get("RELEASER_MIRRORS")
        return Path(env) if env else None


def settings(ctx: typer.Context) -> Settings:
    """The global options of this invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj

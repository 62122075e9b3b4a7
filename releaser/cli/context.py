"""Global options, shared by every command through typer's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import typer

from releaser.settings import Settings as EnvSettings


@dataclass
class Settings:
    kit: Path | None = None
    fleet: Path | None = None
    mirrors: Path | None = None
    json: bool = False
    verbose: bool = False
    no_color: bool = False
    _config: EnvSettings | None = field(default=None, repr=False)

    @property
    def config(self) -> EnvSettings:
        """The environment's settings, read once per invocation."""
        if self._config is None:
            self._config = EnvSettings.from_env()
        return self._config

    @property
    def fleet_path(self) -> Path | None:
        """--fleet, then RELEASER_FLEET, then ./fleet.yaml when it exists."""
        if self.fleet:
            return self.fleet
        if self.config.fleet:
            return self.config.fleet
        default = Path("fleet.yaml")
        return default if default.is_file() else None

    @property
    def mirrors_path(self) -> Path | None:
        return self.mirrors or self.config.mirrors


def settings(ctx: typer.Context) -> Settings:
    """The global options of this invocation."""
    root = ctx.find_root()
    if not isinstance(root.obj, Settings):
        root.obj = Settings()
    return root.obj

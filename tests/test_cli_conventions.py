"""Conventions of the CLIs SREs use (helm, kubectl, gh): `-h` everywhere and `--version`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from releaser import __version__
from releaser.cli.main import app


def test_version_prints_the_version_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, f"releaser {__version__}\n")


@pytest.mark.parametrize("command", ["", "check", "rollout", "report", "validate"])
def test_dash_h_is_help_for_the_tool_and_every_command(command: str) -> None:
    args = [command, "-h"] if command else ["-h"]
    result = CliRunner().invoke(app, args, prog_name="releaser")
    assert result.exit_code == 0, result.output
    assert f"Usage: releaser {command}".rstrip() in " ".join(result.output.split())
    long = CliRunner().invoke(app, [*args[:-1], "--help"], prog_name="releaser")
    assert long.output == result.output

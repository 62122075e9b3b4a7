"""Run one demo step as a real process inside the sandbox."""

from __future__ import annotations

import os
import subprocess
import sys

from releaser.domain.demo import DemoStep, Sandbox


def sandbox_env(sandbox: Sandbox) -> dict[str, str]:
    """The sandbox's fleet, mirrors and caches, so the demo never touches the user's."""
    return {
        **os.environ,
        "RELEASER_FLEET": str(sandbox.fleet),
        "RELEASER_MIRRORS": str(sandbox.mirrors),
        "XDG_CACHE_HOME": str(sandbox.root / ".cache"),
        "RELEASER_DATA_DIR": str(sandbox.root / ".data"),
        "GIT_AUTHOR_NAME": "Platform Team",
        "GIT_AUTHOR_EMAIL": "platform@example.com",
        "GIT_COMMITTER_NAME": "Platform Team",
        "GIT_COMMITTER_EMAIL": "platform@example.com",
    }


def run_step(step: DemoStep, sandbox: Sandbox) -> int:
    program = [sys.executable, "-m", "releaser"] if step.program == "releaser" else [step.program]
    sys.stdout.flush()
    done = subprocess.run(
        [*program, *step.args], cwd=sandbox.kit, env=sandbox_env(sandbox), check=False
    )
    return done.returncode

"""Run one demo step as a real process inside the sandbox."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping

from releaser.domain.demo import DemoStep, Sandbox


def sandbox_env(sandbox: Sandbox, base: Mapping[str, str]) -> dict[str, str]:
    """`base` with the sandbox's fleet, mirrors and caches, so the demo never touches the
    user's."""
    return {
        **base,
        "RELEASER_FLEET": str(sandbox.fleet),
        "RELEASER_MIRRORS": str(sandbox.mirrors),
        "XDG_CACHE_HOME": str(sandbox.root / ".cache"),
        "RELEASER_DATA_DIR": str(sandbox.root / ".data"),
        "GIT_AUTHOR_NAME": "Platform Team",
        "GIT_AUTHOR_EMAIL": "platform@example.com",
        "GIT_COMMITTER_NAME": "Platform Team",
        "GIT_COMMITTER_EMAIL": "platform@example.com",
    }


class StepProcesses:
    """Runs each demo step as a process whose environment is `base` plus the sandbox's."""

    def __init__(self, base: Mapping[str, str]) -> None:
        self.base = dict(base)

    def __call__(self, step: DemoStep, sandbox: Sandbox, env: Mapping[str, str]) -> int:
        releaser = [sys.executable, "-m", "releaser"]
        program = releaser if step.program == "releaser" else [step.program]
        sys.stdout.flush()
        env = {**sandbox_env(sandbox, self.base), **env}
        done = subprocess.run([*program, *step.args], cwd=sandbox.kit, env=env, check=False)
        return done.returncode

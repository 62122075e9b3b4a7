"""Test hook: `RELEASER_TEST_KILL_AT=<step>` makes the process SIGKILL itself when a
multi-step write reaches that step boundary (steps: objects, release-ref, source-ref,
worktree, push). Tests use it to prove an interrupted cut or hotfix never leaves a
half-made release. Unset in normal use, where the checkpoint does nothing."""

from __future__ import annotations

import os
import signal

KILL_AT_ENV = "RELEASER_TEST_KILL_AT"


def kill_checkpoint(step: str) -> None:
    if os.environ.get(KILL_AT_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)

"""Who runs releaser, on which host: the audit trail's actor and host."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

from releaser import __version__
from releaser.adapters.git import run_git
from releaser.domain.errors import GitError
from releaser.domain.rollout_history import Operator


def git_email(cwd: Path) -> str | None:
    """`user.email` as git resolves it from `cwd` (repository, global config), or None."""
    try:
        return run_git(cwd, "config", "--get", "user.email").decode().strip() or None
    except GitError:  # unset (git exits 1) or no git at all
        return None


def os_user() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:  # a uid without a passwd entry (some containers)
        return f"uid {os.getuid()}"


def current_operator(cwd: Path) -> Operator:
    actor = git_email(cwd) or os_user()
    return Operator(actor, socket.gethostname(), os.getpid(), __version__)

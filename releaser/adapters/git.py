"""The one place releaser starts git.

Git runs with an argument list (never a shell) and a fixed environment: no prompts, the C
locale, no system config, no inherited `GIT_DIR`-style redirections, and only the file, git,
http(s) and ssh transports (`ext::` and friends can never run a command). A failure becomes
a `GitError` (exit 5) whose message is redacted.

Remote URLs go through `GitRemote`: validated (nothing git could read as an option), and
split so that `https://user:token@host/x.git` reaches git as the clean URL while the
credential travels in the child's environment as an `http.extraHeader`; it is never in argv,
never written into a repository's config and never shown.
"""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from releaser.domain.errors import GitError
from releaser.domain.git_values import branch_problem, url_problem
from releaser.domain.redaction import redact, remember_secret

ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
SAFE_ENV = {
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_ALLOW_PROTOCOL": ALLOWED_PROTOCOLS,
    "GIT_PROTOCOL_FROM_USER": "0",
}
# Inherited GIT_* variables kept: identity, ssh and TLS setup. Every other one (GIT_DIR,
# GIT_INDEX_FILE, GIT_CONFIG_COUNT, …) could point git somewhere else or inject config.
_KEPT_GIT_VARS = ("GIT_AUTHOR_", "GIT_COMMITTER_", "GIT_SSH", "GIT_SSL_", "GIT_PROXY_")
END_OF_OPTIONS = "--end-of-options"
_REASON_LINES = 8  # enough for a rejected push, short enough to read


class GitCommandFailed(GitError):
    """A git command exited non-zero; `reason` is what it said, redacted."""

    def __init__(self, command: str, cwd: Path, reason: str) -> None:
        super().__init__(f"git {command} failed in {cwd}: {reason}")
        self.reason = reason


@dataclass(frozen=True)
class GitRemote:
    """A remote git may be pointed at: `url` is safe to pass, `env` carries its credential."""

    url: str
    shown: str
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def parse(cls, url: str) -> GitRemote:
        problem = url_problem(url)
        if problem:
            raise GitError(f"refusing the git remote {redact(url)}: {problem}")
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or "@" not in parts.netloc:
            return cls(url, redact(url))
        userinfo, _, host = parts.netloc.rpartition("@")
        clean = urlunsplit(parts._replace(netloc=host))
        user, _, password = userinfo.partition(":")
        return cls(clean, redact(url), _auth_env(unquote(user), unquote(password)))


def _auth_env(user: str, password: str) -> dict[str, str]:
    """The credential as an HTTP header set through git's environment-only config."""
    for secret in (password, user if not password else ""):
        remember_secret(secret)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    remember_secret(token)
    return {
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {token}",
    }


def checked_branch(name: str) -> str:
    """`name` when git can only read it as a branch name; else a `GitError`."""
    problem = branch_problem(name)
    if problem:
        raise GitError(problem)
    return name


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every git child: inherited, minus redirections, plus SAFE_ENV."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("GIT_") or key.startswith(_KEPT_GIT_VARS)
    }
    return {**inherited, **SAFE_ENV, **(extra or {})}


def run_git(
    cwd: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    remote: GitRemote | None = None,
) -> bytes:
    """`git ARGS` in `cwd`; its stdout, or a `GitError` with the redacted reason."""
    done = _spawn(cwd, args, stdin, {**(env or {}), **(remote.env if remote else {})})
    if done.returncode != 0:
        raise GitCommandFailed(_command(args), cwd, _reason(done))
    return done.stdout


def git_ok(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> bool:
    """True when `git ARGS` exits 0 (a question git answers with its exit status)."""
    return _spawn(cwd, args, None, env or {}).returncode == 0


def _spawn(
    cwd: Path, args: tuple[str, ...], stdin: bytes | None, env: Mapping[str, str]
) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=child_env(env),
            check=False,
        )
    except OSError as err:
        raise GitError(
            f"cannot run git in {cwd}: {redact(str(err))}", hint="install git and put it on PATH"
        ) from None


def _command(args: tuple[str, ...]) -> str:
    return next((a for a in args if not a.startswith("-")), "")


def _reason(done: subprocess.CompletedProcess[bytes]) -> str:
    """What git printed (its last lines), credentials redacted."""
    text = done.stderr.decode(errors="replace") or done.stdout.decode(errors="replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return redact("; ".join(lines[-_REASON_LINES:])) or f"exit status {done.returncode}"

"""`releaser demo`: build a sandbox, then walk through the release process in it.

Each step is a real `releaser` (or `git`) process run in the sandbox, printed before its
output, so what the demo shows is exactly what a user would type. Every step runs on one
date: the demo data's, unless the user set RELEASER_TODAY.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from releaser.domain.demo import DemoStep, Sandbox, dated_env, demo_steps
from releaser.domain.errors import ExitCode, ProblemsFound


@dataclass(frozen=True)
class DemoRequest:
    root: Path
    today: date
    today_is_users: bool  # RELEASER_TODAY was set, rather than the data's date


@dataclass
class DemoResult:
    sandbox: Sandbox
    ran: list[tuple[DemoStep, int]] = field(default_factory=list)


class StepRunner(Protocol):
    def __call__(self, step: DemoStep, sandbox: Sandbox, env: Mapping[str, str]) -> int:
        """Run one step in the sandbox with `env` added, streaming its output; its exit code."""
        ...


SandboxOpener = Callable[[Path, date], AbstractContextManager[Sandbox]]


def run_demo(
    request: DemoRequest,
    open_sandbox: SandboxOpener,
    run_step: StepRunner,
    say: Callable[[str], None],
) -> DemoResult:
    """Build the sandbox and run every step; stop at the first step that fails."""
    with open_sandbox(request.root, request.today) as sandbox:
        say(introduction(request, sandbox))
        env = {**sandbox.env, **dated_env(request.today)}
        result = DemoResult(sandbox)
        for step in demo_steps(sandbox):
            _run(step, sandbox, env, run_step, say, result)
    return result


def introduction(request: DemoRequest, sandbox: Sandbox) -> str:
    why = (
        "RELEASER_TODAY"
        if request.today_is_users
        else "the demo data's date; set RELEASER_TODAY for another"
    )
    return "\n".join(
        (
            f"Sandbox in {sandbox.root}: a kit repository with its release history, a GitOps "
            "repository per customer, fleet and mirrors files.",
            "Helm repositories: served on 127.0.0.1, the kit's charts as their upstream indexes "
            "list them, with stand-in chart archives.",
            f"Argo CD: an EMULATOR of its API on {sandbox.argocd_url} (no real Argo CD runs "
            "here); it syncs each customer's apps to what was pushed, then reports them healthy.",
            f"Today is {request.today} for every step ({why}).",
        )
    )


def _run(
    step: DemoStep,
    sandbox: Sandbox,
    env: Mapping[str, str],
    run_step: StepRunner,
    say: Callable[[str], None],
    result: DemoResult,
) -> None:
    say(f"\n# {step.explain}\n$ {step.shown}")
    code = run_step(step, sandbox, env)
    result.ran.append((step, code))
    if code == ExitCode.PROBLEMS_FOUND and step.fallback is not None:
        _run(step.fallback, sandbox, env, run_step, say, result)
    elif code not in step.ok_codes:
        raise ProblemsFound(
            f"demo step `{step.shown}` exited {code}",
            hint=f"the sandbox stays in {sandbox.root} (its local servers have stopped)",
        )
    elif code != ExitCode.OK:
        say(f"(exit {code}: problems found, which on this date is the answer, not a failure)")

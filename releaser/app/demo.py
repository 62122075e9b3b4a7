"""`releaser demo`: build a sandbox, then walk through check → plan → cut → rollout → report.

Each step is a real `releaser` (or `git`) process run in the sandbox, printed before its
output, so what the demo shows is exactly what a user would type.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from releaser.domain.demo import DemoStep, Sandbox, demo_steps
from releaser.domain.errors import ProblemsFound


@dataclass
class DemoResult:
    sandbox: Sandbox
    ran: list[tuple[DemoStep, int]] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return all(code in step.ok_codes for step, code in self.ran)


class StepRunner(Protocol):
    def __call__(self, step: DemoStep, sandbox: Sandbox) -> int:
        """Run one step in the sandbox, streaming its output; return its exit code."""
        ...


SandboxBuilder = Callable[[Path, dict[str, str]], Sandbox]
IndexServer = Callable[[], AbstractContextManager[dict[str, str]]]


def run_demo(
    root: Path,
    build: SandboxBuilder,
    serve: IndexServer,
    run_step: StepRunner,
    say: Callable[[str], None],
) -> DemoResult:
    """Build the sandbox and run every step; stop at the first step that fails."""
    with serve() as mirrors:
        sandbox = build(root, mirrors)
        say(f"Sandbox in {root}: kit repository, 3 customer repositories, fleet and mirrors files.")
        result = DemoResult(sandbox)
        for step in demo_steps(sandbox):
            say(f"\n# {step.explain}\n$ {step.program} {' '.join(step.args)}")
            code = run_step(step, sandbox)
            result.ran.append((step, code))
            if code not in step.ok_codes:
                raise ProblemsFound(
                    f"demo step `{step.program} {' '.join(step.args)}` exited {code}"
                )
    return result

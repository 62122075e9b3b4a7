"""The demo's sandbox and the steps it walks through (pure data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

NEXT_RELEASE = "2026.4"
FIRST_CUSTOMER = "kuvaq"


@dataclass(frozen=True)
class Sandbox:
    root: Path
    kit: Path
    fleet: Path
    mirrors: Path


@dataclass(frozen=True)
class DemoStep:
    explain: str
    args: tuple[str, ...]
    program: str = "releaser"
    ok_codes: tuple[int, ...] = (0,)


def demo_steps(sandbox: Sandbox) -> Sequence[DemoStep]:
    report = sandbox.root / f"report-{NEXT_RELEASE}.html"
    return (
        DemoStep("What has upstream released since the kit's pins?", ("check",)),
        DemoStep("Which bumps stay compatible with the kit's Kubernetes range?", ("plan",)),
        DemoStep("Apply them, byte-minimal, to core/*/values.yaml.", ("plan", "--apply")),
        DemoStep(
            "Commit the bumps on main.",
            ("commit", "-qam", "Bump components for the next release"),
            "git",
        ),
        DemoStep("What changed since the last release?", ("diff", "release/2026.3", "main")),
        DemoStep(
            f"Cut {NEXT_RELEASE}: branch, version, changelog, push.",
            ("cut", NEXT_RELEASE, "--push"),
        ),
        DemoStep("Where does every customer stand?", ("rollout", "--status")),
        DemoStep(
            f"Move {FIRST_CUSTOMER} to {NEXT_RELEASE} (a branch in its GitOps repository).",
            ("rollout", "--customer", FIRST_CUSTOMER, "--to", NEXT_RELEASE, "--push"),
        ),
        DemoStep(
            "The release review's report, as Markdown for the pull request…",
            ("report", NEXT_RELEASE, "--format", "md"),
        ),
        DemoStep(
            "…and as one self-contained HTML page.",
            ("report", NEXT_RELEASE, "--format", "html", "-o", str(report)),
        ),
    )

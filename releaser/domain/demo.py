"""The demo's sandbox and the steps it walks through (pure data)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from releaser.domain.errors import ExitCode

LAST_RELEASE = "2026.3"  # the newest release in the demo's history
NEXT_RELEASE = "2026.4"  # the release the demo cuts
FIRST_CUSTOMER = "kuvaq"  # rolled out through the health gate
# A customer whose cluster the next release no longer supports stays on an older one: it gets
# a patch there. The version exists upstream, above the release's pin and not above the
# next release's, so the upgrade path holds.
HOTFIX_RELEASE = "2026.2"
HOTFIX_SET = "cert-manager=v1.20.3"
ARGOCD_TOKEN_ENV = "DEMO_ARGOCD_TOKEN"
# Exit codes that are a step's answer, not its failure: 1 is "problems found" (a failing
# verdict, a preflight that blocks), which a later date can legitimately bring.
ANSWERS = (ExitCode.OK, ExitCode.PROBLEMS_FOUND)


def data_date(history: Mapping[str, Any]) -> date:
    """The day the demo's data is as of (its kit on main): the demo's today unless the user
    sets RELEASER_TODAY."""
    return date.fromisoformat(str(history["main"]["date"]))


def dated_env(today: date) -> dict[str, str]:
    """What puts every step on `today`: the verdicts' date and the commits' dates."""
    noon = f"{today.isoformat()}T12:00:00+00:00"
    return {
        "RELEASER_TODAY": today.isoformat(),
        "GIT_AUTHOR_DATE": noon,
        "GIT_COMMITTER_DATE": noon,
    }


@dataclass(frozen=True)
class Sandbox:
    root: Path
    kit: Path
    fleet: Path
    mirrors: Path
    argocd_url: str = ""  # the Argo CD API emulator the fleet's argocd sections point at
    env: Mapping[str, str] = field(default_factory=dict, repr=False)  # for every step: the token


@dataclass(frozen=True)
class DemoStep:
    explain: str
    args: tuple[str, ...]
    program: str = "releaser"
    ok_codes: tuple[int, ...] = (ExitCode.OK,)
    fallback: DemoStep | None = None  # run when this step finds problems (exit 1)

    @property
    def shown(self) -> str:
        """The command as a user would type it."""
        if self.program == "sh":
            return self.args[-1]
        return " ".join((self.program, *self.args))


def _shell(explain: str, script: str) -> DemoStep:
    return DemoStep(explain, ("-c", script), "sh")


def _gated(*args: str) -> tuple[str, ...]:
    """A rollout pushed onto the branch Argo CD deploys from, then the health gate; the
    emulator syncs within a second, so it is polled often."""
    return ("rollout", *args, "--push", "--direct", "--wait", "--poll-interval", "0.2s",
            "--timeout", "60s")  # fmt: skip


def _cut() -> DemoStep:
    args = ("cut", NEXT_RELEASE, "--push")
    accept = DemoStep(
        "The gate refused the cut on this date. A release manager who has read those verdicts "
        "and accepts them cuts anyway:",
        (*args, "--allow-incompatible"),
    )
    return DemoStep(
        f"Cut {NEXT_RELEASE}: branch, version, changelog, push; the compatibility gate decides.",
        args,
        fallback=accept,
    )


def demo_steps(sandbox: Sandbox) -> Sequence[DemoStep]:
    report = sandbox.root / f"report-{NEXT_RELEASE}.html"
    component = HOTFIX_SET.partition("=")[0]
    return (
        DemoStep("What has upstream released since the kit's pins?", ("check",)),
        DemoStep(
            "Which bumps stay compatible with the kit's whole Kubernetes range? Apply them, "
            "byte-minimal, to core/*/values.yaml.",
            ("plan", "--apply"),
        ),
        _shell(
            "Commit them on main (when the plan had any).",
            'git diff --quiet || git commit -qam "Bump components for the next release"',
        ),
        DemoStep(
            "Every component on every Kubernetes minor of the range, with its reasons.",
            ("compat",),
            ok_codes=ANSWERS,
        ),
        DemoStep(
            "What changed since the last release?", ("diff", f"release/{LAST_RELEASE}", "main")
        ),
        _cut(),
        DemoStep("The releases, and which customers run each.", ("releases",)),
        DemoStep("Where does every customer stand?", ("rollout", "--status")),
        DemoStep(
            f"Move {FIRST_CUSTOMER} to {NEXT_RELEASE}: preflight, push onto the branch its Argo CD "
            "deploys from, then wait until Argo CD (here: the demo's EMULATOR) reports every app "
            "synced to the pushed commit and healthy.",
            _gated("--customer", FIRST_CUSTOMER, "--to", NEXT_RELEASE),
            ok_codes=ANSWERS,
        ),
        DemoStep(
            "The next customer in fleet order that is not on it yet, the same way.",
            _gated("--next"),
            ok_codes=ANSWERS,
        ),
        DemoStep(
            f"A customer whose cluster {NEXT_RELEASE} does not support stays on {HOTFIX_RELEASE}: "
            f"ship it a {component} patch there.",
            (
                "hotfix",
                HOTFIX_RELEASE,
                "--set",
                HOTFIX_SET,
                "--note",
                f"{component} patch for clusters that stay on {HOTFIX_RELEASE}",
                "--push",
            ),
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

"""`releaser demo [DIR]`: the whole release process in a sandbox, offline, in under a minute."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import typer

from releaser.cli.container import container
from releaser.cli.output import emit
from releaser.domain.errors import UsageError

EXPLORE = """
Done in {seconds:.1f} s. Everything stays in {root}:
  kit/                 the kit checkout: main and release/2026.1 … release/{release}
  remotes/             bare repositories: the kit's origin and each customer's GitOps repo
  fleet.yaml           customers in rollout order; mirrors.yaml maps upstream to the local server
  report-{release}.html   the compatibility report (open it in a browser)

To explore (the local Helm repositories and the Argo CD emulator have stopped; the indexes
and chart archives are cached):
  cd {root}/kit
  export RELEASER_FLEET={root}/fleet.yaml RELEASER_MIRRORS={root}/mirrors.yaml
  export XDG_CACHE_HOME={root}/.cache RELEASER_TODAY={today}
  releaser releases
  releaser check --offline
  releaser rollout --status
  git -C {root}/remotes/kuvaq-gitops.git log --oneline --all
"""


def _sandbox_dir(directory: Path | None) -> Path:
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="releaser-demo-"))
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty", hint="name a new or empty directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory.resolve()


def demo(
    ctx: typer.Context,
    directory: Path | None = typer.Argument(
        None, metavar="DIR", help="Where to build the sandbox (default: a new temporary directory)."
    ),
) -> None:
    """Build a sandbox and walk through check → plan → cut → rollout → report.

    Offline: a local Helm repository, a kit with releases, customer repositories.
    Everything stays in DIR; the demo ends with what to try there.

    Examples:
      releaser demo
      releaser demo /tmp/releaser-demo
    """
    from releaser.adapters.demo_runner import StepProcesses
    from releaser.adapters.demo_sandbox import history, open_sandbox
    from releaser.app.demo import DemoRequest, run_demo
    from releaser.domain.demo import NEXT_RELEASE, data_date

    started = time.monotonic()
    settings = container(ctx).settings
    today = settings.today or data_date(history())
    request = DemoRequest(_sandbox_dir(directory), today, settings.today is not None)
    run_demo(request, open_sandbox, StepProcesses(settings.env), emit)
    seconds = time.monotonic() - started
    emit(EXPLORE.format(seconds=seconds, root=request.root, release=NEXT_RELEASE, today=today))


def register(app: typer.Typer) -> None:
    app.command()(demo)

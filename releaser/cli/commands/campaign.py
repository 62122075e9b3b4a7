"""`campaign plan` and `campaign emit`: waves over the fleet, planned here or run elsewhere."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from releaser.cli import completion
from releaser.cli.choices import Engine, LandingMode, PlanFormat
from releaser.cli.container import Container, container
from releaser.cli.output import check_output, emit, info, write_output
from releaser.cli.partial import fail_if_partial
from releaser.domain.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from releaser.app.campaign import CampaignDefinition
    from releaser.app.campaign_run import CampaignLog
    from releaser.domain.campaign_state import Event

campaign_app = typer.Typer(
    help="""Waves over the fleet: plan them with windows and preflight, or emit a CI definition.

    Or run them here (`campaign run`): the run's state lives in the rollout log,
    where pause, resume, abort, approve and status act on it. Waves, labels and
    maintenance windows come from the fleet file (`releaser example fleet`;
    README: "Campaigns").

    Examples:
      releaser campaign plan 2024.3
      releaser campaign run 2024.3
      releaser campaign status 2024.3
      releaser campaign emit 2024.3 --engine github -o rollout.yml
    """
)
PLAN_FORMATS = ("text", "md", "json")
ENGINES = ("github", "gitlab", "argo-workflows")


@campaign_app.command("plan")
def plan(
    ctx: typer.Context,
    version: str = typer.Argument(
        ...,
        metavar="VERSION",
        autocompletion=completion.release_versions,
        help="The kit version to roll out, e.g. 2024.3.",
    ),
    output_format: PlanFormat = typer.Option(
        "text", "--format", help="A table, Markdown or JSON."
    ),
    at: str | None = typer.Option(
        None,
        "--at",
        metavar="TIME",
        help="Judge windows at this ISO time (default: now; UTC if no offset).",
    ),
    parallel: int = typer.Option(
        8, "--parallel", min=1, metavar="N", help="Customers preflighted at once."
    ),
) -> None:
    """The waves in order: each customer's preflight, hold, next open window and estimate.

    Nothing is pushed: each preflight runs as `rollout --dry-run` would.

    Examples:
      releaser campaign plan 2024.3
      releaser campaign plan 2024.3 --at 2026-03-10T09:00+01:00 --format md
      releaser campaign plan 2024.3 --json
    """
    from releaser.app.campaign import CampaignPorts, plan_campaign
    from releaser.domain.versions import KitVersion
    from releaser.render import campaign as render

    parts = container(ctx)
    chosen = "json" if parts.options.json else output_format
    if chosen not in PLAN_FORMATS:
        raise UsageError(f"unknown format '{chosen}'", hint="use text, md or json")
    target = KitVersion.parse(version)
    rollout = parts.rollout_ports()
    ports = CampaignPorts(rollout, plan_instant(parts, at), parallel, progress=parts.progress)
    result = plan_campaign(parts.fleet, target, ports)
    writer = {"text": render.plan_text, "md": render.plan_markdown, "json": render.plan_json}
    text = writer[chosen](result)
    emit(text, newline=not text.endswith("\n"))
    fail_if_partial(result.unverified, f"the campaign plan of {result.version}")


def plan_instant(parts: Container, at: str | None) -> datetime:
    """--at, else RELEASER_TODAY at 00:00 UTC (reproducible runs), else the clock."""
    if at is not None:
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            raise UsageError(
                f"invalid time {at!r}", hint="use ISO 8601, e.g. 2026-03-10T09:30+01:00"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if parts.settings.today is not None:
        return datetime.combine(parts.settings.today, time(), tzinfo=UTC)
    return datetime.fromisoformat(parts.rollout_ports().clock.now())


@campaign_app.command("emit")
def emit_definition(
    ctx: typer.Context,
    version: str = typer.Argument(
        ...,
        metavar="VERSION",
        autocompletion=completion.release_versions,
        help="The kit version each job rolls to, e.g. 2024.3.",
    ),
    engine: Engine = typer.Option(..., "--engine", help="Where jobs run."),
    output: Path | None = typer.Option(
        None, "-o", "--output", metavar="FILE", help="Write to FILE instead of stdout."
    ),
    mode: LandingMode = typer.Option("branch", "--mode", help="How each job lands its rollout."),
    no_wait: bool = typer.Option(False, "--no-wait", help="Jobs do not wait for the gate."),
    timeout: str | None = typer.Option(
        None, "--timeout", metavar="DURATION", help="Each job's gate timeout."
    ),
    poll: str | None = typer.Option(
        None, "--poll-interval", metavar="DURATION", help="Each job's Argo CD polling interval."
    ),
    fleet_path: str | None = typer.Option(
        None,
        "--fleet-path",
        metavar="PATH",
        help="The fleet file as jobs see it (default: as given here).",
    ),
    install: str = typer.Option(
        "pip install releaser",
        "--install",
        metavar="COMMAND",
        help="GitHub, GitLab: the command that installs releaser.",
    ),
    image: str | None = typer.Option(
        None,
        "--image",
        metavar="IMAGE",
        help="GitLab: python:3.12-slim; Argo: releaser:latest (has releaser).",
    ),
    secret: str = typer.Option(
        "releaser-tokens",
        "--secret",
        metavar="NAME",
        help="Argo: the Secret holding the token variables.",
    ),
    configmap: str = typer.Option(
        "releaser-fleet",
        "--configmap",
        metavar="NAME",
        help="Argo: the ConfigMap holding the fleet file.",
    ),
) -> None:
    """An engine-native definition whose jobs run each customer's rollout, wave by wave.

    Each job runs `releaser rollout --customer NAME --to VERSION --push --wait`,
    which is idempotent: a job run twice makes no second commit.

    Examples:
      releaser campaign emit 2024.3 --engine github -o rollout.yml
      releaser campaign emit 2024.3 --engine gitlab --mode direct -o ci.yml
      releaser campaign emit 2024.3 --engine argo-workflows --timeout 20m
    """
    from releaser.app.campaign import JobSettings, campaign_definition
    from releaser.domain.durations import parse_duration

    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'", hint="use github, gitlab or argo-workflows")
    for value in (timeout, poll):
        if value is not None:
            parse_duration(value)  # refused here, not in every job
    parts = container(ctx)
    job = JobSettings(
        version, fleet_path or job_fleet_path(parts.fleet_file), mode, not no_wait, timeout,
        poll, install, image=image or JobSettings.image, argo_image=image or JobSettings.argo_image,
        secret=secret, configmap=configmap,
    )  # fmt: skip
    check_output(output)
    write_output(output, render_engine(engine, campaign_definition(parts.fleet, job)))


def job_fleet_path(fleet: Path) -> str:
    """The fleet file as jobs in a checkout of the current directory find it."""
    try:
        return fleet.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return fleet.name


def render_engine(engine: str, definition: CampaignDefinition) -> str:
    if engine == "argo-workflows":
        from releaser.render.campaign_argo import argo_workflow  # Hera loads pydantic: only here

        return argo_workflow(definition)
    from releaser.render.campaign_emit import github_workflow, gitlab_pipeline

    return (github_workflow if engine == "github" else gitlab_pipeline)(definition)


# --------------------------------------------------------------------------- run and control


def version_argument(text: str) -> str:
    return typer.Argument(  # type: ignore[no-any-return]
        ..., metavar="VERSION", autocompletion=completion.release_versions, help=text
    )


@campaign_app.command("run")
def run(
    ctx: typer.Context,
    version: str = version_argument("The kit version to roll the fleet to, e.g. 2024.3."),
    wave: str | None = typer.Option(
        None, "--wave", metavar="WAVE", help="Run this wave only (the waves before it finished)."
    ),
    parallel: int | None = typer.Option(
        None, "--parallel", min=1, metavar="N",
        help="Customers rolled at once in every wave (default: its maxParallel).",
    ),
    direct: bool = typer.Option(False, "--direct", help="Push to each customer's branch itself."),
    pr: bool = typer.Option(
        False, "--pr", help="Each rollout as a pull/merge request (review:), gated after merge."
    ),
    no_wait: bool = typer.Option(False, "--no-wait", help="Do not wait for Argo CD health gates."),
    timeout: str = typer.Option(
        "15m", "--timeout", metavar="DURATION", help="Each customer's health gate timeout."
    ),
    poll: str = typer.Option(
        "5s", "--poll-interval", metavar="DURATION",
        help="Argo CD polling, and how often a waiting run reads the log.",
    ),
) -> None:  # fmt: skip
    """Run (or resume) the campaign: the waves in order, customers inside their windows.

    Each customer is rolled as `rollout --customer NAME --to VERSION --push`, with
    --wait when it has argocd settings. Killed, it resumes at the next customer.

    Examples:
      releaser campaign run 2024.3
      releaser campaign run 2024.3 --wave canary
      releaser campaign run 2024.3 --parallel 4 --direct --timeout 20m
    """
    from releaser.app.campaign_run import RunOptions, run_campaign
    from releaser.cli.invocation import command_line
    from releaser.domain.durations import parse_duration
    from releaser.domain.versions import KitVersion
    from releaser.render import campaign as render

    if pr and direct:
        raise UsageError("--pr and --direct exclude each other: a request is reviewed first")
    parts = container(ctx)
    unreviewed = [c.name for c in parts.fleet.customers if c.review is None]
    if pr and unreviewed:  # refused before any customer moves, not one failure per customer
        raise UsageError(
            f"--pr needs review: settings; none for {', '.join(unreviewed)}",
            hint="add review: {provider, url, tokenEnv} to them in the fleet file",
        )
    options = RunOptions(
        KitVersion.parse(version), wave, parallel, direct, not no_wait,
        parse_duration(timeout), parse_duration(poll), command_line(ctx), pr,
    )  # fmt: skip
    result = run_campaign(parts.fleet, options, parts.rollout_ports(), campaign_log(parts))
    emit(render.run_json(result) if parts.options.json else render.run_text(result))
    if not result.ok:
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)


def campaign_log(parts: Container) -> CampaignLog:
    from releaser.adapters.rollout_log import JsonlRolloutLog, log_path

    return JsonlRolloutLog(log_path(parts.fleet_file))


def control(ctx: typer.Context, version: str, event: Event, wave: str | None = None) -> None:
    from releaser.app.campaign_control import control as act
    from releaser.cli.invocation import command_line
    from releaser.domain.versions import KitVersion

    parts = container(ctx)
    target = KitVersion.parse(version)
    log = campaign_log(parts)
    info(act(event, parts.fleet, target, parts.rollout_ports(), log, command_line(ctx), wave))


@campaign_app.command("pause")
def pause(
    ctx: typer.Context, version: str = version_argument("The campaign's kit version.")
) -> None:
    """Pause the campaign: a run starts no new customer and ends once those rolling end.

    Examples:
      releaser campaign pause 2024.3
    """
    from releaser.domain.campaign_state import Event

    control(ctx, version, Event.PAUSED)


@campaign_app.command("resume")
def resume(
    ctx: typer.Context, version: str = version_argument("The campaign's kit version.")
) -> None:
    """Resume a paused campaign, or one stopped by a wave's failures (accepting them).

    Then `campaign run` goes on at the next customer.

    Examples:
      releaser campaign resume 2024.3
    """
    from releaser.domain.campaign_state import Event

    control(ctx, version, Event.RESUMED)


@campaign_app.command("abort")
def abort(
    ctx: typer.Context, version: str = version_argument("The campaign's kit version.")
) -> None:
    """End the campaign: a run starts no new customer; the next run starts a new one.

    Examples:
      releaser campaign abort 2024.3
    """
    from releaser.domain.campaign_state import Event

    control(ctx, version, Event.ABORTED)


@campaign_app.command("approve")
def approve(
    ctx: typer.Context,
    version: str = version_argument("The campaign's kit version."),
    wave: str | None = typer.Option(
        None, "--wave", metavar="WAVE", help="The wave (default: the next one waiting)."
    ),
) -> None:
    """Approve a wave with `approval: true`: a waiting run starts it.

    Examples:
      releaser campaign approve 2024.3
      releaser campaign approve 2024.3 --wave gold
    """
    from releaser.domain.campaign_state import Event

    control(ctx, version, Event.APPROVED, wave)


@campaign_app.command("status")
def status(
    ctx: typer.Context, version: str = version_argument("The campaign's kit version.")
) -> None:
    """The campaign's state and each wave's customers, from the rollout log alone.

    Examples:
      releaser campaign status 2024.3
      releaser campaign status 2024.3 --json
    """
    from releaser.app.campaign_control import campaign_status
    from releaser.domain.versions import KitVersion
    from releaser.render import campaign as render

    parts = container(ctx)
    found = campaign_status(parts.fleet, KitVersion.parse(version), campaign_log(parts))
    emit(render.status_json(found) if parts.options.json else render.status_text(found))


def register(app: typer.Typer) -> None:
    app.add_typer(campaign_app, name="campaign")


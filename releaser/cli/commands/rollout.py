"""`rollout`: move one customer (or the next one) to a kit version; `--status` of the fleet."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import typer

from releaser.cli import completion
from releaser.cli.container import container
from releaser.cli.context import GlobalOptions
from releaser.cli.invocation import command_line
from releaser.cli.output import emit, emit_json, info
from releaser.cli.partial import fail_if_partial
from releaser.domain.errors import ExitCode, GitError, UsageError
from releaser.domain.progress import Progress, batch
from releaser.render import rollout as render_rollout

# Imported when the command runs, not for `rollout --help`.
if TYPE_CHECKING:
    from releaser.app.rollout import RolloutPorts, RolloutRequest, RolloutResult
    from releaser.app.rollout_next import NextResult
    from releaser.app.rollout_read import FleetStatus
    from releaser.domain.fleet import Fleet


def rollout(
    ctx: typer.Context,
    customer: str | None = typer.Option(
        None, "--customer", metavar="NAME", autocompletion=completion.customers,
        help="The customer to move.",
    ),
    next_: bool = typer.Option(
        False, "--next", help="The next customer that can move (held and blocked ones skipped)."
    ),
    status: bool = typer.Option(
        False, "--status", help="Every customer's version and last rollout."
    ),
    to: str | None = typer.Option(
        None, "--to", metavar="VERSION", autocompletion=completion.release_versions,
        help="Kit version (default: newest release).",
    ),
    revert: bool = typer.Option(
        False, "--revert", help="Back to the version the customer's last rollout left."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check and show the change only."),
    push: bool = typer.Option(False, "--push", help="Push the commit (else it stays local)."),
    direct: bool = typer.Option(False, "--direct", help="Push to the customer's branch itself."),
    wait: bool = typer.Option(False, "--wait", help="Wait until Argo CD reports healthy."),
    pr: bool = typer.Option(
        False, "--pr",
        help="Push the rollout branch and open a pull/merge request (the customer's review:).",
    ),
    merge_timeout: str = typer.Option(
        "24h", "--merge-timeout", metavar="DURATION",
        help="--pr --wait: how long the merge may take before the health gate.",
    ),
    timeout: str = typer.Option(
        "15m", "--timeout", metavar="DURATION", help="Health gate timeout (15m, 90s)."
    ),
    poll: str = typer.Option(
        "5s", "--poll-interval", metavar="DURATION", help="Argo CD polling interval."
    ),
    soak: str | None = typer.Option(
        None,
        "--soak",
        metavar="DURATION",
        help="How long apps must stay healthy (default: argocd.soak, else 0).",
    ),
    live: bool = typer.Option(False, "--live", help="--status: Argo CD's sync and health now."),
    allow_downgrade: bool = typer.Option(
        False, "--allow-downgrade", help="Go on when the customer runs a newer release."
    ),
    accept_dropped_keys: bool = typer.Option(
        False, "--accept-dropped-keys",
        help="Go on when the customer overrides keys the target's defaults no longer have.",
    ),
    force: bool = typer.Option(
        False, "--force", help="--customer: past its hold; --next: after an unsettled rollout."
    ),
    break_lock: bool = typer.Option(
        False, "--break-lock", help="Take the customer's lease even from a live run."
    ),
    notify: str | None = typer.Option(
        None, "--notify", metavar="URL", help="Slack-compatible webhook URL."
    ),
) -> None:  # fmt: skip
    """Move a customer to a kit version, checked before and confirmed healthy after.

    Pass one of --customer NAME, --next or --status.
    The preflight blocks what the cluster or the customer's overrides cannot take.
    --wait then waits for Argo CD to report the customer's applications healthy.
    --pr opens a GitHub pull request or GitLab merge request for the rollout
    branch; with --wait, the gate runs on the commit the merge landed.

    Examples:
      releaser rollout --status
      releaser rollout --customer acme --to 2024.3 --dry-run
      releaser rollout --customer acme --push --wait --timeout 20m
      releaser rollout --next --push --wait
      releaser rollout --customer acme --revert --push --wait
      releaser rollout --customer acme --pr --wait --merge-timeout 8h
      releaser rollout --next --pr
    """
    from releaser.app.rollout import RolloutRequest, roll_out
    from releaser.app.rollout_next import roll_next
    from releaser.domain.durations import parse_duration
    from releaser.domain.versions import KitVersion

    parts = container(ctx)
    opts = parts.options
    if sum((customer is not None, next_, status)) != 1:
        raise UsageError("pass exactly one of --customer NAME, --next or --status")
    if live and not status:
        raise UsageError("--live goes with --status")
    if revert and (customer is None or to is not None):
        raise UsageError("--revert goes with --customer NAME and without --to")
    if pr and direct:
        raise UsageError("--pr and --direct exclude each other: a pull request merges the branch")
    fleet = parts.fleet
    # The preflight's own progress line: here only, where no other batch is shown (the
    # report and campaign plan count customers, and preflight them in parallel).
    ports = replace(parts.rollout_ports(notify), meter=parts.progress)
    if status:
        render_status(opts, read_fleet_status(fleet, ports, live, parts.progress))
        return
    request = RolloutRequest(
        fleet.customer(customer) if customer else fleet.customers[0],
        fleet.kit_repo_url,
        target=KitVersion.parse(to) if to else None,
        push=push or pr, direct=direct, dry_run=dry_run, wait=wait,
        pr=pr, merge_timeout=parse_duration(merge_timeout),
        timeout=parse_duration(timeout), poll=parse_duration(poll),
        allow_downgrade=allow_downgrade, accept_dropped_keys=accept_dropped_keys,
        soak=parse_duration(soak) if soak is not None else None,
        revert=revert, force=force and not next_, break_lock=break_lock,
        command=command_line(ctx),
    )  # fmt: skip
    if next_:
        found = roll_next(fleet, request, ports, force)
        render_next(opts, found, request)
        return
    result = roll_out(request, ports)
    render_result(opts, result, request)
    fail_if_partial(result.unverified, f"the preflight of {result.customer}")
    if not result.ok:
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)


def render_next(opts: GlobalOptions, found: NextResult, request: RolloutRequest) -> None:
    """The customer moved (or why none could), then every customer passed over."""
    moved = found.moved
    if opts.json:
        emit_json({
            "target": str(found.target),
            "moved": moved.as_dict() if moved else None,
            "passedOver": [p.as_dict() for p in found.passed_over],
        })  # fmt: skip
    elif moved is not None:
        emit(render_rollout.result_text(moved, request.direct, request.push))
    for item in found.passed_over:
        info(f"passed over {item.customer}: " + "; ".join(item.reasons))
    if moved is None and not found.passed_over:
        info(f"every customer is on {found.target} or newer")
        return
    if moved is None:
        info(f"no customer could move to {found.target}")
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)
    fail_if_partial(moved.unverified, f"the preflight of {moved.customer}")
    if not moved.ok:
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)


def render_result(opts: GlobalOptions, result: RolloutResult, request: RolloutRequest) -> None:
    summary = render_rollout.result_text(result, request.direct, request.push)
    if opts.json:
        emit(render_rollout.result_json(result))
        info(summary)  # stdout stays pure data: the human summary goes to stderr
    else:
        emit(summary)


def read_fleet_status(
    fleet: Fleet, ports: RolloutPorts, live: bool, progress: Progress
) -> FleetStatus:
    from releaser.app.rollout_read import read_status

    with batch(progress, len(fleet.customers), "reading customers") as bar:
        return read_status(fleet, ports, live, bar.advance)


def render_status(opts: GlobalOptions, status: FleetStatus) -> None:
    render = render_rollout.status_json if opts.json else render_rollout.status_text
    emit(render(status))
    failed = [r for r in status.rows if r.error]
    for row in failed:
        info(f"error: {row.customer.name} ({row.customer.repo}): {row.error}")
    if failed:
        raise GitError(f"{len(failed)} customer repository(ies) could not be read")
    fail_if_partial(status.unverified, "the fleet's status")


def register(app: typer.Typer) -> None:
    app.command()(rollout)

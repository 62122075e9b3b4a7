"""`cut`, `hotfix` and `releases`: making and listing kit release branches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from releaser.cli import completion
from releaser.cli.container import container
from releaser.cli.invocation import command_line
from releaser.cli.output import emit, emit_json, info, terminal_width
from releaser.domain.errors import ExitCode, UsageError
from releaser.render.text import Column, table

# The use cases and their adapters (git, jinja2, the compatibility engine) are imported by
# the command that runs: `releaser releases` needs neither jinja2 nor requests.
if TYPE_CHECKING:
    from releaser.app.cut import CutResult
    from releaser.app.hotfix import HotfixResult, PushWatch


def _written_json(result: CutResult | HotfixResult) -> dict[str, Any]:
    written = result.written
    return {
        "version": result.version,
        "branch": result.branch,
        "dryRun": written is None,
        "resumed": result.resumed,
        "commits": written.commits if written else {},
        "pushed": list(written.pushed) if written else [],
        "changelog": result.entry,
    }


def _written_text(result: CutResult | HotfixResult, remote: str) -> str:
    from releaser.render.release import render_dry_run, render_written

    if result.written is None:
        return render_dry_run(result.plan, remote)
    return render_written(result.plan, result.written, remote)


def cut_command(
    ctx: typer.Context,
    version: str = typer.Argument(
        ...,
        metavar="VERSION",
        autocompletion=completion.next_version,
        help="The release to cut, YYYY.N (e.g. 2024.3).",
    ),
    from_ref: str = typer.Option(
        "main",
        "--from",
        metavar="REF",
        autocompletion=completion.release_refs,
        help="Ref to cut from.",
    ),
    push: bool = typer.Option(False, "--push", help="Push the release branch and the source."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the commits; write nothing."),
    allow_incompatible: bool = typer.Option(
        False, "--allow-incompatible", help="Cut despite compat failures (noted in changelog)."
    ),
    allow_unverified: bool = typer.Option(
        False,
        "--allow-unverified",
        help="Cut although an upstream could not be read (noted in changelog).",
    ),
) -> None:
    """Create release/VERSION with its version and changelog entry.

    The compatibility gate runs first: a cell failing in the kit's range stops it.
    The changelog entry also lands on the branch the release is cut from.

    Examples:
      releaser cut 2024.3 --dry-run
      releaser cut 2024.3 --push
      releaser cut 2024.3 --from release/2024.2 --allow-incompatible
    """
    from releaser.app.cut import CutRequest, cut

    parts = container(ctx)
    deps = parts.release_deps()
    request = CutRequest(version, from_ref, push, dry_run, allow_incompatible, allow_unverified)
    result = cut(request, deps)
    if result.gate:
        info(result.gate)
    for warning in result.warnings:
        info(f"warning: {warning}")
    if parts.options.json:
        emit_json({**_written_json(result), "source": result.source_branch, "gate": result.gate})
    else:
        emit(_written_text(result, deps.repo.remote))


def hotfix_command(
    ctx: typer.Context,
    version: str = typer.Argument(
        ...,
        metavar="VERSION",
        autocompletion=completion.release_versions,
        help="The release to fix, YYYY.N (e.g. 2024.2).",
    ),
    sets: list[str] = typer.Option(
        [],
        "--set",
        metavar="COMPONENT=VERSION",
        autocompletion=completion.component_settings,
        help="The component's new chart version; repeat for several components.",
    ),
    note: str | None = typer.Option(
        None, "--note", metavar="TEXT", help="A line for the changelog entry."
    ),
    push: bool = typer.Option(False, "--push", help="Push the release branch and main."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the commits; write nothing."),
    revert: bool = typer.Option(
        False, "--revert", help="Undo the last hotfix as the next patch (no --set)."
    ),
    wait: bool = typer.Option(
        False, "--wait", help="After --push, gate every receiving customer that has Argo CD."
    ),
    timeout: str = typer.Option(
        "15m", "--timeout", metavar="DURATION", help="Health gate timeout (15m, 90s)."
    ),
    poll: str = typer.Option(
        "5s", "--poll-interval", metavar="DURATION", help="Argo CD polling interval."
    ),
    notify: str | None = typer.Option(
        None, "--notify", metavar="URL", help="Slack-compatible webhook URL."
    ),
) -> None:
    """Commit a fix on release/VERSION as VERSION.P, with a changelog entry.

    The entry also lands on main.
    With a fleet file, it lists the customers that receive the fix.

    Examples:
      releaser hotfix 2024.2 --set cert-manager=v1.16.3 --dry-run
      releaser hotfix 2024.2 --set cert-manager=v1.16.3 --note "CVE fix" --push
      releaser hotfix 2024.2 --set cert-manager=v1.16.3 --push --wait
      releaser hotfix 2024.2 --revert --push
    """
    from releaser.app.hotfix import HotfixRequest, hotfix

    parts = container(ctx)
    deps = parts.release_deps()
    request = HotfixRequest(version, tuple(sets), note, push, dry_run, revert)
    watch = _hotfix_watch(ctx, push, wait, timeout, poll, notify)
    result = hotfix(request, deps, parts.customer_versions(), watch)
    for warning in result.warnings:
        info(f"warning: {warning}")
    customers = list(result.customers) if result.customers is not None else None
    gates = [g.as_dict() for g in result.gates]
    if parts.options.json:
        emit_json({**_written_json(result), "customers": customers, "gates": gates})
    else:
        emit(_written_text(result, deps.repo.remote))
        emit(_receivers(result.branch, customers, dry_run))
        for gate in result.gates:
            emit(f"  {gate.customer}: " + "; ".join((gate.as_dict()["outcome"], *gate.reasons)))
    if not all(g.ok for g in result.gates):
        raise typer.Exit(ExitCode.PROBLEMS_FOUND)


def _hotfix_watch(
    ctx: typer.Context, push: bool, wait: bool, timeout: str, poll: str, notify: str | None
) -> PushWatch | None:
    """Eyes on the pushed hotfix: the fleet's webhook and, with --wait, its health gates."""
    from releaser.app.hotfix_watch import FleetWatch, HotfixWatchRequest
    from releaser.app.rollout_watch import WatchSettings
    from releaser.domain.durations import parse_duration

    parts = container(ctx)
    if wait and not push:
        raise UsageError("--wait needs --push: Argo CD only sees pushed commits")
    if parts.fleet_path is None:
        if wait:
            raise UsageError("--wait gates the fleet's customers: pass --fleet (or RELEASER_FLEET)")
        return None
    settings = WatchSettings(parse_duration(timeout), parse_duration(poll)) if wait else None
    request = HotfixWatchRequest(settings, command_line(ctx))
    return FleetWatch(parts.fleet, parts.rollout_ports(notify), request)


def _receivers(branch: str, customers: list[str] | None, dry_run: bool) -> str:
    if customers is None:
        return (
            f"customers on {branch} receive it without a rollout "
            "(customers are listed once a fleet is read)"
        )
    verb = "would receive" if dry_run else "receive"
    if not customers:
        return f"no customer references {branch}"
    return f"{len(customers)} customer(s) {verb} it through {branch}: {', '.join(customers)}"


def releases_command(ctx: typer.Context) -> None:
    """Release branches with version, date, Kubernetes range and their customers.

    Local and remote branches alike.
    With a fleet file, a release no customer runs is marked to retire.

    Examples:
      releaser releases
      releaser --fleet ops/fleet.yaml releases --json
    """
    from releaser.app.releases import list_releases

    parts = container(ctx)
    items = list_releases(parts.release_repo, parts.parse, parts.customer_versions())
    if parts.options.json:
        emit_json({"releases": [item.as_dict() for item in items]})
        return
    rows = [
        (
            i.version,
            i.branch,
            i.date,
            str(i.kubernetes) if i.kubernetes else f"? ({i.error})",
            "/".join(w for w, on in (("local", i.local), ("remote", i.remote)) if on),
            ", ".join(i.customers) if i.customers is not None else "-",
            "retire?" if i.retire else "",
        )
        for i in items
    ]
    customers = Column("CUSTOMERS", cut=True, leave=2, fold=True)
    headers = ("VERSION", "BRANCH", "DATE", Column("KUBERNETES", cut=True),
               Column("WHERE", leave=1), customers, "NOTE")  # fmt: skip
    emit(table(headers, rows, terminal_width()) if rows else "no release branches")


def register(app: typer.Typer) -> None:
    app.command("cut")(cut_command)
    app.command("hotfix")(hotfix_command)
    app.command("releases")(releases_command)

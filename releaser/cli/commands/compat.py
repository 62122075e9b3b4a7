"""`compat`, `plan`, `data` and `data refresh`."""

from __future__ import annotations

from pathlib import Path

import typer

from releaser.app.data import SnapshotInfo
from releaser.cli import completion
from releaser.cli.choices import TextFormat
from releaser.cli.container import container
from releaser.cli.output import emit, emit_json, info, terminal_width
from releaser.cli.partial import fail_if_partial
from releaser.domain.profiles import profile_named, profile_names
from releaser.render.text import table

RENDER_HELP = "Scan the chart templates even when helm is available (no rendering)."


def _targets(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def compat(
    ctx: typer.Context,
    ref: str | None = typer.Option(
        None, "--ref", metavar="REF", autocompletion=completion.release_refs,
        help="Kit ref (default: working tree).",
    ),
    kubernetes: str | None = typer.Option(
        None, "--kubernetes", metavar="VERSIONS",
        help="Minors or cluster versions, comma separated (default: the kit's range).",
    ),
    offline: bool = typer.Option(False, "--offline", help="Cached indexes and charts only."),
    no_render: bool = typer.Option(False, "--no-render", help=RENDER_HELP),
    fmt: TextFormat = typer.Option(
        "table", "--format", help="A terminal table or Markdown (with --json: JSON)."
    ),
    profile: str | None = typer.Option(
        None,
        "--profile",
        metavar="NAME",
        help="How kubeVersion is judged: " + ", ".join(profile_names())
        + " (default: the kit's own argo-cd).",
    ),
) -> None:  # fmt: skip
    """Verdict per component and Kubernetes version, with the reasons of each.

    Verdicts: ok, warn, fail, unknown.
    Exit 1 when a cell fails inside the kit's Kubernetes range.
    Exit 4 when an upstream cannot be read: the matrix marks what is unjudged.

    Examples:
      releaser compat
      releaser compat --kubernetes 1.30,1.31 --format md
      releaser compat --kubernetes v1.30.4-eks-a737599 --json
      releaser compat --ref release/2024.3 --offline
    """
    from releaser.render import compat as render_compat

    parts = container(ctx)
    opts = parts.options
    chosen = profile_named(profile) if profile is not None else None
    kit = parts.read_kit(ref)
    service = parts.compat_service(ref, offline=offline, render=not no_render)
    matrix = service.evaluate_kit(kit, _targets(kubernetes), parts.today, chosen)
    where = ref or "working tree"
    if opts.json:
        emit(render_compat.render_json(matrix))
    elif fmt == "md":
        emit(render_compat.render_markdown(kit, matrix, where, opts.verbose))
    else:
        emit(render_compat.render_text(kit, matrix, where, opts.verbose, terminal_width()))
    for problem in service.archive_problems:
        info(f"warning: {problem}")
    failures = len(matrix.failures()) + len(matrix.lifecycle_cells("fail"))
    if failures:
        info(f"{failures} cell(s) fail inside the kit's Kubernetes range")
    # A partial matrix outranks its failures: what it did not judge may fail too.
    fail_if_partial(matrix.unverified, "the compatibility matrix (unread cells are unknown)")
    if failures:
        raise typer.Exit(1)


def plan(
    ctx: typer.Context,
    apply: bool = typer.Option(False, "--apply", help="Write the proposals into values.yaml."),
    offline: bool = typer.Option(False, "--offline", help="Cached indexes and charts only."),
    no_render: bool = typer.Option(False, "--no-render", help=RENDER_HELP),
    pre: bool = typer.Option(False, "--pre", help="Consider pre-release versions."),
) -> None:
    """Newest release of each component compatible with the kit's whole Kubernetes range.

    Majors are flagged and held back.
    --apply writes the proposals into values.yaml as `bump` would.

    Examples:
      releaser plan
      releaser plan --json
      releaser plan --apply
    """
    from releaser.app.plan import apply_plan
    from releaser.render import compat as render_compat

    parts = container(ctx)
    kit = parts.read_kit()
    result = parts.planner(offline, render=not no_render).plan(kit, include_prerelease=pre)
    applied = apply_plan(result, parts.bump_ports()) if apply else []
    if parts.options.json:
        emit(render_compat.render_plan_json(result, [r.as_dict() for r in applied]))
    else:
        emit(render_compat.render_plan(result, terminal_width()))
    for r in applied:
        info(f"wrote {r.file}:{r.line}: {r.name} {r.from_version} -> {r.to_version}")
    if apply and result.unverified:
        info("--apply wrote nothing: the plan is partial")
    fail_if_partial(result.unverified, "the plan")


data_app = typer.Typer()


@data_app.callback(invoke_without_command=True)
def data(ctx: typer.Context) -> None:
    """The packaged lifecycle and deprecated-API snapshots.

    Without a subcommand: the date, source and file of each snapshot in use.

    Examples:
      releaser data
      releaser data refresh
    """
    if ctx.invoked_subcommand is not None:
        return
    from releaser.app.data import data_status

    parts = container(ctx)
    _show(ctx, data_status(parts.data_store))
    parts.warn_if_stale()


@data_app.command("refresh")
def refresh_command(
    ctx: typer.Context,
    source: Path | None = typer.Option(
        None,
        "--from",
        metavar="DIR",
        help="Read the saved upstream answers from this directory (offline).",
    ),
) -> None:
    """Fetch the snapshots again from endoflife.date and the deprecation data.

    The new copies go to the user data directory ($RELEASER_DATA_DIR).
    With --from, the same answers saved as files
    (README: "Data shipped with the package").

    Examples:
      releaser data refresh
      releaser data refresh --json
      releaser data refresh --from ./saved-answers
    """
    from releaser.adapters import data_refresh
    from releaser.app.data import refresh

    parts = container(ctx)
    if source is None:
        fetch = data_refresh.http_fetcher(parts.http)
        snapshots = data_refresh.upstream_snapshots(
            fetch, today=parts.today, progress=parts.progress
        )
    else:
        snapshots = data_refresh.directory_snapshots(source, parts.today)
    result = refresh(snapshots, parts.data_store)
    _show(ctx, list(result.after))
    for path in result.written:
        info(f"wrote {path}")
    parts.warn_if_stale()


def _show(ctx: typer.Context, infos: list[SnapshotInfo]) -> None:
    if container(ctx).options.json:
        emit_json(
            {
                "snapshots": [
                    {
                        "name": i.name,
                        "date": i.date.isoformat(),
                        "source": i.source,
                        "newest": i.newest_minor,
                        "path": i.path,
                    }
                    for i in infos
                ]
            }
        )
        return
    emit(
        table(
            ["snapshot", "date", "newest", "source", "file"],
            [[i.name, i.date, i.newest_minor or "-", i.source, i.path] for i in infos],
        )
    )


def register(app: typer.Typer) -> None:
    app.command()(compat)
    app.command()(plan)
    app.add_typer(data_app, name="data")

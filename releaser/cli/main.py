"""The `releaser` command: global options, the lazily loaded commands, the one error handler."""

from __future__ import annotations

import gc
import sys
import traceback
from pathlib import Path
from typing import Any

import typer

from releaser import __version__
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from releaser.cli.lazy import LazyGroup
from releaser.cli.output import emit, info
from releaser.domain.errors import ExitCode, ReleaserError


class ReleaserGroup(LazyGroup):
    """Turns every expected failure into one readable message and its SPEC §8 exit code."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ReleaserError as err:
            report_error(err, ctx)
            raise typer.Exit(err.exit_code) from None
        except KeyboardInterrupt:
            info("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None

    def _main_shell_completion(  # typer's hook: answers a TAB of `releaser completion`'s script
        self, ctx_args: Any, prog_name: str, complete_var: str | None = None
    ) -> None:
        from releaser.cli.completion import register_shells

        register_shells()
        super()._main_shell_completion(ctx_args, prog_name, complete_var)


def report_error(err: ReleaserError, ctx: typer.Context) -> None:
    verbose = isinstance(ctx.obj, Container) and ctx.obj.options.verbose
    if verbose:
        traceback.print_exc(file=sys.stderr)
    info(f"error: {err}")  # redacted, no escape sequences from upstream text


app = typer.Typer(
    cls=ReleaserGroup,
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every command, as helm and gh
    pretty_exceptions_enable=False,
    help="Run the release process of a Kubernetes core kit: check, compat, cut, rollout, report.",
)


def print_version(value: bool) -> None:
    if value:
        emit(f"releaser {__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=print_version, is_eager=True, help="Print the version."
    ),
    kit: Path | None = typer.Option(
        None,
        "--kit",
        metavar="DIR",
        help="Kit checkout (default: git root of the working directory).",
    ),
    fleet: Path | None = typer.Option(
        None,
        "--fleet",
        metavar="FILE",
        help="Fleet file (default: $RELEASER_FLEET or ./fleet.yaml).",
    ),
    mirrors: Path | None = typer.Option(
        None, "--mirrors", metavar="FILE", help="Mirror map file (default: $RELEASER_MIRRORS)."
    ),
    json: bool = typer.Option(
        False, "--json", help="Print data as JSON on stdout; diagnostics stay on stderr."
    ),
    verbose: bool = typer.Option(False, "-v", "--verbose", help="Show details and tracebacks."),
    no_color: bool = typer.Option(False, "--no-color", help="Never colour the output."),
) -> None:
    """The global options, declared once; every command accepts them after its name too
    (`releaser.cli.conventions`), where they override these."""
    ctx.obj = Container(GlobalOptions.from_params(ctx.params))


def main() -> None:
    """Console entry point; typer maps usage errors to exit 2 and `typer.Exit` to its code."""
    try:
        app(prog_name="releaser")
    finally:
        # The process ends here. The collections the interpreter runs while shutting down skip
        # frozen objects; they cost 50-60 ms (a sixth of a warm `check`) to free memory the
        # operating system takes back anyway.
        gc.freeze()

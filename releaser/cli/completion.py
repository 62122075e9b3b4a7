"""Shell completion: the scripts for bash, zsh and fish, and the values they complete.

`releaser completion SHELL` prints a script that calls `releaser` back on each TAB with
`_RELEASER_COMPLETE=complete_SHELL` (typer's protocol); typer answers with the completions
of the parameter under the cursor. Component names, customers and release versions come
from the kit checkout and the fleet file the command line names (`--kit`, `--fleet`, before
or after the command), read locally: never the network. A completion that cannot be read
(no kit here, an invalid file, no fleet) completes nothing rather than print an error into
the user's prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import typer

from releaser.cli.container import Container, container

PROG = "releaser"
COMPLETE_VAR = "_RELEASER_COMPLETE"

Completion = tuple[str, str]  # value, and the help zsh and fish show beside it
T = TypeVar("T")


def register_shells() -> None:
    """Make typer answer completion requests for bash, zsh and fish (it registers them only
    for its own `--install-completion`, which releaser does not have)."""
    from typer._completion_classes import completion_init

    completion_init()


def script(shell: str) -> str:
    """The completion script for `shell`: bash, zsh or fish."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name=PROG, complete_var=COMPLETE_VAR, shell=shell)


def _quietly(read: Callable[[Container], Iterable[T]], ctx: typer.Context) -> list[T]:
    """What `read` finds in this run's kit or fleet, or nothing when it cannot be read."""
    try:
        return list(read(container(ctx)))
    except Exception:  # a completion prints no error and no traceback into the prompt
        return []


def components(ctx: typer.Context, incomplete: str) -> list[Completion]:
    """Component names of the kit's working tree, with their section and version."""

    def read(parts: Container) -> Iterable[Completion]:
        kit = parts.read_kit()
        return [(c.name, f"{c.section} {c.version}") for c in kit if c.name.startswith(incomplete)]

    return _quietly(read, ctx)


def component_settings(ctx: typer.Context, incomplete: str) -> list[Completion]:
    """`COMPONENT=` for `hotfix --set`; the version after `=` is the user's to type."""
    return [(f"{name}=", f"now {help}") for name, help in components(ctx, incomplete)]


def customers(ctx: typer.Context, incomplete: str) -> list[Completion]:
    """Customer names of the fleet file, in fleet order."""

    def read(parts: Container) -> Iterable[Completion]:
        return [
            (c.name, f"{c.provider or 'cluster'} {c.kubernetes}")
            for c in parts.fleet.customers
            if c.name.startswith(incomplete)
        ]

    return _quietly(read, ctx)


def release_versions(ctx: typer.Context, incomplete: str) -> list[str]:
    """Versions of the kit's release branches (local or on origin), newest first."""

    def read(parts: Container) -> Iterable[str]:
        versions = sorted((v for v, _ in parts.release_refs()), reverse=True)
        return [str(v) for v in versions if str(v).startswith(incomplete)]

    return _quietly(read, ctx)


def release_refs(ctx: typer.Context, incomplete: str) -> list[str]:
    """Release branch names, for options that take any git ref."""
    return [
        branch
        for branch in (f"release/{v}" for v in release_versions(ctx, ""))
        if branch.startswith(incomplete)
    ]


def next_version(ctx: typer.Context, incomplete: str) -> list[str]:
    """The release `cut` would make next: one past this year's newest."""

    def read(parts: Container) -> Iterable[str]:
        from releaser.domain.versions import next_release

        upcoming = str(next_release((v for v, _ in parts.release_refs()), parts.today.year))
        return [upcoming] if upcoming.startswith(incomplete) else []

    return _quietly(read, ctx)

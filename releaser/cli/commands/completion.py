"""`completion SHELL`: the shell completion script, as `helm completion` and `gh completion`."""

from __future__ import annotations

from typing import Literal

import typer

from releaser.cli.output import emit


def completion(
    shell: Literal["bash", "zsh", "fish"] = typer.Argument(
        ..., metavar="SHELL", help="The shell to complete in: bash, zsh or fish."
    ),
) -> None:
    """Print the shell completion script for bash, zsh or fish.

    It completes commands, options, choices, components, customers and releases.
    Names come from the kit and the fleet file, never from the network.

    Examples:
      # bash: add this line to ~/.bashrc
      source <(releaser completion bash)
      # zsh: into a directory of $fpath, before compinit runs
      releaser completion zsh > ~/.zfunc/_releaser
      # fish
      releaser completion fish > ~/.config/fish/completions/releaser.fish
    """
    from releaser.cli.completion import script

    emit(script(shell))


def register(app: typer.Typer) -> None:
    app.command()(completion)

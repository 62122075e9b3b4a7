"""The command registry: each command's name, the module that registers it and its one-line
help, in the order of `releaser --help`.

`releaser` imports a command's module only when that command runs (`releaser.cli.lazy`), so
`--help` and every command start without the other commands' adapters (git, requests,
jinja2). Each module registers its commands on a typer app with `register(app)`. The help
here is what `releaser --help` lists; tests/test_cli_startup.py checks that it is the first
paragraph of the command's own docstring and that every registered command is listed.
"""

from typing import NamedTuple


class Entry(NamedTuple):
    name: str
    module: str  # under releaser.cli.commands
    help: str


COMMANDS: tuple[Entry, ...] = (
    Entry(
        "components",
        "kit",
        "List the kit's components with chart, repository and version (credentials masked).",
    ),
    Entry("validate", "kit", "Check every kit file; print each problem as file:line: message."),
    Entry("diff", "kit", "What changed between two kit refs."),
    Entry("check", "check", "Newest upstream patch, minor and major release of each component."),
    Entry(
        "bump",
        "bump",
        "Edit a component's version in core/<section>/values.yaml; nothing else changes.",
    ),
    Entry(
        "compat",
        "compat",
        "Verdict per component and Kubernetes version, with the reasons of each.",
    ),
    Entry(
        "plan",
        "compat",
        "Newest release of each component compatible with the kit's whole Kubernetes range.",
    ),
    Entry("cut", "releases", "Create release/VERSION with its version and changelog entry."),
    Entry(
        "hotfix",
        "releases",
        "Commit a fix on release/VERSION as VERSION.P, with a changelog entry.",
    ),
    Entry(
        "releases",
        "releases",
        "Release branches with version, date, Kubernetes range and their customers.",
    ),
    Entry(
        "rollout",
        "rollout",
        "Move a customer to a kit version, checked before and confirmed healthy after.",
    ),
    Entry(
        "report",
        "report",
        "The compatibility report: changes, matrix, lifecycle, drift and customers.",
    ),
    Entry(
        "demo",
        "demo",
        "Build a sandbox and walk through check → plan → cut → rollout → report.",
    ),
    Entry(
        "example",
        "example",
        "Print a commented example file: the fleet, the mirror map, or a kit's layout.",
    ),
    Entry("completion", "completion", "Print the shell completion script for bash, zsh or fish."),
    Entry("data", "compat", "The packaged lifecycle and deprecated-API snapshots."),
    Entry(
        "campaign",
        "campaign",
        "Waves over the fleet: plan them with windows and preflight, or emit a CI definition.",
    ),
)

"""Conventions of the CLIs SREs use (helm, kubectl, gh): `-h` everywhere, `--version`, global
options before or after the command, and help that shows examples, readable metavars, a
text for every option and the choices an option takes."""

from __future__ import annotations

import inspect
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, get_args

import pytest
import typer
from typer._coercion import build_runtime_param
from typer.testing import CliRunner

from releaser import __version__
from releaser.cli.choices import ReportFormat, SectionName
from releaser.cli.coercion import PlainRuntimeParam
from releaser.cli.container import container
from releaser.cli.context import GlobalOptions
from releaser.cli.conventions import GLOBAL_PANEL
from releaser.cli.main import app
from releaser.domain.kit import SECTION_ORDER
from tests.kitrepo import make_kit_repo

runner = CliRunner()
GLOBAL_ARGS = ("--kit", "/k", "--fleet", "f.yaml", "--mirrors", "m.yaml", "--json", "-v")
GLOBAL_GIVEN = GlobalOptions(Path("/k"), Path("f.yaml"), Path("m.yaml"), json=True, verbose=True)
# What a type shows in typer's help when no metavar says what the value means.
PYTHON_TYPE = re.compile(r"<(bool|str|int|float|path|file|dir|list\[[^\]]*\]|[\w.-]+(\|[\w.-]+)+)>")


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), prog_name="releaser")


def command_paths() -> Iterator[list[str]]:
    """Every command and subcommand the root command lists (`["data", "refresh"]`)."""
    root = typer.main.get_command(app)
    ctx = root.make_context("releaser", ["-h"], resilient_parsing=True)
    for name in root.list_commands(ctx):
        yield [name]
        _, command, _ = root.resolve_command(ctx, [name])  # type: ignore[attr-defined]
        for sub in getattr(command, "commands", {}):
            yield [name, sub]


def resolved(path: list[str], args: list[str]) -> typer.Context:
    """The context of `releaser PATH ARGS` after parsing: nothing runs."""
    ctx = typer.main.get_command(app).make_context("releaser", [*path, *args])
    rest = [*ctx._protected_args, *ctx.args]  # type: ignore[attr-defined]
    while rest and isinstance(ctx.command, typer.core.TyperGroup):
        name, command, rest = ctx.command.resolve_command(ctx, rest)
        assert command is not None, name
        ctx = command.make_context(name, rest, parent=ctx)
        rest = [*ctx._protected_args, *ctx.args]  # type: ignore[attr-defined]
    return ctx


def required_arguments(path: list[str]) -> list[str]:
    """A value for each required argument and option of the command (its first choice, if
    any)."""
    command: Any = typer.main.get_command(app)
    parse_ctx = command.make_context("releaser", [*path], resilient_parsing=True)
    for name in path:
        _, command, _ = command.resolve_command(parse_ctx, [name])
    values = []
    for param in command.params:
        if param.required:
            choices = param.type_descriptor.choices
            value = str(choices[0]) if choices else "2024.1"
            is_option = param.param_type_name == "option"
            values += [param.opts[0], value] if is_option else [value]
    return values


ALL = list(command_paths())


def test_every_command_is_walked() -> None:
    names = [" ".join(p) for p in ALL]
    assert {"components", "check", "rollout", "report", "data", "data refresh"} <= set(names)
    assert "completion" in names


def test_version_prints_the_version_and_exits_0() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "--version"], capture_output=True, text=True
    )
    assert (done.returncode, done.stdout) == (0, f"releaser {__version__}\n")


@pytest.mark.parametrize("command", ["", "check", "rollout", "report", "validate"])
def test_dash_h_is_help_for_the_tool_and_every_command(command: str) -> None:
    args = [command, "-h"] if command else ["-h"]
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    assert f"Usage: releaser {command}".rstrip() in " ".join(result.output.split())
    long = invoke(*args[:-1], "--help")
    assert long.output == result.output


# ---------------------------------------------------------------- global options
@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_every_command_takes_the_global_options_after_its_name(path: list[str]) -> None:
    ctx = resolved(path, [*required_arguments(path), *GLOBAL_ARGS, "--no-color"])
    assert container(ctx).options == GlobalOptions(**{**GLOBAL_GIVEN.__dict__, "no_color": True})
    assert not set(ctx.params) & {"kit", "fleet", "mirrors", "json", "verbose", "no_color"}


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_before_the_name_they_reach_the_same_options(path: list[str]) -> None:
    ctx = resolved([], [*GLOBAL_ARGS, *path, *required_arguments(path)])
    assert container(ctx).options == GLOBAL_GIVEN


def test_an_option_given_before_and_after_the_name_takes_the_value_after() -> None:
    ctx = resolved([], ["--kit", "/before", "--json", "components", "--kit", "/after", "-v"])
    assert container(ctx).options == GlobalOptions(Path("/after"), json=True, verbose=True)


def test_components_json_and_validate_json_after_the_command(tmp_path: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    listed = invoke("components", "--json", "--kit", str(kit))
    assert listed.exit_code == 0, listed.output
    assert "cert-manager" in [c["name"] for c in json.loads(listed.stdout)["components"]]
    checked = invoke("validate", "--json", "--kit", str(kit))
    assert checked.exit_code == 0 and json.loads(checked.stdout) == {"valid": True, "problems": []}
    data = invoke("data", "--json")
    assert data.exit_code == 0 and json.loads(data.stdout)["snapshots"]


def test_the_value_after_the_name_is_the_one_used(tmp_path: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    missing = tmp_path / "missing"
    used_after = invoke("--kit", str(missing), "components", "--kit", str(kit), "--json")
    assert used_after.exit_code == 0, used_after.output
    refused = invoke("--kit", str(kit), "components", "--kit", str(missing))
    assert refused.exit_code == 2 and str(missing) in refused.stderr


def test_command_help_lists_the_global_options_under_their_own_heading() -> None:
    result = invoke("check", "-h")
    assert result.exit_code == 0
    own, _, global_part = result.stdout.split("─ Options ")[1].partition(GLOBAL_PANEL)
    assert "│ --offline" in own and "│ --json" not in own
    assert all(option in global_part for option in ("--kit", "--fleet", "--json", "--no-color"))


# ---------------------------------------------------------------- help of every command
@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_help_has_examples_readable_metavars_and_text_for_every_option(path: list[str]) -> None:
    result = invoke(*path, "-h")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Examples:" in text, path
    assert not PYTHON_TYPE.search(text), PYTHON_TYPE.search(text)
    assert not re.search(r"\{[a-z_]+\}", text.split("\n\n")[1])  # usage: {VERSION}, not {version}
    ctx = resolved(path, required_arguments(path))
    for param in ctx.command.get_params(ctx):
        assert param.help, (path, param.name)  # type: ignore[attr-defined]
        if param.param_type_name == "argument":
            assert param.metavar and param.metavar.isupper(), (path, param.name)
        choices = param.type_descriptor.choices  # type: ignore[attr-defined]
        if choices:  # on a terminal wide enough that the list is not wrapped inside its cell
            wide = runner.invoke(app, [*path, "-h"], prog_name="releaser", env={"COLUMNS": "120"})
            assert "[" + "|".join(choices) + "]" in wide.stdout, (path, param.name)


@pytest.mark.parametrize("path", ALL, ids=" ".join)
def test_each_example_is_a_valid_command_line_that_fits_80_columns(path: list[str]) -> None:
    ctx = resolved(path, required_arguments(path))
    help_text = inspect.cleandoc(ctx.command.help or "")
    _, examples = help_text.split("\nExamples:\n")
    commands = [line.strip() for line in examples.splitlines() if line.strip()]
    assert commands
    for line in help_text.split("\n\n", 1)[1].splitlines():
        assert len(line) <= 78, line  # help is 80 columns wide: nothing wraps mid-line
    for line in commands:
        if line.startswith("#"):
            continue
        example = re.search(r"releaser ([^)>|]*)", line)
        assert example, line
        argv = shlex.split(example.group(1))
        assert argv[: len(path)] == path or path[0] in argv, line
        first = argv.index(path[0])
        resolved(argv[:first], argv[first:])  # parses: options exist, choices are valid


# ---------------------------------------------------------------- choices
def test_section_choices_are_the_kit_sections() -> None:
    assert get_args(SectionName) == SECTION_ORDER


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["check", "--section", "azure"], "unknown section 'azure'; choose from base, aws, gcp"),
        (["compat", "--format", "html"], "unknown format 'html'; choose from table, md"),
        (["report", "2024.1", "--format", "pdf"], "unknown format 'pdf'; choose from md, html"),
        (["completion", "tcsh"], "unknown shell 'tcsh'; choose from bash, zsh, fish"),
    ],
)
def test_a_value_outside_the_choices_is_a_usage_error_naming_them(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    result = invoke("--kit", str(tmp_path), *args)
    assert result.exit_code == 2
    assert expected in " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.stderr).split())


def test_a_choice_converts_to_its_value_without_pydantic() -> None:
    code = (
        "import sys\n"
        "from releaser.cli.main import app\n"
        "from releaser.cli.container import container\n"
        "from tests.test_cli_conventions import resolved\n"
        "ctx = resolved(['check'], ['--section', 'aws', '--format', 'md'])\n"
        "assert ctx.params['section'] == 'aws' and ctx.params['fmt'] == 'md', ctx.params\n"
        "assert 'pydantic' not in sys.modules\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_choice_conversion_agrees_with_typers_own() -> None:
    probe = typer.Typer(add_completion=False)

    @probe.command()
    def pick(fmt: Annotated[ReportFormat, typer.Option("--format")] = "md") -> None:
        """A command with one choice."""

    command = typer.main.get_command(probe)
    ctx = typer.Context(command, info_name="pick")
    [param] = command.params
    descriptor = param.type_descriptor  # type: ignore[attr-defined]
    ours = PlainRuntimeParam(
        parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
    )
    theirs = build_runtime_param(descriptor)
    for value in get_args(ReportFormat):
        assert ours.coerce(value, param=param, ctx=ctx) == theirs.coerce(value, param, ctx)
    for wrong in ("pdf", "", "MD"):
        for runtime in (ours, theirs):
            with pytest.raises(typer.BadParameter):
                runtime.coerce(wrong, param=param, ctx=ctx)  # type: ignore[arg-type]

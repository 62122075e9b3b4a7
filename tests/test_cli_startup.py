"""Startup: commands are loaded on first use, and `--help` still shows every one of them."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer._coercion import build_runtime_param
from typer.testing import CliRunner

from releaser.cli import main
from releaser.cli.coercion import PlainRuntimeParam, install
from releaser.cli.commands import COMMANDS
from releaser.cli.lazy import LazyGroup
from releaser.cli.main import app
from tests.helmrepos import component, kit_components, serve_repos, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import FileServer

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def eager_app() -> typer.Typer:
    """The app as it was before lazy loading: every module registered up front (the group
    class still prepares each command as it resolves it: global options, readable help)."""
    eager = typer.Typer(
        cls=LazyGroup, no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
        help=app.info.help, context_settings=app.info.context_settings,
    )  # fmt: skip
    eager.callback()(main.global_options)
    for module in dict.fromkeys(entry.module for entry in COMMANDS):
        importlib.import_module(f"releaser.cli.commands.{module}").register(eager)
    return eager


def test_registry_lists_every_registered_command_in_help_order() -> None:
    group = typer.main.get_group(eager_app())
    assert [entry.name for entry in COMMANDS] == list(group.commands)


def test_registry_help_is_the_first_paragraph_of_each_command_help() -> None:
    group = typer.main.get_group(eager_app())
    for entry in COMMANDS:
        own = inspect.cleandoc(group.commands[entry.name].help or "").split("\n\n")[0]
        assert entry.help == own.replace("\n", " "), entry.name


def test_root_help_is_the_same_as_with_every_command_loaded() -> None:
    lazy = runner.invoke(app, ["--help"])
    eager = runner.invoke(eager_app(), ["--help"])
    assert lazy.exit_code == 0
    assert lazy.stdout == eager.stdout
    assert "Commands" in lazy.stdout and "rollout" in lazy.stdout


def test_command_help_is_the_real_command_help() -> None:
    for argv in (["check", "--help"], ["data", "--help"], ["data", "refresh", "--help"]):
        lazy = runner.invoke(app, argv)
        eager = runner.invoke(eager_app(), argv)
        assert lazy.exit_code == 0, argv
        assert lazy.stdout == eager.stdout, argv
    assert "--offline" in runner.invoke(app, ["check", "--help"]).stdout


def test_a_typo_still_gets_a_suggestion_and_exit_2() -> None:
    result = runner.invoke(app, ["chek"])
    assert result.exit_code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in result.stderr


def test_missing_argument_of_a_lazily_loaded_command_is_a_usage_error() -> None:
    result = runner.invoke(app, ["bump"])
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


def imported_after(*argv: str) -> set[str]:
    """Top-level modules (and releaser modules) imported by `releaser ARGV` in a fresh
    interpreter; exit codes other than 0 and 2 fail the test."""
    code = (
        "import json, sys\n"
        "from releaser.cli.main import app\n"
        "try:\n"
        f"    app({list(argv)!r}, prog_name='releaser')\n"
        "except SystemExit as done:\n"
        "    assert done.code in (0, 2, None), done.code\n"
        "names = {n.split('.')[0] for n in sys.modules} | {n for n in sys.modules if n.startswith('releaser.')}\n"
        "sys.stderr.write('\\nMODULES ' + json.dumps(sorted(names)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stderr.rsplit("MODULES ", 1)[1]))


def test_help_imports_no_command_module_and_no_adapter_library() -> None:
    loaded = imported_after("--help")
    assert not {m for m in loaded if m.startswith("releaser.cli.commands.")}
    # the container imports each adapter and use case where it builds it
    assert not {m for m in loaded if m.startswith(("releaser.adapters", "releaser.app"))}
    assert not loaded & {"git", "requests", "urllib3", "jinja2", "yaml", "ruamel", "pydantic"}


def test_help_of_a_command_imports_only_that_command_module() -> None:
    loaded = imported_after("check", "--help")
    assert {m for m in loaded if m.startswith("releaser.cli.commands.")} == {
        "releaser.cli.commands.check"
    }
    assert "pydantic" not in loaded


def test_running_commands_with_options_imports_no_pydantic_and_no_git(tmp_path: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    loaded = imported_after("--kit", str(kit), "--json", "components", "--section", "base")
    assert "releaser.cli.commands.kit" in loaded
    assert not loaded & {"pydantic", "git", "requests", "jinja2"}
    loaded = imported_after("--kit", str(kit), "hotfix", "2024.1", "--set", "a=1", "--dry-run")
    assert "pydantic" not in loaded


# ---------------------------------------------------------------- value conversion
probe = typer.Typer(add_completion=False)


@probe.command()
def probe_command(
    text: Annotated[str, typer.Option("--text")] = "",
    maybe: Annotated[str | None, typer.Option("--maybe")] = None,
    path: Annotated[Path | None, typer.Option("--path")] = None,
    existing: Annotated[Path | None, typer.Option("--existing", exists=True)] = None,
    items: Annotated[list[str] | None, typer.Option("--item")] = None,
    flag: Annotated[bool, typer.Option("--flag")] = False,
) -> None:
    """A command with one parameter of each plain kind."""


PROBE_VALUES = {
    "text": ["x", "", "ünïcode", " spaced "],
    "maybe": ["y", None],
    "path": ["a/b", "", "~/x", "/abs/./p/", Path("p")],
    "existing": [str(ROOT / "pyproject.toml"), str(ROOT / "missing.toml")],
    "items": [("a", "b=1"), ()],
    "flag": [True, False],
}


def converted(runtime: object, value: object, param: object, ctx: typer.Context) -> object:
    try:
        return runtime.coerce(value, param=param, ctx=ctx)  # type: ignore[attr-defined]
    except typer.BadParameter as err:
        return ("BadParameter", err.format_message())


def test_plain_conversion_gives_what_typers_own_conversion_gives() -> None:
    command = typer.main.get_command(probe)
    ctx = typer.Context(command, info_name="probe")
    params = {p.name: p for p in command.params}
    assert set(params) == set(PROBE_VALUES)
    for name, values in PROBE_VALUES.items():
        param = params[name]
        descriptor = param.type_descriptor  # type: ignore[attr-defined]
        ours = PlainRuntimeParam(
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
        )
        theirs = build_runtime_param(descriptor)
        for value in values:
            expected = converted(theirs, value, param, ctx)
            assert converted(ours, value, param, ctx) == expected, (name, value)
            assert type(converted(ours, value, param, ctx)) is type(expected), (name, value)


def test_install_covers_the_plain_parameters_and_help_but_not_others() -> None:
    command = typer.main.get_command(probe)
    ctx = typer.Context(command, info_name="probe")
    install(command, ctx)
    kinds = {p.name: type(p._runtime_param) for p in command.params}  # type: ignore[attr-defined]
    assert set(kinds.values()) == {PlainRuntimeParam}
    assert isinstance(command.get_help_option(ctx)._runtime_param, PlainRuntimeParam)  # type: ignore[union-attr]

    counted = typer.Typer(add_completion=False)

    @counted.command()
    def count(number: Annotated[int, typer.Option("--number")] = 1) -> None:
        """An int stays with typer."""

    command = typer.main.get_command(counted)
    install(command, typer.Context(command, info_name="count"))
    assert command.params[0]._runtime_param is None  # type: ignore[attr-defined]


def test_a_command_help_imports_no_adapter_library() -> None:
    for command in ("cut", "hotfix", "rollout", "bump", "demo", "compat"):
        loaded = imported_after(command, "--help")
        assert not loaded & {"git", "requests", "jinja2", "yaml", "pydantic"}, command


def test_listing_releases_without_a_fleet_imports_neither_requests_nor_jinja2(
    tmp_path: Path,
) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    loaded = imported_after("--kit", str(kit), "releases")
    assert "releaser.cli.commands.releases" in loaded
    assert not loaded & {"requests", "jinja2", "pydantic"}


def test_a_warm_check_imports_neither_requests_nor_the_index_parser(
    tmp_path: Path, upstream: Path
) -> None:
    dns = component("https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.19.0")
    kit = make_kit_repo(tmp_path / "kit", components=kit_components(base={"dns": dns}))
    with FileServer() as server:
        serve_repos(server, upstream / "helm-repos")
        argv = ("--kit", str(kit), "--mirrors", str(write_mirrors(tmp_path / "m.yaml", server)))
        cold = imported_after(*argv, "check")
        warm = imported_after(*argv, "check")
        assert [r.status for r in server.log] == [200, 304]
    assert "releaser.adapters.helm_index" in cold
    assert "urllib3" in warm
    assert not warm & {"requests", "charset_normalizer", "releaser.adapters.helm_index"}

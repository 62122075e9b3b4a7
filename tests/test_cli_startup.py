"""Startup: commands are loaded on first use, and `--help` still shows every one of them."""

from __future__ import annotations

import importlib
import inspect
import json
import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from releaser.cli import main
from releaser.cli.commands import COMMANDS
from releaser.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


def eager_app() -> typer.Typer:
    """The app as it was before lazy loading: every module registered up front."""
    eager = typer.Typer(
        no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
        help=app.info.help,
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
    assert not loaded & {"git", "requests", "urllib3", "jinja2", "yaml", "ruamel", "pydantic"}

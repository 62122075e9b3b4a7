"""Option values converted without pydantic.

typer 0.29 converts each option value through a pydantic `TypeAdapter` that it builds on the
parameter's first use; importing pydantic and building the adapters was ~150 ms of every
run. Our parameters are `str`, `Path`, `list[str]` (optional or not), bool flags and choices
among strings (`Literal["md", "html", "json"]`); for those typer's adapters amount to
`str(value)` and `Path(value)` plus its own path checks, and a lookup among the choices
(flags and unset values are not converted at all, but typer builds the adapter anyway).
A value outside the choices is a usage error (exit 2) in the words of the commands' own
checks: "unknown format 'pdf'; choose from md, html, json".
`install(command, ctx)` gives such parameters that conversion up front; any other parameter,
or a typer without this hook, keeps typer's own. tests/test_cli_startup.py compares the
results with typer's adapters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

try:  # typer's runtime-conversion hook (0.29); without it typer converts values itself
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_choice, coerce_cli_path
except ImportError:  # pragma: no cover - another typer version
    RuntimeParam = None  # type: ignore[assignment,misc]

if RuntimeParam is not None:

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """Conversion of a `str`, `Path`, `list[str]`, `bool` or string-choice parameter given
        text or a bool (as a command line gives it); anything else goes to typer's own."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            choices = _string_choices(param.type_descriptor)
            if choices and isinstance(value, str):
                return self._choose(value, choices, param, ctx)
            if self.annotation is bool and isinstance(value, bool):
                return value
            if self.annotation is str and isinstance(value, str):
                return str(value)
            if self.annotation is Path and isinstance(value, str | Path):
                path = value if isinstance(value, Path) else Path(value)
                return coerce_cli_path(
                    path, self.parameter_info, path_type=Path, param=param, ctx=ctx
                )
            if (
                self.annotation == list[str]
                and isinstance(value, list | tuple)
                and all(isinstance(item, str) for item in value)
            ):
                return [str(item) for item in value]
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)

        def _choose(self, value: str, choices: tuple[str, ...], param: Any, ctx: Any) -> str:
            sensitive = self.parameter_info.case_sensitive
            try:
                chosen: str = coerce_cli_choice(
                    value, choices=choices, case_sensitive=sensitive, ctx=ctx
                )
            except ValueError:
                noun = _noun(param)
                message = f"unknown {noun} {value!r}; choose from {', '.join(choices)}"
                raise typer.BadParameter(message, ctx=ctx, param=param) from None
            return chosen


def _noun(param: Any) -> str:
    """What a choice names, for messages: `--format` -> format, argument SHELL -> shell."""
    long = [opt for opt in param.opts if opt.startswith("--")]
    name = long[0].lstrip("-") if long else (param.metavar or param.name or "value")
    return str(name).replace("-", " ").replace("_", " ").lower()


def _string_choices(descriptor: Any) -> tuple[str, ...] | None:
    """The choices of a `Literal["a", "b"]` parameter (not a list of them, not an Enum)."""
    if descriptor.is_list:
        return None
    choices = descriptor.choices
    if choices and all(isinstance(choice, str) for choice in choices):
        return tuple(choices)
    return None


def _plain(param: Any) -> bool:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or descriptor.file_annotation is not None:
        return False
    info = descriptor.parameter_info
    if info.parser is not None or getattr(info, "path_type", None) is not None:
        return False
    return descriptor.annotation in (str, Path, bool, list[str]) or bool(
        _string_choices(descriptor)
    )


def install(command: Any, ctx: typer.Context) -> None:
    """Give the plain parameters of `command` and of its subcommands, `--help` included (made
    here as it would be on parsing), the conversion above."""
    if RuntimeParam is None:  # pragma: no cover - another typer version
        return
    for param in [*command.params, command.get_help_option(ctx)]:
        if getattr(param, "_runtime_param", False) is None and _plain(param):
            descriptor = param.type_descriptor
            param._runtime_param = PlainRuntimeParam(
                parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
            )
    for sub in getattr(command, "commands", {}).values():
        install(sub, ctx)

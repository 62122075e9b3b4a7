"""The command line of this run as the audit trail records it: rebuilt from the parsed
options (so it reads the same however the user spelled them), without secrets."""

from __future__ import annotations

import shlex
from typing import Any

import typer

from releaser.domain.redaction import redact, redact_url


def command_line(ctx: typer.Context) -> str:
    """`releaser --fleet f.yaml rollout --customer kuvaq --push`: every option that differs
    from its default, in the order the command declares them. A URL keeps only its scheme
    and host (a webhook's path is its credential); anything else secret-looking is masked."""
    chain: list[Any] = []  # typer's contexts, innermost first
    current: Any = ctx
    while current is not None:
        chain.append(current)
        current = current.parent
    words = ["releaser"]
    for level in reversed(chain):
        if level.parent is not None:
            words.append(level.info_name or level.command.name or "?")
        for param in level.command.params:
            words += _words(param, level.params.get(param.name or ""))
    return redact(" ".join(shlex.quote(w) for w in words))


def _words(param: Any, value: Any) -> list[str]:
    if value is None or value is False or value == param.default or value in ((), []):
        return []
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if param.param_type_name != "option":
        return [_shown(v) for v in values]
    flag = max(param.opts, key=len)
    if value is True:
        return [flag]
    return [w for v in values for w in (flag, _shown(v))]


def _shown(value: Any) -> str:
    text = str(value)
    return redact_url(text, host_only=True) if "://" in text else text

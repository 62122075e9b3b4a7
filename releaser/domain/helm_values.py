"""Helm values: how the kit and a customer's overrides combine, and just enough of Go
templates to read what given values switch off or print.

Pure. `merge_values` is Helm's coalescing (maps merge key by key, anything else replaces,
`null` deletes); `component_values` is what the kit's sections hand each component's chart
(`core/*/templates/_helpers.tpl`, `corekit.componentValues`). `evaluate` reads an `if`/`with`
condition or a printing action over `.Values`: the functions charts use for such decisions
(`and`, `or`, `not`, `eq`, `gt`, `int`, `default`, …) and pipelines. Anything else (`include`,
`.Capabilities`, variables) is `UNKNOWN`, and an unknown part never decides anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()

_TOKEN_RE = re.compile(r'\(|\)|\||"(?:[^"\\]|\\.)*"|`[^`]*`|[^\s()|]+')
_VALUES_RE = re.compile(r"^\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_-]*)*)$")
_NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?$")
MAX_EXPRESSION = 1000  # characters: a longer condition is no real chart's; it reads as unknown
MAX_TOKENS = 64  # also bounds the recursion of parentheses


# -- values ---------------------------------------------------------------------------------


def merge_values(base: Mapping[str, Any], *overlays: Mapping[str, Any]) -> dict[str, Any]:
    """`overlays` over `base`, as Helm coalesces values: a map merges into a map, any other
    value replaces, and `null` removes the key."""
    merged = dict(base)
    for overlay in overlays:
        merged = _merge(merged, overlay)
    return merged


def _merge(base: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overlay.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def component_values(
    name: str,
    section_global: Mapping[str, Any],
    own: Mapping[str, Any],
    overrides: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The values a kit section hands component `name`'s chart: the section's `global` under
    `global`, then the component's own `values` (its keys win). `overrides` are a customer's
    values for that section, in order: they change `global` and `components.<name>.values`."""
    shared, mine = dict(section_global), dict(own)
    for override in overrides:
        shared = merge_values(shared, _mapping(override.get("global")))
        components = _mapping(override.get("components"))
        mine = merge_values(mine, _mapping(_mapping(components.get(name)).get("values")))
    return merge_values({"global": shared} if shared else {}, mine)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def lookup(values: Mapping[str, Any], path: Sequence[str]) -> Any:
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None  # Go templates read a missing key as nil
        node = node[key]
    return node


def truthy(value: Any) -> bool:
    """Go template truth: false, 0, nil and empty strings, lists and maps are false."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float, str, list, tuple, Mapping)):
        return bool(value)
    return True


# -- Go-template expressions ----------------------------------------------------------------


def evaluate(expression: str, values: Mapping[str, Any]) -> Any:
    """The value of a pipeline such as `and .Values.a (gt (int .Values.n) 1)` or
    `.Values.api | default "policy/v1"`, or UNKNOWN."""
    if len(expression) > MAX_EXPRESSION:
        return UNKNOWN
    tokens = _TOKEN_RE.findall(expression)
    if not tokens or len(tokens) > MAX_TOKENS:
        return UNKNOWN
    value, end = _pipeline(tokens, 0, values)
    return value if end == len(tokens) else UNKNOWN


def condition(expression: str, values: Mapping[str, Any]) -> bool | None:
    """Whether an `if`/`with` condition holds with `values`; None when it cannot be told."""
    value = evaluate(expression, values)
    return None if value is UNKNOWN else truthy(value)


def printed(expression: str, values: Mapping[str, Any]) -> str | None:
    """What an action prints with `values` (nil prints nothing, as in Helm), or None."""
    value = evaluate(expression, values)
    if value is UNKNOWN or isinstance(value, (Mapping, list)):
        return None
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def referenced(expression: str, values: Mapping[str, Any]) -> list[Any]:
    """The values of every `.Values.…` path the expression names (set ones only)."""
    if len(expression) > MAX_EXPRESSION:
        return []
    found = []
    for token in _TOKEN_RE.findall(expression):
        path = _VALUES_RE.match(token)
        if path is not None and (value := _literal(token, values)) is not None:
            found.append(value)
    return found


def _pipeline(tokens: list[str], at: int, values: Mapping[str, Any]) -> tuple[Any, int]:
    value, at = _command(tokens, at, values, ())
    while at < len(tokens) and tokens[at] == "|":
        value, at = _command(tokens, at + 1, values, (value,))
    return value, at


def _command(
    tokens: list[str], at: int, values: Mapping[str, Any], piped: tuple[Any, ...]
) -> tuple[Any, int]:
    """A function with its arguments (the piped value last), or one operand."""
    if at >= len(tokens) or tokens[at] in (")", "|"):
        return UNKNOWN, at
    function = _FUNCTIONS.get(tokens[at])
    if function is None and (piped or not _ends(tokens, at + 1)):
        return UNKNOWN, _skip(tokens, at)  # a call of something not modelled
    if function is None:
        return _operand(tokens, at, values)
    args: list[Any] = []
    at += 1
    while not _ends(tokens, at):
        arg, at = _operand(tokens, at, values)
        args.append(arg)
    return function([*args, *piped]), at


def _ends(tokens: list[str], at: int) -> bool:
    return at >= len(tokens) or tokens[at] in (")", "|")


def _skip(tokens: list[str], at: int) -> int:
    """Past the command starting at `at`: to the `|` or `)` that closes its level."""
    depth = 0
    while at < len(tokens):
        token = tokens[at]
        if depth == 0 and token in (")", "|"):
            return at
        depth += {"(": 1, ")": -1}.get(token, 0)
        at += 1
    return at


def _operand(tokens: list[str], at: int, values: Mapping[str, Any]) -> tuple[Any, int]:
    token = tokens[at]
    if token == "(":
        value, at = _pipeline(tokens, at + 1, values)
        if at < len(tokens) and tokens[at] == ")":
            return value, at + 1
        return UNKNOWN, len(tokens)
    return _literal(token, values), at + 1


def _literal(token: str, values: Mapping[str, Any]) -> Any:
    path = _VALUES_RE.match(token)
    if path is not None:
        return lookup(values, [p for p in path.group(1).split(".") if p])
    if token in ("true", "false"):
        return token == "true"
    if token == "nil":
        return None
    if _NUMBER_RE.match(token):
        return float(token) if "." in token else int(token)
    if token.startswith("`"):
        return token[1:-1]
    if token.startswith('"'):
        try:
            return str(json.loads(token))
        except ValueError:
            return UNKNOWN
    return UNKNOWN


# -- the functions charts decide with (Go's builtins and sprig's) ---------------------------


def _known(args: list[Any]) -> bool:
    return all(a is not UNKNOWN for a in args)


def _and(args: list[Any]) -> Any:
    for arg in args:
        if arg is UNKNOWN:
            return UNKNOWN
        if not truthy(arg):
            return arg
    return args[-1] if args else UNKNOWN


def _or(args: list[Any]) -> Any:
    for arg in args:
        if arg is UNKNOWN:
            return UNKNOWN
        if truthy(arg):
            return arg
    return args[-1] if args else UNKNOWN


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    if _number(a) is not None and _number(b) is not None:
        return _number(a), _number(b)
    if isinstance(a, str) and isinstance(b, str):
        return a, b
    return None


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        if len(args) != 2 or not _known(args):
            return UNKNOWN
        pair = _comparable(*args)
        return UNKNOWN if pair is None else test(*pair)

    return call


def _eq(args: list[Any]) -> Any:
    if len(args) < 2 or not _known(args):
        return UNKNOWN
    first = args[0]
    for other in args[1:]:
        pair = _comparable(first, other)
        if pair is None and (first is None or other is None):
            pair = (first, other)
        if pair is None:
            return UNKNOWN
        if pair[0] == pair[1]:
            return True
    return False


def _to_int(args: list[Any]) -> Any:
    """sprig's `int`/`int64` (cast.ToInt): nil and unreadable text are 0."""
    if len(args) != 1 or not _known(args):
        return UNKNOWN
    value = args[0]
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        return int(text) if re.fullmatch(r"-?\d+", text) else 0
    return 0 if value is None else UNKNOWN


def _to_float(args: list[Any]) -> Any:
    if len(args) != 1 or not _known(args):
        return UNKNOWN
    value = args[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and _NUMBER_RE.match(value.strip()):
        return float(value)
    return 0.0 if value is None else UNKNOWN


def _default(args: list[Any]) -> Any:
    """sprig's `default DEFAULT GIVEN`: GIVEN unless it is empty."""
    if len(args) != 2 or args[1] is UNKNOWN:
        return UNKNOWN
    return args[1] if truthy(args[1]) else args[0]


def _one(function: Callable[[Any], Any]) -> Callable[[list[Any]], Any]:
    def call(args: list[Any]) -> Any:
        return function(args[0]) if len(args) == 1 and _known(args) else UNKNOWN

    return call


def _has_key(args: list[Any]) -> Any:
    if len(args) != 2 or not _known(args) or not isinstance(args[0], Mapping):
        return UNKNOWN
    return args[1] in args[0]


def _required(args: list[Any]) -> Any:
    return args[-1] if len(args) == 2 and args[-1] is not None else UNKNOWN


def _text(value: Any) -> Any:
    return UNKNOWN if isinstance(value, (Mapping, list)) else ("" if value is None else str(value))


_FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "and": _and,
    "or": _or,
    "not": _one(lambda v: not truthy(v)),
    "eq": _eq,
    "ne": lambda args: UNKNOWN if (r := _eq(args)) is UNKNOWN or len(args) != 2 else not r,
    "lt": _compare(lambda a, b: a < b),
    "le": _compare(lambda a, b: a <= b),
    "gt": _compare(lambda a, b: a > b),
    "ge": _compare(lambda a, b: a >= b),
    "int": _to_int,
    "int64": _to_int,
    "float64": _to_float,
    "default": _default,
    "empty": _one(lambda v: not truthy(v)),
    "hasKey": _has_key,
    "required": _required,
    "toString": _one(_text),
    "quote": _one(lambda v: UNKNOWN if (t := _text(v)) is UNKNOWN else json.dumps(t)),
    "squote": _one(lambda v: UNKNOWN if (t := _text(v)) is UNKNOWN else f"'{t}'"),
}

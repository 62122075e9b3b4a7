"""Durations as people write them: `90s`, `15m`, `1h30m`, `2d`, `1.5h` (one parser for
options, fleet keys and environment variables)."""

from __future__ import annotations

import math
import re

from releaser.domain.errors import UsageError

HINT = "use for example 90s, 15m, 1h30m or 2d"
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_PART = re.compile(r"(\d+(?:\.\d+)?)(d|h|min|m|s)")
_UNIT_SECONDS = {"d": 86400.0, "h": 3600.0, "min": 60.0, "m": 60.0, "s": 1.0}


def parse_duration(text: str, *, unit_required: bool = False) -> float:
    """Seconds in `text`. A bare number is seconds, unless `unit_required` (where `24` could
    mean hours as well); `0` is always zero."""
    compact = text.strip().lower().replace(" ", "")
    if _NUMBER.fullmatch(compact):
        seconds = float(compact)
        if unit_required and seconds != 0:
            raise UsageError(f"invalid duration {text!r}: give its unit", hint=HINT)
        return seconds
    total, end = 0.0, 0
    for part in _PART.finditer(compact):
        if part.start() != end:
            break
        total += float(part[1]) * _UNIT_SECONDS[part[2]]
        end = part.end()
    if not compact or end != len(compact):
        raise UsageError(f"invalid duration {text!r}", hint=HINT)
    if not math.isfinite(total) or total > 10 * 365 * 86400:
        raise UsageError(f"invalid duration {text!r}: longer than ten years", hint=HINT)
    return total

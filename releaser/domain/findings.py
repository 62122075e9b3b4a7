"""What one source of compatibility knowledge says: the shared currency of every verdict.

A `Finding` is one statement by one source (a chart's kubeVersion, the upstream support
matrix, the deprecated-API table, a lifecycle calendar). Verdicts combine findings; the
combination rule lives here so every caller agrees on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from releaser.domain.versions import InvalidVersion, KubeVersion

Level = Literal["ok", "warn", "fail", "unknown"]
LEVELS: tuple[Level, ...] = get_args(Level)
_PRECEDENCE: tuple[Level, ...] = ("fail", "warn", "ok")


@dataclass(frozen=True)
class Finding:
    """One source's statement about a (component version, Kubernetes version) pair.

    `source` is a short stable identifier (e.g. "lifecycle/eks", "matrix", "deprecated-apis");
    `url` points at the upstream page the statement comes from, when there is one.
    """

    level: Level
    source: str
    message: str
    url: str | None = None


def worst(levels: Iterable[Level]) -> Level:
    """Combine levels: any fail -> fail; else any warn -> warn; else any ok -> ok; else unknown.

    `unknown` means no source said anything, so it only wins when nothing else is known:
    one source that is silent does not weaken another source's `ok`.
    """
    seen = set(levels)
    return next((level for level in _PRECEDENCE if level in seen), "unknown")


def combined(findings: Iterable[Finding]) -> Level:
    """The combined level of findings (see `worst`)."""
    return worst(f.level for f in findings)


def minor_tuple(text: str) -> tuple[int, int] | None:
    """`1.30`, `v1.30.4-eks-a737599`, `1.30.5-gke.1014001` -> (1, 30); None when not a version.

    Lenient on purpose (data files and user input): `KubeVersion` does the parsing.
    """
    try:
        return KubeVersion.parse(text.strip()).minor_tuple
    except InvalidVersion:
        return None


def minor_str(text: str) -> str | None:
    """Normalised `major.minor` of a Kubernetes version string, or None."""
    parsed = minor_tuple(text)
    return f"{parsed[0]}.{parsed[1]}" if parsed else None

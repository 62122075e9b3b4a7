"""`CheckMemo` on disk: the upgrades `check` found for a chart, kept per index digest.

A warm `check` whose indexes are unchanged (one 304 each) would otherwise read every release
of every chart back from the cache (4,000+ on the core kit) and sort them again, only to
reach the same answer. The answer depends on nothing but the chart's releases, the current
version and `--pre`, so it is stored under those, next to the digest of the index it came
from:

    checks/<key>.json   {"format", "releaser", "revision", "answers": {"<version> <pre>": …}}

`<key>` hashes the upstream repository URL (`cache_files.url_key`: no credentials, one
spelling) and the chart name. A new index digest, another
releaser version or another record format makes every stored answer a miss; the record
then starts afresh. Sources that cannot name a digest (OCI) are never memoized.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from releaser import __version__
from releaser.adapters.cache import release_from_json, release_to_json
from releaser.adapters.cache_files import read_json_object, url_key, write_json
from releaser.domain.charts import ChartRelease
from releaser.domain.kit import Component
from releaser.domain.releases_select import Candidates, Upgrades

# Bump when the record changes or the selection rules (domain/releases_select.py) do.
_FORMAT = 1
_SLOTS = ("current", "patch", "minor", "major", "newest")


class Revisions(Protocol):
    def revision(self, repo_url: str, chart: str) -> str | None: ...


class CheckMemoFiles:
    def __init__(self, revisions: Revisions, root: Path) -> None:
        self._revisions = revisions
        self._root = root

    def recall(self, component: Component, include_prerelease: bool) -> Upgrades | None:
        revision = self._revisions.revision(component.repo_url, component.chart)
        record = self._record(component, revision)
        answer = record["answers"].get(_answer_key(component, include_prerelease))
        if answer is None:
            return None
        try:
            return upgrades_from_json(answer)
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    def remember(self, component: Component, include_prerelease: bool, upgrades: Upgrades) -> None:
        revision = self._revisions.revision(component.repo_url, component.chart)
        if revision is None:
            return
        record = self._record(component, revision)
        record["answers"][_answer_key(component, include_prerelease)] = upgrades_to_json(upgrades)
        write_json(self._file(component), record)

    def _record(self, component: Component, revision: str | None) -> dict[str, Any]:
        """The stored record when it belongs to `revision` and this code, else a fresh one."""
        fresh = {"format": _FORMAT, "releaser": __version__, "revision": revision, "answers": {}}
        if revision is None:
            return fresh
        data = read_json_object(self._file(component))
        if (
            data is None
            or [data.get("format"), data.get("releaser"), data.get("revision")]
            != [_FORMAT, __version__, revision]
            or not isinstance(data.get("answers"), dict)
        ):
            return fresh
        return data

    def _file(self, component: Component) -> Path:
        return self._root / "checks" / f"{url_key(component.repo_url, component.chart)}.json"


def _answer_key(component: Component, include_prerelease: bool) -> str:
    return f"{component.version} {'pre' if include_prerelease else 'stable'}"


def upgrades_to_json(upgrades: Upgrades) -> dict[str, Any]:
    """Each release once (a candidate is usually also the last of its steps)."""
    table: list[ChartRelease] = []
    position: dict[int, int] = {}  # id(release) -> index in table

    def ref(release: ChartRelease | None) -> int | None:
        if release is None:
            return None
        if id(release) not in position:
            position[id(release)] = len(table)
            table.append(release)
        return position[id(release)]

    found = upgrades.candidates
    candidates = {slot: ref(getattr(found, slot)) for slot in _SLOTS}
    steps = {kind: [ref(r) for r in chain] for kind, chain in upgrades.steps.items()}
    return {
        "releases": [release_to_json(r) for r in table],
        "candidates": candidates,
        "steps": steps,
    }


def upgrades_from_json(data: dict[str, Any]) -> Upgrades:
    table = [release_from_json(item) for item in data["releases"]]

    def pick(index: int | None) -> ChartRelease | None:
        return None if index is None else table[index]

    slots = data["candidates"]
    candidates = Candidates(**{slot: pick(slots[slot]) for slot in _SLOTS})
    steps = {kind: [table[i] for i in chain] for kind, chain in data["steps"].items()}
    return Upgrades(candidates, steps)

"""`releaser data` and `releaser data refresh`: show and update the dated data snapshots.

The use cases see the snapshots through `DataStore` (implemented by
`releaser.adapters.datasets.DataStore`) and the upstream through a callable that returns
the rebuilt documents (`releaser.adapters.data_refresh.upstream_snapshots`), wired by the CLI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from releaser.domain.deprecations import DeprecationTable
from releaser.domain.errors import UpstreamError
from releaser.domain.lifecycle import ComponentLifecycles, LifecycleTable

Document = Mapping[str, Any]
STALE_DAYS = 90  # a snapshot older than this misses end-of-life dates and removals: say so
# What each snapshot must contain to be worth writing (an empty answer is an upstream fault).
_BODIES = {
    "kubernetes-lifecycle": "minors",
    "deprecated-apis": "entries",
    "component-lifecycles": "products",
}


class DataStore(Protocol):
    def lifecycle(self) -> LifecycleTable: ...
    def deprecations(self) -> DeprecationTable: ...
    def component_lifecycles(self) -> ComponentLifecycles: ...
    def origin(self, name: str) -> str: ...
    def write(self, documents: Mapping[str, Document]) -> list[str]: ...


@dataclass(frozen=True)
class SnapshotInfo:
    """One snapshot as `releaser data` prints it; `path` is the file actually in use."""

    name: str
    date: date
    source: str
    newest_minor: str | None
    path: str


@dataclass(frozen=True)
class RefreshResult:
    before: tuple[SnapshotInfo, ...]
    after: tuple[SnapshotInfo, ...]
    written: tuple[str, ...]


def data_status(store: DataStore) -> list[SnapshotInfo]:
    lifecycle, deprecations = store.lifecycle(), store.deprecations()
    components = store.component_lifecycles()
    return [
        SnapshotInfo(
            "kubernetes-lifecycle",
            lifecycle.date,
            lifecycle.source,
            lifecycle.newest_minor(),
            store.origin("kubernetes-lifecycle"),
        ),
        SnapshotInfo(
            "deprecated-apis",
            deprecations.date,
            deprecations.source,
            _newest_removal(deprecations),
            store.origin("deprecated-apis"),
        ),
        SnapshotInfo(
            "component-lifecycles",
            components.date,
            components.source,
            None,
            store.origin("component-lifecycles"),
        ),
    ]


def stale_warning(
    infos: Sequence[SnapshotInfo], today: date, max_age: int = STALE_DAYS
) -> str | None:
    """One line naming every snapshot in use that is older than `max_age` days, or None."""
    old = [i for i in infos if (today - i.date).days > max_age]
    if not old:
        return None
    listed = ", ".join(f"{i.name} of {i.date.isoformat()}" for i in old)
    age = max((today - i.date).days for i in old)
    return (
        f"data snapshots older than {max_age} days in use ({listed}; {age} days old): "
        "verdicts may miss newer end-of-life dates and API removals; run `releaser data "
        "refresh` (without internet: `releaser data refresh --from DIR`)"
    )


def _newest_removal(table: DeprecationTable) -> str | None:
    """The newest Kubernetes minor the table knows a removal for: how far it reaches."""
    minors = [e.removed_in for e in table.entries if e.component == "k8s" and e.removed_in]
    return max(minors, key=lambda m: tuple(int(p) for p in m.split(".")), default=None)


def refresh(
    fetch_snapshots: Callable[[], Mapping[str, Document]], store: DataStore
) -> RefreshResult:
    """Fetch and rebuild every snapshot, then write them all; any failure writes nothing."""
    before = tuple(data_status(store))
    documents = fetch_snapshots()
    for name, key in _BODIES.items():
        if not (documents.get(name) or {}).get(key):
            raise UpstreamError(
                f"the upstream answers gave no {key} for {name}",
                hint="the packaged data snapshot is unchanged; retry later",
            )
    written = tuple(store.write(documents))
    return RefreshResult(before, tuple(data_status(store)), written)

"""`check`: for every component, the newest upstream patch, minor and major releases.

Repositories are queried concurrently; one failing repository marks its components with
an error and the others are still reported (the command then exits 4), unless a cached copy
of it young enough stood in: then its components are answered and marked stale. With a memo, a
component whose chart releases are unchanged since an earlier run (same index) gets that
run's answer back instead of reading and sorting every release again.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from releaser.app.ports import ChartSource
from releaser.app.ports_sources import CheckMemo, StaleCopies
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import ReleaserError
from releaser.domain.kit import Component
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.releases_select import Candidates, ReleasePool
from releaser.domain.unverified import Stale, stale_of, unique

MAX_WORKERS = 8


@dataclass(frozen=True)
class ComponentCheck:
    component: Component
    candidates: Candidates | None = None
    # For each of patch/minor/major: the releases after current up to that candidate.
    steps: dict[str, list[ChartRelease]] = field(default_factory=dict)
    error: str | None = None
    stale: Stale | None = None  # answered from a cached copy: its upstream failed


@dataclass(frozen=True)
class CheckResult:
    items: tuple[ComponentCheck, ...]
    include_prerelease: bool = False

    @property
    def failed(self) -> tuple[ComponentCheck, ...]:
        return tuple(i for i in self.items if i.error is not None)

    @property
    def stale(self) -> tuple[Stale, ...]:
        return unique(i.stale for i in self.items if i.stale is not None)


def check_components(
    components: Sequence[Component],
    source: ChartSource,
    *,
    include_prerelease: bool = False,
    progress: Progress | None = None,
    workers: int = MAX_WORKERS,
    memo: CheckMemo | None = None,
    stale: StaleCopies | None = None,
) -> CheckResult:
    """Check each component against its repository; results keep the components' order.
    `stale` tells which answers came from a cached copy standing in for its upstream."""
    bar = progress or NoProgress()

    def one(component: Component) -> ComponentCheck:
        try:
            return check_one(component, source, include_prerelease, memo, stale)
        finally:
            bar.advance(component.name)  # done, in whatever order the threads finish

    threads = max(1, min(workers, len(components) or 1))
    with batch(bar, len(components), "checking"), ThreadPoolExecutor(threads) as pool:
        items = tuple(pool.map(one, components))
    return CheckResult(items, include_prerelease)


def check_one(
    component: Component,
    source: ChartSource,
    include_prerelease: bool,
    memo: CheckMemo | None = None,
    stale: StaleCopies | None = None,
) -> ComponentCheck:
    try:
        found = memo.recall(component, include_prerelease) if memo else None
        if found is None:
            releases = source.releases(component.repo_url, component.chart)
            if not releases:
                return ComponentCheck(
                    component, error=f"no releases of chart '{component.chart}' found"
                )
            found = ReleasePool(releases, include_prerelease).upgrades(component.version)
            if memo:
                memo.remember(component, include_prerelease, found)
    except ReleaserError as err:
        return ComponentCheck(component, error=err.message)
    copy = stale.used(component.repo_url, component.chart) if stale else None
    return ComponentCheck(
        component, found.candidates, found.steps, stale=stale_of(component.name, copy)
    )

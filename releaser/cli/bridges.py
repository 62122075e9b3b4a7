"""Small objects that fit the container's adapters to the use cases' ports.

Pure wiring: each defers or adapts a call; the I/O stays in the adapters they are given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from releaser.adapters.kit_remote import KitRemote
from releaser.app.kit import load_kit
from releaser.app.ports import YamlParser
from releaser.app.ports_rollout import ClusterJudgement, ComponentVerdicts
from releaser.domain.kit import Kit
from releaser.domain.profiles import Profile
from releaser.domain.rollout import Overrides
from releaser.domain.versions import KitVersion


class KitReleaseBranches:
    """KitReleases over the kit remote; each release is loaded and validated once."""

    def __init__(self, url: Callable[[], str], cache: Path, parse: YamlParser) -> None:
        self._url = url
        self._cache = cache
        self._parse = parse
        self._remote: KitRemote | None = None
        self._kits: dict[KitVersion, Kit | None] = {}

    @property
    def remote(self) -> KitRemote:
        """Resolved on first use: `rollout --status` never needs the kit."""
        if self._remote is None:
            self._remote = KitRemote(self._url(), self._cache)
        return self._remote

    def versions(self) -> dict[KitVersion, str]:
        return self.remote.versions()

    def load(self, version: KitVersion) -> Kit | None:
        key = version.release
        if key not in self._kits:
            files = self.remote.files(key)
            self._kits[key] = None if files is None else load_kit(files, self._parse)
        return self._kits[key]


class LazyVerdicts:
    """The compatibility engine, built only when a preflight needs it (not for --status)."""

    def __init__(self, build: Callable[[], ComponentVerdicts]) -> None:
        self._build = build
        self._verdicts: ComponentVerdicts | None = None

    def on_cluster(
        self, kit: Kit, components: list[str], cluster_version: str,
        overrides: Sequence[Overrides] = (), *, profile: Profile | None = None,
    ) -> ClusterJudgement:
        if self._verdicts is None:
            self._verdicts = self._build()
        return self._verdicts.on_cluster(
            kit, components, cluster_version, overrides, profile=profile
        )


class NoNotifier:
    def send(self, text: str) -> None:
        return None


class FixedClock:
    """The run's date (RELEASER_TODAY pins it), for reproducible changelogs."""

    def __init__(self, today: date) -> None:
        self._today = today

    def today(self) -> date:
        return self._today


class FleetVersions:
    """Customer -> the kit branch its repository references, read when first asked."""

    def __init__(self, read: Callable[[], dict[str, str]]) -> None:
        self._read = read

    def versions(self) -> dict[str, str]:
        return self._read()

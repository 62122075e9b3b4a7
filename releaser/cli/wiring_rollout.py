"""Wiring for `rollout`: concrete adapters behind the rollout ports."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from releaser.adapters.customer_repo import GitCustomerRepos
from releaser.adapters.fleet_file import load_fleet
from releaser.adapters.git import run_git
from releaser.adapters.kit_remote import KitRemote
from releaser.adapters.rollout_log import JsonlRolloutLog, log_path
from releaser.adapters.yaml import load_values, parse_document, parse_manifests
from releaser.app.kit import load_kit
from releaser.app.ports_rollout import ArgoCd, ClusterJudgement, Notifier
from releaser.app.rollout import RolloutPorts
from releaser.cli.context import Settings
from releaser.cli.output import info
from releaser.cli.wiring import kit_root
from releaser.domain.errors import GitError, UsageError
from releaser.domain.fleet import Fleet
from releaser.domain.kit import Kit
from releaser.domain.redaction import remember_secret
from releaser.domain.versions import KitVersion

if TYPE_CHECKING:
    from releaser.app.compat_ports import ClusterVerdicts


def read_fleet(settings: Settings) -> tuple[Fleet, Path]:
    path = settings.fleet_path
    fleet = load_fleet(path)
    assert path is not None  # load_fleet refuses None
    return fleet, path


def kit_remote_url(settings: Settings, fleet: Fleet) -> str:
    """The fleet's `kit.remote`, else the kit checkout's `origin`."""
    if fleet.kit_remote:
        return fleet.kit_remote
    root = kit_root(settings)
    try:
        return run_git(root, "remote", "get-url", "origin").decode().strip()
    except GitError:
        raise UsageError(
            f"the kit checkout {root} has no 'origin' remote to read release branches from",
            hint="set kit.remote in the fleet file",
        ) from None


class KitReleaseBranches:
    """KitReleases over the kit remote; each release is loaded and validated once."""

    def __init__(self, url: Callable[[], str], cache: Path) -> None:
        self._url = url
        self._cache = cache
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
            self._kits[key] = None if files is None else load_kit(files, parse_document)
        return self._kits[key]


class LazyVerdicts:
    """The compatibility engine, built only when a preflight needs it (not for --status)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._verdicts: ClusterVerdicts | None = None

    def on_cluster(
        self, kit: Kit, components: list[str], cluster_version: str
    ) -> ClusterJudgement:
        if self._verdicts is None:
            # Imported here: the engine pulls in the chart sources (requests) and archives.
            from releaser.app.compat_ports import ClusterVerdicts
            from releaser.cli.wiring_compat import compat_service, today

            self._verdicts = ClusterVerdicts(compat_service(self.settings), today(self.settings))
        return self._verdicts.on_cluster(kit, components, cluster_version)


class NoNotifier:
    def send(self, text: str) -> None:
        return None


class SystemClock:
    def now(self) -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# The HTTP client is built only when Argo CD or a webhook is used: `rollout --status` never
# needs it.


def argocd_client(url: str, token: str) -> ArgoCd:
    from releaser.adapters.argocd import ArgoCdClient
    from releaser.cli.wiring_sources import http_client

    return ArgoCdClient(http_client(), url, token)


def notifier(fleet: Fleet, url: str | None) -> Notifier:
    target = url or fleet.notify
    if not target:
        return NoNotifier()
    remember_secret(target)  # the webhook URL's path is its credential
    from releaser.adapters.notify import WebhookNotifier
    from releaser.cli.wiring_sources import http_client

    return WebhookNotifier(http_client(), target, info)


def rollout_ports(
    settings: Settings, fleet: Fleet, fleet_file: Path, notify_url: str | None = None
) -> RolloutPorts:
    caches = settings.config.cache
    kit = KitReleaseBranches(lambda: kit_remote_url(settings, fleet), caches.kits)
    return RolloutPorts(
        repos=GitCustomerRepos(caches.customers),
        kit=kit,
        parse_manifests=parse_manifests,
        parse_values=load_values,
        verdicts=LazyVerdicts(settings),
        log=JsonlRolloutLog(log_path(fleet_file)),
        notifier=notifier(fleet, notify_url),
        clock=SystemClock(),
        argocd=argocd_client,
        env=settings.config.env,
        progress=info,
    )

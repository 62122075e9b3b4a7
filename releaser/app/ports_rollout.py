"""What the rollout use cases need from the outside world; adapters implement these."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from releaser.domain.document import ManifestDoc
from releaser.domain.fleet import Customer
from releaser.domain.gate import AppState
from releaser.domain.kit import Kit
from releaser.domain.profiles import Profile
from releaser.domain.rollout import Overrides
from releaser.domain.unverified import Unverified
from releaser.domain.versions import KitVersion


class RepoSnapshot(Protocol):
    """A customer's repository at one commit, read straight from git objects."""

    @property
    def commit(self) -> str: ...

    @property
    def parent(self) -> str | None: ...

    def files(self, under: str) -> list[str]:
        """Repository-relative paths of the files below `under` ('' for all)."""
        ...

    def read(self, paths: list[str]) -> dict[str, bytes]:
        """The content of each path that exists (absent paths are left out)."""
        ...


class CustomerRepo(Protocol):
    """One customer's repository, fetched fresh into the local clone cache."""

    def base(self) -> RepoSnapshot:
        """The customer's branch as it is on the remote now."""
        ...

    def remote_work(self) -> RepoSnapshot | None:
        """The rollout branch on the remote, if it exists."""
        ...

    def local_work(self) -> RepoSnapshot | None:
        """The rollout branch committed locally by an earlier run, if any."""
        ...

    def commit(self, base: str, files: Mapping[str, bytes], message: str) -> str:
        """A commit on top of `base` with `files` replaced; it becomes the local rollout
        branch. Returns its id."""
        ...

    def push(self, commit: str, branch: str, options: Sequence[str] = ()) -> None:
        """Fast-forward `branch` on the remote to `commit`; never forces. `options` go with
        it as `git push -o` (GitLab opens a merge request with them). Raises GitError."""
        ...


class CustomerRepos(Protocol):
    def open(self, customer: Customer, work_branch: str | None = None) -> CustomerRepo:
        """Clone or fetch (shallow) the customer's branch and, if named, its rollout branch."""
        ...


class ManifestParser(Protocol):
    def __call__(self, text: str, file: str) -> list[ManifestDoc]: ...


class ValuesParser(Protocol):
    def __call__(self, text: str, file: str) -> Any: ...


class KitReleases(Protocol):
    """The kit's release branches on the kit remote."""

    def versions(self) -> dict[KitVersion, str]:
        """Every release (`release/YYYY.N`) and the commit its branch points at."""
        ...

    def load(self, version: KitVersion) -> Kit | None:
        """The kit on `release/<version>`, or None when that branch does not exist."""
        ...


@dataclass(frozen=True)
class ClusterJudgement:
    """The preflight's compatibility answer: one readable reason per component whose verdict
    is `fail`, and the components no verdict could judge (their upstream was unreadable)."""

    failures: tuple[str, ...] = ()
    unverified: tuple[Unverified, ...] = ()


class ComponentVerdicts(Protocol):
    """Compatibility verdicts (SPEC §6) of a kit's components on one cluster version."""

    def on_cluster(
        self, kit: Kit, components: list[str], cluster_version: str,
        overrides: Sequence[Overrides] = (), *, profile: Profile | None = None,
    ) -> ClusterJudgement:
        """`overrides`: the customer's values per section, rendered over the kit's;
        `profile`: how the customer's cluster judges kubeVersion (fleet `deploy:`); None: the
        kit's own deploy path."""
        ...


class ArgoCd(Protocol):
    def state(self, app: str, refresh: bool = True) -> AppState:
        """Raises `GateUnreachable` naming the server (never the token); `refresh` asks
        Argo CD to compare with git first."""
        ...


class ArgoCdFactory(Protocol):
    def __call__(self, url: str, token: str) -> ArgoCd: ...


# The value of a secret environment variable (an Argo CD token) by its name, or None when
# unset; the value is remembered by the redactor before it is returned.
SecretLookup = Callable[[str], str | None]


class RolloutLog(Protocol):
    def append(self, record: Mapping[str, Any]) -> None: ...

    def records(self) -> list[dict[str, Any]]: ...


class Notifier(Protocol):
    def send(self, text: str) -> None:
        """Best effort: failures are reported on stderr, never change an outcome."""
        ...


class Clock(Protocol):
    def now(self) -> str:
        """UTC time, ISO 8601."""
        ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

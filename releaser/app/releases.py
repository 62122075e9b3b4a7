"""`releaser releases`: every release branch, local and remote-tracking, with its version
(patch level included), date, Kubernetes range and the customers that reference it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from releaser.app.kit import load_kit
from releaser.app.ports import YamlParser
from releaser.app.ports_git import CustomerVersions, ReleaseRepo
from releaser.domain.errors import ReleaserError
from releaser.domain.kit import KubernetesRange
from releaser.domain.release_rules import on_branch
from releaser.domain.repo_refs import BranchRef
from releaser.domain.versions import KitVersion


@dataclass(frozen=True)
class ReleaseInfo:
    version: str  # YYYY.N or YYYY.N.P, from core/kit.yaml at the tip
    branch: str
    date: str  # committer date of the tip, ISO
    kubernetes: KubernetesRange | None  # None when the kit at the tip does not load
    customers: tuple[str, ...] | None  # None without a fleet
    retire: bool  # nobody runs it and a newer release exists
    local: bool
    remote: bool
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "branch": self.branch,
            "date": self.date,
            "kubernetes": self.kubernetes.as_dict() if self.kubernetes else None,
            "customers": list(self.customers or ()),
            "retire": self.retire,
            "local": self.local,
            "remote": self.remote,
            "error": self.error,
        }


def _info(repo: ReleaseRepo, parse: YamlParser, ref: BranchRef, release: KitVersion) -> ReleaseInfo:
    commit = repo.commit_info(ref.tip)
    version, kubernetes, error = str(release), None, None
    try:
        kit = load_kit(repo.files(ref.tip), parse)
        version, kubernetes = kit.version or version, kit.kubernetes
    except ReleaserError as err:
        error = err.message.splitlines()[0]
    return ReleaseInfo(
        version,
        ref.name,
        commit.date.isoformat(),
        kubernetes,
        None,
        False,
        ref.local is not None,
        ref.remote is not None,
        error,
    )


def list_releases(
    repo: ReleaseRepo, parse: YamlParser, customers: CustomerVersions | None = None
) -> list[ReleaseInfo]:
    """Newest first. With a fleet, each release names its customers, and a release nobody
    runs that is not the newest is a candidate to retire."""
    found = []
    for ref in repo.release_branches():
        release = KitVersion.from_branch(ref.name)
        if release is not None:
            found.append((release, _info(repo, parse, ref, release)))
    found.sort(key=lambda pair: pair[0], reverse=True)
    if customers is None:
        return [info for _, info in found]
    references = customers.versions()
    out = []
    for index, (_, info) in enumerate(found):
        names = tuple(on_branch(references, info.branch))
        out.append(replace(info, customers=names, retire=not names and index > 0))
    return out

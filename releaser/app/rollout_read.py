"""Reading customers: their kit references, overrides, and the fleet's status."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from releaser.app.ports_rollout import (
    CustomerRepos,
    ManifestParser,
    RepoSnapshot,
    RolloutLog,
    ValuesParser,
)
from releaser.domain.customer import CustomerState, find_kit_sources, normalise_repo_url
from releaser.domain.document import ManifestDoc
from releaser.domain.errors import ReleaserError
from releaser.domain.fleet import Customer, Fleet
from releaser.domain.rollout import Overrides

_MANIFEST_SUFFIXES = (".yaml", ".yml")
_ARGO_MARK = b"argoproj.io"


@dataclass(frozen=True)
class CustomerView:
    """A customer's repository at one commit, as far as the kit is concerned."""

    snapshot: RepoSnapshot
    texts: dict[str, str]
    docs: dict[str, list[ManifestDoc]]
    state: CustomerState


def read_customer(
    snapshot: RepoSnapshot, customer: Customer, kit_url: str, parse: ManifestParser
) -> CustomerView:
    """Parse every YAML file under the customer's path that mentions Argo CD.

    A YAML file that does not parse is skipped unless it mentions `argoproj.io` (Helm
    templates and other non-manifests are common in GitOps repositories)."""
    paths = [p for p in snapshot.files(customer.path) if p.endswith(_MANIFEST_SUFFIXES)]
    texts: dict[str, str] = {}
    docs: dict[str, list[ManifestDoc]] = {}
    for path, raw in snapshot.read(paths).items():
        if _ARGO_MARK not in raw:
            continue
        texts[path] = raw.decode("utf-8", "surrogateescape")  # the parser names a bad byte's line
        docs[path] = parse(texts[path], path)
    all_docs = [d for path in sorted(docs) for d in docs[path]]
    return CustomerView(snapshot, texts, docs, find_kit_sources(all_docs, kit_url))


@dataclass
class OverrideScan:
    overrides: list[Overrides] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def overrides_of(view: CustomerView, customer: Customer, parse: ValuesParser) -> OverrideScan:
    """Values the customer sets per section: `valuesObject`, `values`, and value files from
    its own repository (`$ref/path` where the `ref` source is the customer's repo)."""
    scan = OverrideScan()
    own = normalise_repo_url(customer.repo)
    for source in view.state.sources:
        if source.section is None:
            continue
        helm = source.helm
        if isinstance(helm.get("valuesObject"), dict):
            origin = source.origin("valuesObject")
            scan.overrides.append(Overrides(source.section, origin, helm["valuesObject"]))
        inline = helm.get("values")
        if isinstance(inline, str):
            inline = parse(inline, f"{source.file} ({source.app} helm.values)")
        if isinstance(inline, dict):
            scan.overrides.append(Overrides(source.section, source.origin("values"), inline))
        for entry in helm.get("valueFiles") or []:
            _value_file(scan, view, source.section, str(entry), source.refs, own, parse)
    return scan


def _value_file(
    scan: OverrideScan,
    view: CustomerView,
    section: str,
    entry: str,
    refs: Any,
    own: str,
    parse: ValuesParser,
) -> None:
    if not entry.startswith("$"):
        return  # relative to the kit source itself: the kit's own file, not an override
    ref, _, path = entry[1:].partition("/")
    repo = refs.get(ref)
    if repo is None or normalise_repo_url(repo) != own:
        scan.notes.append(f"value file {entry} is not in the customer's repository; not checked")
        return
    raw = view.snapshot.read([path]).get(path)
    if raw is None:
        scan.notes.append(f"value file {path} named by {section} does not exist")
        return
    data = parse(raw.decode("utf-8", "surrogateescape"), path)
    if isinstance(data, dict):
        scan.overrides.append(Overrides(section, path, data))


# --------------------------------------------------------------------------- status


@dataclass(frozen=True)
class StatusRow:
    customer: Customer
    state: CustomerState | None
    last: dict[str, Any] | None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        state = self.state
        last = self.last
        return {
            "name": self.customer.name,
            "version": str(state.version) if state and state.version else None,
            "kubernetes": str(self.customer.kubernetes),
            "last": None
            if last is None
            else {"to": last.get("to"), "outcome": last.get("outcome"), "at": last.get("finished")},
            "detail": state.describe() if state else None,
            "sections": state.sections if state else {},
            "error": self.error,
        }


def last_attempts(log: RolloutLog) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for record in log.records():
        latest[str(record.get("customer"))] = record
    return latest


def fleet_status(
    fleet: Fleet,
    repos: CustomerRepos,
    parse: ManifestParser,
    log: RolloutLog,
    workers: int = 16,
) -> list[StatusRow]:
    """Every customer's current version read from its repository, with the last attempt.
    A customer that cannot be read gets an error in its row; the others still report."""
    latest = last_attempts(log)

    def one(customer: Customer) -> StatusRow:
        try:
            snapshot = repos.open(customer).base()
            state = read_customer(snapshot, customer, fleet.kit_repo_url, parse).state
        except ReleaserError as err:
            return StatusRow(customer, None, latest.get(customer.name), err.message)
        return StatusRow(customer, state, latest.get(customer.name))

    return run_parallel(one, fleet.customers, workers)


def run_parallel(
    work: Callable[[Customer], StatusRow], customers: Sequence[Customer], workers: int
) -> list[StatusRow]:
    """Git work is process-bound, so threads overlap it well; order stays fleet order."""
    if len(customers) <= 1:
        return [work(c) for c in customers]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(customers)))) as pool:
        return list(pool.map(work, customers))

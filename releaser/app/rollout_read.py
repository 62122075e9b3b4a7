"""Reading customers: their kit references, overrides, and the fleet's status (what each
customer runs, its last rollout, and Argo CD's live view)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Protocol

from releaser.app.ports_rollout import (
    ArgoCdFactory,
    CustomerRepos,
    KitReleases,
    ManifestParser,
    RepoSnapshot,
    RolloutLog,
    SecretLookup,
    ValuesParser,
)
from releaser.domain.customer import CustomerState, find_kit_sources, normalise_repo_url
from releaser.domain.document import ManifestDoc
from releaser.domain.errors import ReleaserError
from releaser.domain.fleet import ArgoCdTarget, Customer, Fleet
from releaser.domain.gate import AppState, overall_health, overall_sync
from releaser.domain.rollout import GateUnreachable, Overrides
from releaser.domain.unverified import Unverified, unique
from releaser.domain.versions import InvalidVersion, KitVersion

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


def parsed_once(parse: ManifestParser, size: int = 256) -> ManifestParser:
    """`parse` keeping its last `size` answers, for a read across the fleet: customers
    stamped from one template share files byte for byte, and each such file is parsed once.
    The documents are only ever read, so customers can share them."""
    return lru_cache(maxsize=size)(parse)


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


class StatusSources(Protocol):
    """What the fleet's status reads (the rollout's ports provide it)."""

    @property
    def repos(self) -> CustomerRepos: ...

    @property
    def parse_manifests(self) -> ManifestParser: ...

    @property
    def log(self) -> RolloutLog: ...

    @property
    def kit(self) -> KitReleases: ...

    @property
    def argocd(self) -> ArgoCdFactory: ...

    @property
    def secret(self) -> SecretLookup: ...


@dataclass(frozen=True)
class LiveStatus:
    """Argo CD's current view of a customer's apps, or why it could not be read."""

    apps: tuple[AppState, ...] = ()
    error: str | None = None

    @property
    def sync(self) -> str:
        return "unknown" if self.error else overall_sync(self.apps)

    @property
    def health(self) -> str:
        return "unknown" if self.error else overall_health(self.apps)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sync": self.sync,
            "health": self.health,
            "apps": [
                {
                    "name": a.name,
                    "sync": a.sync,
                    "health": a.health,
                    "revision": ",".join(a.synced_to) or None,
                    "operation": a.operation.phase if a.operation else None,
                }
                for a in self.apps
            ],
            "error": self.error,
        }


@dataclass(frozen=True)
class StatusRow:
    customer: Customer
    state: CustomerState | None
    last: dict[str, Any] | None
    error: str | None = None  # the customer's repository could not be read
    running: KitVersion | None = None  # its release branch's core/kit.yaml version
    live: LiveStatus | None = None  # with --live, when the customer has argocd settings
    unverified: tuple[Unverified, ...] = ()  # its kit branch or Argo CD did not answer

    @property
    def release(self) -> KitVersion | None:
        return self.state.version if self.state else None

    @property
    def version(self) -> str | None:
        """What the customer runs: the patch from kit.yaml, else its release branch's."""
        shown = self.running or self.release
        return str(shown) if shown else None

    def as_dict(self) -> dict[str, Any]:
        state = self.state
        last = self.last
        return {
            "name": self.customer.name,
            "version": self.version,
            "release": str(self.release) if self.release else None,
            "versionSource": "kit.yaml" if self.running else "branch" if self.release else None,
            "kubernetes": str(self.customer.kubernetes),
            "last": None
            if last is None
            else {"to": last.get("to"), "outcome": last.get("outcome"), "at": last.get("finished")},
            "detail": state.describe() if state else None,
            "sections": state.sections if state else {},
            "error": self.error,
            "live": self.live.as_dict() if self.live else None,
        }


@dataclass(frozen=True)
class FleetStatus:
    rows: list[StatusRow]
    live: bool = False

    @property
    def unverified(self) -> tuple[Unverified, ...]:
        """Every upstream not read (kit branches, Argo CD servers): the status is partial."""
        return unique(u for row in self.rows for u in row.unverified)


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
    """Every customer's kit reference read from its repository, with the last attempt.
    A customer that cannot be read gets an error in its row; the others still report."""
    latest = last_attempts(log)
    parse = parsed_once(parse)

    def one(customer: Customer) -> StatusRow:
        return _repo_row(customer, fleet, repos, parse, latest)

    return run_parallel(one, fleet.customers, workers)


def read_status(
    fleet: Fleet,
    sources: StatusSources,
    live: bool = False,
    on_read: Callable[[str], None] | None = None,
    workers: int = 16,
) -> FleetStatus:
    """`rollout --status`: what each customer runs (hotfix patch included), its last attempt
    and, with `live`, Argo CD's sync and health, read in parallel (`workers` at most).
    `on_read(name)` is called as each customer is done."""
    latest = last_attempts(sources.log)
    tokens = {c.name: _token(c, sources.secret) for c in fleet.customers} if live else {}
    parse = parsed_once(sources.parse_manifests)

    def one(customer: Customer) -> StatusRow:
        row = _repo_row(customer, fleet, sources.repos, parse, latest)
        if live and customer.argocd is not None:
            row = _with_live(row, customer.argocd, sources.argocd, tokens[customer.name])
        if on_read is not None:
            on_read(customer.name)
        return row

    rows = run_parallel(one, fleet.customers, workers)
    return FleetStatus(with_running_versions(rows, sources.kit), live)


def _repo_row(
    customer: Customer,
    fleet: Fleet,
    repos: CustomerRepos,
    parse: ManifestParser,
    latest: dict[str, dict[str, Any]],
) -> StatusRow:
    try:
        snapshot = repos.open(customer).base()
        state = read_customer(snapshot, customer, fleet.kit_repo_url, parse).state
    except ReleaserError as err:
        return StatusRow(customer, None, latest.get(customer.name), err.message)
    return StatusRow(customer, state, latest.get(customer.name))


def _token(customer: Customer, secret: SecretLookup) -> str | None:
    """Looked up before the threads start: the lookup teaches the redactor the value."""
    return secret(customer.argocd.token_env) if customer.argocd else None


def _with_live(
    row: StatusRow, target: ArgoCdTarget, factory: ArgoCdFactory, token: str | None
) -> StatusRow:
    """The row with Argo CD's view of every listed app, or `unknown` and why."""
    if not token:
        live = LiveStatus(error=f"the Argo CD token variable {target.token_env} is not set")
    else:
        client = factory(target.url, token)
        try:
            live = LiveStatus(tuple(client.state(app, refresh=False) for app in target.apps))
        except GateUnreachable as err:
            live = LiveStatus(error=err.message)
    if live.error is None:
        return replace(row, live=live)
    unread = Unverified.of(f"Argo CD of {row.customer.name}", target.url, live.error)
    return replace(row, live=live, unverified=(*row.unverified, unread))


def running_version(kit: KitReleases, release: KitVersion) -> KitVersion:
    """The version a customer on `release/<release>` runs: `version` in the branch's
    core/kit.yaml (a hotfix makes it `2026.2.1`), else the release itself.
    Raises the kit remote's error when the branch cannot be read."""
    loaded = kit.load(release)
    try:
        declared = KitVersion.parse(loaded.version) if loaded and loaded.version else release
    except InvalidVersion:
        return release
    return declared if declared.release == release.release else release


def with_running_versions(rows: Sequence[StatusRow], kit: KitReleases) -> list[StatusRow]:
    """Each row with its running version. Read once per release, in this thread (the kit
    remote is not shared across threads); after one failure the rest are not tried."""
    found: dict[KitVersion, KitVersion] = {}
    failed: Unverified | None = None
    for release in sorted({r.release for r in rows if r.release is not None}):
        if failed is not None:
            break
        try:
            found[release] = running_version(kit, release)
        except ReleaserError as err:
            failed = Unverified.of(f"core/kit.yaml on release/{release}", "kit remote", err.message)
    out: list[StatusRow] = []
    for row in rows:
        running = found.get(row.release) if row.release is not None else None
        if row.release is not None and running is None and failed is not None:
            row = replace(row, unverified=(*row.unverified, failed))
        out.append(replace(row, running=running))
    return out


def run_parallel(
    work: Callable[[Customer], StatusRow], customers: Sequence[Customer], workers: int
) -> list[StatusRow]:
    """Git work is process-bound, so threads overlap it well; order stays fleet order."""
    if len(customers) <= 1:
        return [work(c) for c in customers]
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(customers)))) as pool:
        return list(pool.map(work, customers))

"""Roll one customer to a kit version: preflight, rewrite, commit, push, health gate, log.

Every step can be interrupted and the same command run again: an earlier commit that already
carries the target (on the remote rollout branch, or committed locally on top of the current
tip) is reused, so a re-run never makes a second commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from releaser.app.ports_rollout import (
    ArgoCdFactory,
    Clock,
    ClusterJudgement,
    ComponentVerdicts,
    CustomerRepo,
    CustomerRepos,
    KitReleases,
    ManifestParser,
    Notifier,
    RepoSnapshot,
    RolloutLog,
    SecretLookup,
    ValuesParser,
)
from releaser.app.rollout_lease import CustomerLocks, holding, new_holder
from releaser.app.rollout_read import CustomerView, overrides_of, read_customer
from releaser.app.rollout_record import log_outcome
from releaser.app.rollout_review import (
    MergeWait,
    Review,
    ReviewPorts,
    await_merge,
    begin_review,
    options_for,
    require_review,
    review_draft,
    submit,
)
from releaser.app.rollout_watch import WatchSettings, token_problem, watch
from releaser.domain.customer import CustomerState, rewrite_problems
from releaser.domain.errors import ReleaserError, UsageError
from releaser.domain.fleet import Customer
from releaser.domain.kit import Component, Kit
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.review import ReviewLink
from releaser.domain.rollout import (
    Block,
    Outcome,
    PreflightInput,
    blocking,
    chart_kept_notes,
    dropped_charts,
    enabled_components,
    hold_blocks,
    preflight,
)
from releaser.domain.rollout_history import Operator, revert_target, waivers_of
from releaser.domain.splice import splice
from releaser.domain.unverified import Unverified, judged_names
from releaser.domain.values_diff import ChartKeys
from releaser.domain.versions import KitVersion


@dataclass(frozen=True)
class RolloutPorts:
    repos: CustomerRepos
    kit: KitReleases
    parse_manifests: ManifestParser
    parse_values: ValuesParser
    verdicts: ComponentVerdicts
    log: RolloutLog
    notifier: Notifier
    clock: Clock
    argocd: ArgoCdFactory
    secret: SecretLookup  # a token by its variable's name, remembered for redaction
    locks: CustomerLocks  # one run per customer at a time
    operator: Operator  # who runs this, for the audit trail and the lease
    today: date  # holds end by this date (RELEASER_TODAY pins it)
    progress: Callable[[str], None] = lambda _: None  # the gate's waiting lines
    meter: Progress = field(default_factory=NoProgress)  # the preflight's steps
    review: ReviewPorts | None = None  # pull/merge requests (`rollout --pr`)
    chart_keys: Callable[[Component], ChartKeys] | None = None  # a chart's values and schema


@dataclass(frozen=True)
class RolloutRequest:
    customer: Customer
    kit_repo_url: str
    target: KitVersion | None = None
    push: bool = False
    direct: bool = False
    dry_run: bool = False
    wait: bool = False
    timeout: float = 900.0
    poll: float = 5.0
    allow_downgrade: bool = False
    accept_dropped_keys: bool = False
    soak: float | None = None  # None: the customer's argocd.soak
    revert: bool = False  # back to what the last rollout left (`target` is ignored)
    force: bool = False  # past the customer's `hold:` (logged as a waiver)
    break_lock: bool = False  # take the customer's lease even from a live run
    command: str = ""  # the command line, without secrets, for the audit trail
    pr: bool = False  # push the rollout branch and open a pull/merge request for it
    merge_timeout: float = 86400.0  # --pr --wait: how long the merge may take


@dataclass
class RolloutResult:
    customer: str
    from_version: str
    to_version: str
    outcome: Outcome | None = None  # None for a dry run
    blocks: list[Block] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    commit: str | None = None
    created: bool = False
    pushed: str | None = None
    gate: list[str] = field(default_factory=list)
    unverified: tuple[Unverified, ...] = ()  # the preflight could not judge these: exit 4
    judged: tuple[str, ...] = ()  # the components it did judge, shown when it is partial
    revert: bool = False
    pushed_at: str | None = None
    synced_at: str | None = None
    verdict_at: str | None = None
    review: ReviewLink | None = None  # the pull/merge request opened or updated

    @property
    def ok(self) -> bool:
        return self.outcome in (None, Outcome.COMMITTED, Outcome.PUSHED, Outcome.HEALTHY)

    def as_dict(self) -> dict[str, Any]:
        return {
            "customer": self.customer,
            "from": self.from_version,
            "to": self.to_version,
            "outcome": self.outcome.value if self.outcome else "dry-run",
            "blocks": [
                {"rule": b.rule, "message": b.message, "waived": b.waived} for b in self.blocks
            ],
            "notes": self.notes,
            "files": self.files,
            "commit": self.commit,
            "created": self.created,
            "pushed": self.pushed,
            "gate": self.gate,
            "waivers": [w.as_dict() for w in waivers_of(self.blocks)],
            "revert": self.revert,
            "pushedAt": self.pushed_at,
            "syncedAt": self.synced_at,
            "verdictAt": self.verdict_at,
            "review": self.review.as_dict() if self.review else None,
            **(
                {"unverified": [u.as_dict() for u in self.unverified], "judged": list(self.judged)}
                if self.unverified
                else {}
            ),
        }


def newest_release(kit: KitReleases) -> KitVersion:
    versions = kit.versions()
    if not versions:
        raise UsageError("the kit remote has no release branches (release/YYYY.N)")
    return max(versions)


def roll_out(req: RolloutRequest, ports: RolloutPorts) -> RolloutResult:
    """Run one rollout under the customer's lease and log its outcome (a dry run takes no
    lease and is not logged)."""
    target = _revert_target(req, ports) if req.revert else req.target
    result = guarded(req, ports, target or newest_release(ports.kit))
    assert result is not None  # only `skip` makes it None
    return result


def guarded(
    req: RolloutRequest,
    ports: RolloutPorts,
    target: KitVersion,
    skip: Callable[[], bool] | None = None,
) -> RolloutResult | None:
    """`attempt` holding the customer's lease, unless it is held (`hold:`) or a dry run.
    `skip`, asked once the lease is held, returns None when another run got there first."""
    held = hold_blocks(req.customer.hold, target, ports.today, req.force)
    if blocking(held):  # logged as blocked; nothing else is asked of a held customer
        return attempt(req, ports, target, None, held)
    if req.pr:
        require_review(req, ports.review)
    token = _gate_token(req, ports.secret)
    if req.dry_run:
        return attempt(req, ports, target, token, held)
    holder = new_holder(ports.operator, req.command, ports.clock, req.timeout if req.wait else 0)
    with holding(req.customer, ports.locks, holder, req.break_lock, ports.progress) as taken:
        if skip is not None and skip():
            return None
        return attempt(req, ports, target, token, [*held, *taken])


def attempt(
    req: RolloutRequest,
    ports: RolloutPorts,
    target: KitVersion,
    token: str | None,
    prior: list[Block],
) -> RolloutResult:
    """One rollout, `prior` blocks (hold, lease) included; its outcome is logged."""
    started = ports.clock.now()
    repo = ports.repos.open(req.customer, req.customer.work_branch(str(target)))
    view = read_customer(repo.base(), req.customer, req.kit_repo_url, ports.parse_manifests)
    result = RolloutResult(req.customer.name, view.state.describe(), str(target), revert=req.revert)
    result.blocks = list(prior)
    try:
        _run(req, ports, repo, view, target, token, result)
    except KeyboardInterrupt:
        result.outcome = Outcome.INTERRUPTED
        raise
    except ReleaserError as err:
        result.outcome = Outcome.ERROR
        result.gate.append(err.message)
        raise
    finally:
        # A dry run, even a blocked one, changes nothing: no log record, no notification.
        if result.outcome is not None and not req.dry_run:
            log_outcome(ports, req, result, started)
    return result


def _revert_target(req: RolloutRequest, ports: RolloutPorts) -> KitVersion:
    snapshot = ports.repos.open(req.customer).base()
    state = read_customer(snapshot, req.customer, req.kit_repo_url, ports.parse_manifests).state
    return revert_target(ports.log.records(), req.customer.name, state.version)


def running_version(state: CustomerState, kit: KitReleases) -> str:
    """The kit version the customer runs, hotfix patch included (its branch's kit.yaml)."""
    if state.version is None:
        return state.describe()
    loaded = kit.load(state.version)
    return loaded.version if loaded is not None and loaded.version else str(state.version)


def _gate_token(req: RolloutRequest, secret: SecretLookup) -> str | None:
    if not req.wait:
        return None
    if not req.push and not req.dry_run:
        raise UsageError("--wait needs --push: Argo CD only sees pushed commits")
    argocd = req.customer.argocd
    if argocd is None:
        raise UsageError(
            f"customer {req.customer.name} has no argocd settings; the health gate needs them",
            hint="add argocd: {url, tokenEnv, apps} to the customer in the fleet file",
        )
    token = secret(argocd.token_env)
    if not token:
        raise UsageError(f"the Argo CD token variable {argocd.token_env} is not set")
    return token


def _run(
    req: RolloutRequest,
    ports: RolloutPorts,
    repo: CustomerRepo,
    view: CustomerView,
    target: KitVersion,
    token: str | None,
    result: RolloutResult,
) -> None:
    if not blocking(result.blocks):  # a hold stops here: its customer is not even checked
        result.from_version = running_version(view.state, ports.kit)
        result.blocks += check(req, ports, view, target, result)
    if not blocking(result.blocks) and token is not None and req.customer.argocd is not None:
        problem = token_problem(req.customer.argocd, token, ports.argocd)
        if problem:
            result.blocks.append(Block("argocd", f"{problem}; nothing was pushed"))
    if blocking(result.blocks):
        result.outcome = Outcome.BLOCKED
        return
    files = rewritten(view, target, ports.parse_manifests)
    result.files = sorted(files)
    if req.dry_run:
        return
    review = begin_review(req, target, ports.secret, ports.review) if req.pr else None
    message = commit_message(req.customer, view, target)
    commit, created = find_or_commit(req, ports, repo, view.snapshot, files, target, message)
    result.commit, result.created = commit, created
    result.outcome = Outcome.COMMITTED
    pushed_at = ports.clock.now() if created else None  # a reused commit may be synced already
    gate_on: str | None = commit
    if req.push and review is not None and commit != view.snapshot.commit:
        gate_on = _through_review(req, ports, repo, view.snapshot, commit, target, result, review)
        pushed_at = None  # what lands is a new commit on the customer's branch: any sync counts
    elif req.push:
        result.pushed = publish(req, repo, view.snapshot, commit, target)
        result.pushed_at = ports.clock.now()
        result.outcome = Outcome.PUSHED
    if gate_on is not None and token is not None:
        _gate(req, ports, gate_on, target, token, pushed_at, result)


def _gate(
    req: RolloutRequest,
    ports: RolloutPorts,
    commit: str,
    target: KitVersion,
    token: str,
    pushed_at: str | None,
    result: RolloutResult,
) -> None:
    """The health gate on `commit` (or the kit's release commit, for multi-source apps)."""
    argocd = req.customer.argocd
    if argocd is None:
        return
    expected = frozenset({commit, ports.kit.versions().get(target.release, commit)})
    client = ports.argocd(argocd.url, token)
    settings = WatchSettings(req.timeout, req.poll, req.soak, pushed_at)
    seen = watch(argocd, client, expected, settings, ports.clock, ports.progress)
    result.outcome, result.gate = seen.outcome, seen.reasons
    result.synced_at, result.verdict_at = seen.synced_at, seen.verdict_at


def _through_review(
    req: RolloutRequest,
    ports: RolloutPorts,
    repo: CustomerRepo,
    base: RepoSnapshot,
    commit: str,
    target: KitVersion,
    result: RolloutResult,
    review: Review,
) -> str | None:
    """Push the rollout branch, open or update its request and, with --wait, await the
    merge: the commit that landed is what the gate watches (None: nothing to gate)."""
    assert ports.review is not None  # begin_review checked it
    draft = review_draft(req, ports.review, result, target)
    result.pushed = publish(req, repo, base, commit, target, options_for(review, draft))
    result.pushed_at = ports.clock.now()
    result.outcome = Outcome.PUSHED
    submit(review, draft, result)
    if not req.wait:
        return None
    wait = MergeWait(req.merge_timeout, req.poll)
    return await_merge(review, wait, ports.clock, ports.progress, result)


def check(
    req: RolloutRequest,
    ports: RolloutPorts,
    view: CustomerView,
    target: KitVersion,
    result: RolloutResult,
) -> list[Block]:
    """The preflight of SPEC §5 with every input read; the components it could not judge
    go into `result.unverified` (and block: fail closed)."""
    cluster = str(req.customer.kubernetes)
    with batch(ports.meter, 3, f"preflight of {req.customer.name}") as bar:
        bar.advance(f"the kit at {target.release.branch}")
        target_kit = ports.kit.load(target)
        before = {v: kit for v in view.state.versions if (kit := ports.kit.load(v)) is not None}
        bar.advance("the customer's overrides")
        scan = overrides_of(view, req.customer, ports.parse_values)
        result.notes += scan.notes
        bar.advance(f"its components on Kubernetes {cluster}")
        judged = ClusterJudgement()
        if target_kit is not None:
            components = enabled_components(view.state, scan.overrides, target_kit)
            judged = ports.verdicts.on_cluster(
                target_kit, components, cluster, scan.overrides, profile=req.customer.deploy
            )
            result.judged = judged_names(components, judged.unverified)
            result.to_version = target_kit.version or result.to_version
    result.unverified = () if req.revert else judged.unverified
    given = PreflightInput(
        view.state,
        req.customer.kubernetes,
        target,
        target_kit,
        before,
        scan.overrides,
        judged.failures,
        req.allow_downgrade,
        req.accept_dropped_keys,
        judged.unverified,
        req.revert,
    )
    if target_kit is not None and ports.chart_keys is not None:
        given = replace(given, charts=_target_charts(ports.chart_keys, given, target_kit))
        result.notes += chart_kept_notes(given, target_kit)
    return preflight(given)


def _target_charts(
    read: Callable[[Component], ChartKeys], given: PreflightInput, target: Kit
) -> dict[str, ChartKeys]:
    """The target's charts of the components with a dropped key: one that still takes the
    key does not block. A chart that cannot be read leaves its keys blocked, as the kit's
    defaults alone judge them (fail closed: the block already says what to check)."""
    found = {}
    for name in dropped_charts(given, target):
        component = target.component(name)
        assert component is not None  # dropped_charts names the target's components
        with contextlib.suppress(ReleaserError):
            found[name] = read(component)
    return found


def rewritten(view: CustomerView, target: KitVersion, parse: ManifestParser) -> dict[str, bytes]:
    """New content of each file whose kit targetRevision values differ from the target."""
    value = target.release.branch
    out: dict[str, bytes] = {}
    for path, text in view.texts.items():
        sources = [s for s in view.state.sources if s.file == path and s.revision != value]
        edits = [(s.span, value) for s in sources if s.span is not None]
        if not edits:
            continue
        new = splice(text, edits)
        changed = {(s.doc_index, (*s.path, "targetRevision")) for s in sources}
        problems = rewrite_problems(view.docs[path], parse(new, path), changed, value)
        if problems:  # a bug, never a user error: refuse rather than write it
            raise ReleaserError("refusing to write: " + "; ".join(problems))
        out[path] = new.encode("utf-8")
    return out


def commit_message(customer: Customer, view: CustomerView, target: KitVersion) -> str:
    return (
        f"Roll {customer.name} to core kit {target} (from {view.state.describe()})\n\n"
        f"Sets every kit targetRevision to {target.release.branch}.\n"
        "Committed by `releaser rollout`."
    )


def _on_target(
    snapshot: RepoSnapshot, req: RolloutRequest, ports: RolloutPorts, target: KitVersion
) -> bool:
    view = read_customer(snapshot, req.customer, req.kit_repo_url, ports.parse_manifests)
    return bool(view.state.sources) and view.state.version == target.release


def find_or_commit(
    req: RolloutRequest,
    ports: RolloutPorts,
    repo: CustomerRepo,
    base: RepoSnapshot,
    files: Mapping[str, bytes],
    target: KitVersion,
    message: str,
) -> tuple[str, bool]:
    """The commit carrying the target: the tip itself, an earlier run's, or a new one."""
    if not files:
        return base.commit, False
    remote = None if req.direct else repo.remote_work()
    if remote is not None and _on_target(remote, req, ports, target):
        return remote.commit, False
    local = repo.local_work()
    if local is not None and local.parent == base.commit and _on_target(local, req, ports, target):
        return local.commit, False
    return repo.commit(base.commit, files, message), True


def publish(
    req: RolloutRequest,
    repo: CustomerRepo,
    base: RepoSnapshot,
    commit: str,
    target: KitVersion,
    options: Sequence[str] = (),
) -> str:
    """Push `commit` to the rollout branch (the customer's with --direct), unless it is
    there already; `options` go with the push (`git push -o`)."""
    branch = req.customer.branch if req.direct else req.customer.work_branch(str(target))
    if commit == base.commit:
        return req.customer.branch  # already there: nothing to push
    remote = None if req.direct else repo.remote_work()
    if remote is None or remote.commit != commit:
        repo.push(commit, branch, options)
    return branch

"""The composition root: where use cases meet concrete adapters, once per invocation.

`main.global_options` builds one `Container` from the global options; it reads the
environment once (`Settings.from_env()`, on first use) and builds each adapter on first use,
then keeps it, so every part of a run shares one HTTP client, one set of mirrors, one chart
source. Commands get it with `container(ctx)`, call one use case with what it builds, and
render the result.

Each adapter and use-case module is imported inside the property that builds it: `releaser
--help` loads none of them, and each command only what it uses (yaml, urllib3, GitPython,
jinja2, the compat engine, OCI, rollout); tests/test_cli_startup.py checks it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer

from releaser.cli.context import GlobalOptions
from releaser.cli.output import color_choice, info
from releaser.settings import Settings

if TYPE_CHECKING:
    from releaser.adapters.chart_archive import ChartArchiveStore
    from releaser.adapters.chart_files import ChartFiles
    from releaser.adapters.datasets import DataStore
    from releaser.adapters.git_repo import GitRepo
    from releaser.adapters.helm_render import HelmRenderer
    from releaser.adapters.http import HttpClient
    from releaser.adapters.mirrors import Mirrors
    from releaser.adapters.oci import OciChartSource
    from releaser.adapters.sources import SchemeSource
    from releaser.adapters.stale import StaleStandIns
    from releaser.app.bump import BumpPorts
    from releaser.app.compat import CompatService
    from releaser.app.diff_render import CustomerInputs, RenderPorts
    from releaser.app.plan import Planner
    from releaser.app.ports import KitFiles, YamlParser
    from releaser.app.ports_git import ChangesLookup, CompatGate, CustomerVersions
    from releaser.app.ports_rollout import ArgoCd, ComponentVerdicts, Notifier
    from releaser.app.ports_sources import CheckMemo
    from releaser.app.release_context import ReleaseDeps
    from releaser.app.report import ReportPorts
    from releaser.app.rollout import RolloutPorts
    from releaser.app.rollout_review import RenderedDiff, ReviewApi, ReviewPorts
    from releaser.cli.bridges import KitReleaseBranches
    from releaser.domain.compat import CompatData
    from releaser.domain.fleet import Customer, Fleet
    from releaser.domain.kit import Kit
    from releaser.domain.progress import Progress
    from releaser.domain.report import CustomerRow
    from releaser.domain.review import ReviewSettings
    from releaser.domain.versions import KitVersion

T = TypeVar("T")


class Container:
    """Every adapter of one run, built lazily from `options` and the environment."""

    def __init__(self, options: GlobalOptions | None = None) -> None:
        self.options = options or GlobalOptions()
        self._built: dict[Hashable, Any] = {}

    def _once(self, key: Hashable, build: Callable[[], T]) -> T:
        """`build()` the first time `key` is asked for; the same object afterwards."""
        if key not in self._built:
            self._built[key] = build()
        return cast(T, self._built[key])

    # ------------------------------------------------------------ environment and kit
    @cached_property
    def settings(self) -> Settings:
        """The run's one reading of the environment."""
        return Settings.from_env()

    @cached_property
    def progress(self) -> Progress:
        """The run's progress line on stderr when it is a terminal; every long loop reports
        to it (one line at a time: batches follow each other, they do not nest)."""
        from releaser.cli.progress import stderr_progress

        return stderr_progress()

    @cached_property
    def kit_root(self) -> Path:
        from releaser.adapters.kit_files import find_repo_root

        return find_repo_root(self.options.kit or Path.cwd())

    @cached_property
    def parse(self) -> YamlParser:
        from releaser.adapters.yaml import parse_document

        return parse_document

    def kit_files(self, ref: str | None = None) -> KitFiles:
        if ref is None:  # the working tree: no git object database to load
            from releaser.adapters.kit_files import WorktreeFiles

            return WorktreeFiles(self.kit_root)
        from releaser.adapters.git_objects import GitRefFiles

        return GitRefFiles(self.kit_root, ref)

    def read_kit(self, ref: str | None = None) -> Kit:
        from releaser.app.kit import load_kit

        return load_kit(self.kit_files(ref), self.parse)

    @property
    def fleet_path(self) -> Path | None:
        """--fleet, then RELEASER_FLEET, then ./fleet.yaml when it exists."""
        if self.options.fleet:
            return self.options.fleet
        if self.settings.fleet:
            return self.settings.fleet
        default = Path("fleet.yaml")
        return default if default.is_file() else None

    @cached_property
    def today(self) -> date:
        """The real date, or RELEASER_TODAY (YYYY-MM-DD) for reproducible runs and tests."""
        return self.settings.today or date.today()

    # ------------------------------------------------------------ upstream chart sources
    @cached_property
    def http(self) -> HttpClient:
        """The run's one HTTP client: every upstream, Argo CD and webhook share its pools."""
        from releaser.adapters.http import HttpClient

        return HttpClient(self.settings.http)

    @cached_property
    def mirrors(self) -> Mirrors:
        from releaser.adapters.mirrors import Mirrors

        return Mirrors.load(self.options.mirrors or self.settings.mirrors)

    @cached_property
    def stale_copies(self) -> StaleStandIns:
        """Cached copies standing in for failing upstreams (RELEASER_STALE_MAX), said on stderr."""
        from releaser.adapters.stale import StaleStandIns

        return StaleStandIns(self.settings.stale_max, info)

    def chart_source(self, offline: bool = False) -> SchemeSource:
        """http(s) and oci repositories behind one `ChartSource`, mirrored and cached."""
        return self._once(("chart_source", offline), lambda: self._scheme_source(offline))

    def _scheme_source(self, offline: bool) -> SchemeSource:
        from releaser.adapters.cache import IndexCache
        from releaser.adapters.helm_repo import HelmRepoSource
        from releaser.adapters.sources import SchemeSource

        index_cache = IndexCache(self.settings.cache.root)
        helm = HelmRepoSource(
            self.http, index_cache, self.mirrors, offline=offline, stale=self.stale_copies
        )
        return SchemeSource(helm, lambda: self._oci(offline))

    def check_memo(self, offline: bool = False) -> CheckMemo:
        """`check`'s memo of its earlier answers, over the same chart source."""
        from releaser.adapters.check_memo import CheckMemoFiles

        return CheckMemoFiles(self.chart_source(offline), self.settings.cache.root)

    @property
    def oci_source(self) -> OciChartSource:
        return self._oci(False)

    def _oci(self, offline: bool) -> OciChartSource:
        from releaser.adapters.oci import OciChartSource

        return self._once(
            ("oci_source", offline),
            lambda: OciChartSource(
                self.http, self.settings.cache.oci, rewrite=self.mirrors.apply,
                offline=offline, stale=self.stale_copies,
            ),
        )

    # ------------------------------------------------------------ compatibility engine
    @cached_property
    def data_store(self) -> DataStore:
        """The data snapshots, with the user copies `releaser data refresh` wrote."""
        from releaser.adapters.datasets import DataStore

        return DataStore(self.settings.data_dir)

    def compat_data(self, ref: str | None = None) -> CompatData:
        """The dated snapshots and the kit's support matrices (at `ref`)."""
        return self._once(("compat_data", ref), lambda: self._compat_data(ref))

    def _compat_data(self, ref: str | None) -> CompatData:
        from releaser.adapters.datasets import COMPATIBILITY_FILE, load_compatibility
        from releaser.domain.compat import CompatData
        from releaser.domain.errors import UsageError

        store = self.data_store
        try:
            text = self.kit_files(ref).read_text(COMPATIBILITY_FILE)
        except UsageError:  # no kit checkout here (e.g. a rollout run from the fleet's directory)
            text = None
        if text is None:
            info(f"note: no {COMPATIBILITY_FILE}; the upstream-matrix source stays unknown")
        matrices = load_compatibility(text, COMPATIBILITY_FILE) if text else {}
        self._once("stale_data", self.warn_if_stale)
        return CompatData(
            store.lifecycle(), store.deprecations(), matrices, store.component_lifecycles()
        )

    def warn_if_stale(self) -> None:
        """The stderr warning for snapshots in use older than 90 days (`app.data`)."""
        from releaser.app.data import data_status, stale_warning

        warning = stale_warning(data_status(self.data_store), self.today)
        if warning:
            info(f"warning: {warning}")

    def chart_archives(self, offline: bool = False) -> ChartArchiveStore:
        from releaser.adapters.chart_archive import ChartArchiveStore

        def oci_download(repo_url: str, chart: str, version: str) -> bytes:
            return self.oci_source.download_chart(repo_url, chart, version)

        def build() -> ChartArchiveStore:
            cache = self.settings.cache.charts
            return ChartArchiveStore(cache, self.http, self.mirrors.apply, oci_download, offline)

        return self._once(("chart_archives", offline), build)

    @cached_property
    def helm_renderer(self) -> HelmRenderer | None:
        """helm on PATH or in `<kit>/.tools/bin/helm`, rendering under the helm cache dir."""
        from releaser.adapters.helm_render import HelmRenderer, find_helm

        env = self.settings.env
        helm = find_helm(self.kit_root, env)
        return HelmRenderer(helm, self.settings.cache.helm, env=env) if helm else None

    @cached_property
    def upstream_charts(self) -> ChartFiles:
        """Upstream chart archives by repository, chart and version (digest-checked, cached)."""
        from releaser.adapters.chart_files import ChartFiles

        return ChartFiles(self.chart_source(), self.chart_archives())

    def render_ports(self) -> RenderPorts | None:
        """What `diff --render` and a rollout's rendered diff need; None without helm."""
        from functools import partial

        from releaser.adapters.chart_files import manifest_text, rendered_documents, section_chart
        from releaser.app.diff_render import RenderPorts

        renderer = self.helm_renderer
        if renderer is None:
            return None
        return RenderPorts(
            renderer=renderer,
            charts=self.upstream_charts,
            section_chart=partial(section_chart, work_dir=self.settings.cache.helm / "sections"),
            documents=rendered_documents,
            dump=manifest_text,
            progress=self.progress,
        )

    def customer_inputs(self, name: str) -> CustomerInputs:
        """A fleet customer's sections, applications and overrides, read from its repository."""
        from releaser.app.diff_render import read_inputs

        ports = self.rollout_ports()
        customer = self.fleet.customer(name)
        return read_inputs(customer, self.fleet.kit_repo_url, ports.repos,
                           ports.parse_manifests, ports.parse_values)  # fmt: skip

    def compat_service(
        self, ref: str | None = None, offline: bool = False, render: bool = True
    ) -> CompatService:
        from releaser.app.compat import CompatService

        return self._once(
            ("compat_service", ref, offline, render),
            lambda: CompatService(
                sources=self.chart_source(offline),
                data=self.compat_data(ref),
                archives=self.chart_archives(offline),
                renderer=self.helm_renderer if render else None,
                progress=self.progress,
                stale_copies=self.stale_copies,
            ),
        )

    def planner(self, offline: bool = False, render: bool = True) -> Planner:
        """`plan`'s rule, also `bump --latest-compatible`'s: the newest version failing on no
        minor of the kit's range."""
        from releaser.app.plan import Planner

        return Planner(self.compat_service(None, offline, render), self.today)

    def bump_ports(self) -> BumpPorts:
        from releaser.adapters.kit_files import WorktreeFiles
        from releaser.adapters.yaml.edit import ExactTextFiles, set_scalar
        from releaser.app.bump import BumpPorts

        source = self.chart_source()
        return BumpPorts(
            files=WorktreeFiles(self.kit_root),
            parse=self.parse,
            text=ExactTextFiles(self.kit_root),
            edit=set_scalar,
            source_for=lambda repo_url: source,
            picker=self.planner(),
        )

    # ------------------------------------------------------------ releases: cut, hotfix
    @cached_property
    def release_repo(self) -> GitRepo:
        from releaser.adapters.git_repo import GitRepo

        return GitRepo(self.kit_root)

    def compat_gate(self) -> CompatGate:
        from releaser.app.compat_ports import ReleaseGate

        fleet = (lambda: self.fleet.customers) if self.fleet_path else None
        return ReleaseGate(self.compat_service(), self.today, fleet)

    def changes_lookup(self) -> ChangesLookup:
        from releaser.app.changes import UpstreamChanges

        return UpstreamChanges(self.chart_source())

    def customer_versions(self) -> CustomerVersions | None:
        """None without a fleet file: then `releases` marks nothing to retire and `hotfix`
        does not claim that nobody receives the fix."""
        from releaser.cli.bridges import FleetVersions

        return FleetVersions(self._fleet_versions) if self.fleet_path else None

    def _fleet_versions(self) -> dict[str, str]:
        from releaser.app.rollout_read import fleet_status

        ports = self.rollout_ports()
        rows = fleet_status(self.fleet, ports.repos, ports.parse_manifests, ports.log)
        return {
            row.customer.name: row.state.version.branch
            for row in rows
            if row.state is not None and row.state.version is not None
        }

    def release_deps(self) -> ReleaseDeps:
        from releaser.app.release_context import ReleaseDeps
        from releaser.cli.bridges import FixedClock
        from releaser.render.changelog import ChangelogTemplate

        return ReleaseDeps(
            repo=self.release_repo,
            parse=self.parse,
            render=ChangelogTemplate(self.kit_root),
            clock=FixedClock(self.today),
            compat=self.compat_gate(),
            changes=self.changes_lookup(),
        )

    # ------------------------------------------------------------ fleet and rollout
    @cached_property
    def fleet(self) -> Fleet:
        from releaser.adapters.fleet_file import load_fleet

        return load_fleet(self.fleet_path)

    @property
    def fleet_file(self) -> Path:
        """The fleet file read (its rollout log lives beside it); `fleet` checked it exists."""
        return cast(Path, self.fleet_path)

    def rollout_ports(self, notify_url: str | None = None) -> RolloutPorts:
        return self._once(("rollout_ports", notify_url), lambda: self._rollout(notify_url))

    def _rollout(self, notify_url: str | None) -> RolloutPorts:
        from releaser.adapters.clock import SystemClock
        from releaser.adapters.customer_lock import GitCustomerLocks
        from releaser.adapters.customer_repo import GitCustomerRepos
        from releaser.adapters.operator import current_operator
        from releaser.adapters.rollout_log import JsonlRolloutLog, log_path
        from releaser.adapters.yaml import load_values, parse_manifests
        from releaser.app.rollout import RolloutPorts
        from releaser.cli.bridges import KitReleaseBranches, LazyVerdicts

        fleet, caches = self.fleet, self.settings.cache
        kit = KitReleaseBranches(self._kit_remote_url, caches.kits, self.parse)
        return RolloutPorts(
            repos=GitCustomerRepos(caches.customers),
            kit=kit,
            parse_manifests=parse_manifests,
            parse_values=load_values,
            verdicts=LazyVerdicts(self._cluster_verdicts),
            log=JsonlRolloutLog(log_path(self.fleet_file)),
            notifier=self._notifier(notify_url or fleet.notify),
            clock=SystemClock(),
            argocd=self._argocd,
            secret=self.settings.secret,
            locks=GitCustomerLocks(),
            operator=current_operator(self.fleet_file.resolve().parent),
            today=self.today,
            progress=info,
            review=self._review_ports(kit),
            chart_keys=lambda c: self.upstream_charts.keys(c.repo_url, c.chart, c.version),
        )

    def _kit_remote_url(self) -> str:
        """The fleet's `kit.remote`, else the kit checkout's `origin`."""
        from releaser.adapters.git import run_git
        from releaser.domain.errors import GitError, UsageError

        if self.fleet.kit_remote:
            return self.fleet.kit_remote
        root = self.kit_root
        try:
            return run_git(root, "remote", "get-url", "origin").decode().strip()
        except GitError:
            raise UsageError(
                f"the kit checkout {root} has no 'origin' remote to read release branches from",
                hint="set kit.remote in the fleet file",
            ) from None

    def _cluster_verdicts(self) -> ComponentVerdicts:
        from releaser.app.compat_ports import ClusterVerdicts

        return ClusterVerdicts(self.compat_service(), self.today)

    def _notifier(self, target: str | None) -> Notifier:
        from releaser.cli.bridges import NoNotifier

        if not target:
            return NoNotifier()
        from releaser.adapters.notify import WebhookNotifier
        from releaser.domain.redaction import remember_secret

        remember_secret(target)  # the webhook URL's path is its credential
        return WebhookNotifier(self.http, target, info)

    def _review_ports(self, kit: KitReleaseBranches) -> ReviewPorts:
        from releaser.app.rollout_review import ReviewPorts
        from releaser.render.review import description, title

        def kit_file(version: KitVersion, path: str) -> str | None:
            files = kit.remote.files(version)
            return None if files is None else files.read_text(path)

        return ReviewPorts(
            api=self._review_api,
            describe=lambda context: (title(context), description(context)),
            kit_file=kit_file,
            rendered_diff=self._rendered_for_review(kit),
        )

    def _rendered_for_review(self, kit: KitReleaseBranches) -> RenderedDiff:
        """The customer's rendered diff from the release it runs to the target; without
        helm nothing is rendered (the description says so)."""
        from releaser.app.diff_render import KitSide, review_diff
        from releaser.domain.errors import ReleaserError

        def side(version: KitVersion) -> KitSide | None:
            files, loaded = kit.remote.files(version.release), kit.load(version)
            if files is None or loaded is None:
                return None
            return KitSide(str(version.release.branch), files, loaded)

        def inputs(customer: Customer) -> CustomerInputs:
            return self.customer_inputs(customer.name)

        def rendered(customer: Customer, from_version: str, target: KitVersion) -> Any:
            try:  # a run outside any kit checkout cannot look for helm there: not rendered
                ports = self.render_ports()
            except ReleaserError:
                return None
            if ports is None:
                return None
            return review_diff(customer, from_version, target, side, inputs, ports)

        return rendered

    def _review_api(self, settings: ReviewSettings, repository: str, token: str) -> ReviewApi:
        from releaser.adapters.review_api import GitHubReviews, GitLabReviews

        kind = GitHubReviews if settings.provider == "github" else GitLabReviews
        return kind(self.http, settings, repository, token)

    def _argocd(self, url: str, token: str) -> ArgoCd:
        from releaser.adapters.argocd import ArgoCdClient

        return ArgoCdClient(self.http, url, token)

    # ------------------------------------------------------------ report
    def release_refs(self) -> list[tuple[KitVersion, str]]:
        """Every release branch (local or only on origin) and the commit at its tip."""
        from releaser.domain.versions import KitVersion

        found = []
        for branch in self.release_repo.release_branches():
            version = KitVersion.from_branch(branch.name)
            if version is not None:
                found.append((version, branch.tip))
        return found

    def report_ports(self, offline: bool = False) -> ReportPorts:
        from releaser.app.compat import CompatService
        from releaser.app.plan import Planner
        from releaser.app.report import ReportPorts

        service = self.compat_service(offline=offline)
        quick = Planner(
            CompatService(service.sources, service.data, progress=self.progress), self.today
        )
        store = self.data_store
        return ReportPorts(
            releases=self.release_refs,
            kit_at=self.read_kit,
            compat=service,
            judge=quick.judge,
            lifecycle=store.lifecycle(),
            data_dates={
                "lifecycle": store.lifecycle().date.isoformat(),
                "deprecations": store.deprecations().date.isoformat(),
            },
            customers=(lambda v: self._customer_rows(v, service)) if self.fleet_path else None,
            today=self.today,
            progress=self.progress,
        )

    def _customer_rows(self, version: KitVersion, service: CompatService) -> list[CustomerRow]:
        """Each customer's preflight through the report's own engine: one read (or one
        failure) of each upstream per run, and `--offline` reaches it."""
        from dataclasses import replace

        from releaser.app.compat_ports import ClusterVerdicts
        from releaser.app.report_customers import customer_rows

        ports = replace(self.rollout_ports(), verdicts=ClusterVerdicts(service, self.today))
        return customer_rows(self.fleet, version, ports, self.progress)


def container(ctx: typer.Context) -> Container:
    """The container of this invocation; built from the global options parsed so far when the
    root command's callback has not run (shell completion parses and runs no callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, Container):
        root.obj = Container(GlobalOptions.from_params(root.params))
    ctx.color = color_choice(root.obj.options.no_color)  # what `emit` shows in colour
    return root.obj

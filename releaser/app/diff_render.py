"""`diff --render` and `--chart-values`: what a kit change does to the rendered manifests and
to the upstream charts' defaults.

At each ref every section chart (`core/<section>`, an app of apps) is rendered with a real
helm and the customer's overrides of that section, as Argo CD renders it; then each chart
Application it produced is rendered from its upstream chart archive with the values the
Application carries (kit defaults, the section's `global` and the customer's overrides,
already merged and `tpl`-ed by the section chart). The two sides are compared per resource
(`releaser.domain.manifest_diff`). A chart that cannot be fetched or rendered is reported for
its application and makes the answer partial (exit 4); the others are still compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from releaser.app.ports import KitFiles
from releaser.app.ports_rollout import CustomerRepos, ManifestParser, ValuesParser
from releaser.app.rollout_read import overrides_of, read_customer
from releaser.domain.compat_sources import Target
from releaser.domain.diff import KitDiff
from releaser.domain.errors import ReleaserError
from releaser.domain.fleet import Customer
from releaser.domain.helm_values import merge_values
from releaser.domain.kit import Kit
from releaser.domain.manifest_diff import AppRender, ManifestDiff, chart_apps, diff_renders
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.rollout import Overrides
from releaser.domain.unverified import Unverified
from releaser.domain.values_diff import ChartKeys, ChartValuesDiff, diff_chart_values
from releaser.domain.versions import KitVersion

SECTION_NAMESPACE = "argocd"  # where the kit's app-of-apps Applications live


class ManifestRenderer(Protocol):
    def describe(self) -> str: ...

    def manifests(
        self, chart: str, kube_version: str, values: Mapping[str, Any] | None = None,
        *, release: str, namespace: str,
    ) -> str: ...  # fmt: skip


class UpstreamCharts(Protocol):
    """Upstream chart archives by repository, chart and version (UpstreamError when not)."""

    def archive(self, repo_url: str, chart: str, version: str) -> str: ...

    def keys(self, repo_url: str, chart: str, version: str) -> ChartKeys: ...


@dataclass(frozen=True)
class RenderPorts:
    renderer: ManifestRenderer
    charts: UpstreamCharts
    section_chart: Callable[[KitFiles, str], AbstractContextManager[str]]  # -> its directory
    documents: Callable[[str, str], list[Any]]  # helm's output -> documents
    dump: Callable[[Any], str]  # one document as the YAML the diff shows
    progress: Progress = field(default_factory=NoProgress)


@dataclass(frozen=True)
class KitSide:
    """One ref of the comparison: its label, its files and the kit read from them."""

    label: str
    files: KitFiles
    kit: Kit


@dataclass(frozen=True)
class CustomerInputs:
    """What a customer's repository says about rendering the kit for it."""

    name: str
    kube_version: str
    sections: tuple[str, ...]
    apps: Mapping[str, str]  # section -> the customer's Argo CD application for it
    overrides: tuple[Overrides, ...]
    notes: tuple[str, ...] = ()


def read_inputs(
    customer: Customer, kit_url: str, repos: CustomerRepos, parse_manifests: ManifestParser,
    parse_values: ValuesParser,
) -> CustomerInputs:  # fmt: skip
    """The customer's sections, application names and overrides, read from its repository
    as the rollout reads them."""
    view = read_customer(repos.open(customer).base(), customer, kit_url, parse_manifests)
    scan = overrides_of(view, customer, parse_values)
    sections = tuple(dict.fromkeys(s.section for s in view.state.sources if s.section))
    apps = {s.section: s.app for s in view.state.sources if s.section}
    return CustomerInputs(customer.name, str(customer.kubernetes), sections, apps,
                          tuple(scan.overrides), tuple(scan.notes))  # fmt: skip


def rendered_diff(
    before: KitSide, after: KitSide, ports: RenderPorts, customer: CustomerInputs | None = None
) -> ManifestDiff:
    """Every application's manifests at both refs, compared per resource."""
    kube = customer.kube_version if customer else f"{after.kit.kubernetes.max}.0"
    helm_kube = Target.parse(kube).helm_version
    sections = customer.sections if customer else _all_sections(before.kit, after.kit)
    with batch(ports.progress, 2 * len(sections), "rendering") as bar:
        renders = [
            [app for s in sections for app in _render_section(side, s, helm_kube, ports,
                                                              customer, bar)]
            for side in (before, after)
        ]  # fmt: skip
    return ManifestDiff(
        before.label, after.label, helm_kube, customer.name if customer else None,
        ports.renderer.describe(), diff_renders(renders[0], renders[1], ports.dump),
        customer.notes if customer else (),
    )  # fmt: skip


def review_diff(
    customer: Customer, from_version: str, target: KitVersion,
    side: Callable[[KitVersion], KitSide | None],
    inputs: Callable[[Customer], CustomerInputs], ports: RenderPorts,
) -> dict[str, str] | None:  # fmt: skip
    """A rollout's rendered diff per application, for its pull/merge request: the release
    the customer runs against the target. None when it cannot be rendered or nothing
    renders (the description then says so); an application that could not be rendered says
    why in its block."""
    try:
        before, after = side(KitVersion.parse(from_version)), side(target)
        if before is None or after is None:
            return None
        diff = rendered_diff(before, after, ports, inputs(customer))
    except ReleaserError:
        return None
    rendered = any(a.changes or a.unchanged or a.errors for a in diff.apps)
    return diff.by_app() if rendered else None  # section charts without templates: nothing


def _all_sections(*kits: Kit) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for kit in kits for name in kit.section_names))


def _render_section(
    side: KitSide, section: str, kube: str, ports: RenderPorts,
    customer: CustomerInputs | None, bar: Progress,
) -> list[AppRender]:  # fmt: skip
    """The section's app of apps and every chart application it renders, at one ref."""
    bar.advance(f"core/{section} at {side.label}")
    if side.kit.section(section) is None:
        return []
    name = customer.apps.get(section, f"core-{section}") if customer else f"core-{section}"
    folder = f"core/{section}"
    values = section_values(customer.overrides if customer else (), section)
    try:
        with ports.section_chart(side.files, folder) as path:
            text = ports.renderer.manifests(path, kube, values, release=name,
                                            namespace=SECTION_NAMESPACE)  # fmt: skip
        docs = ports.documents(text, folder)
    except ReleaserError as exc:
        why = f"helm template failed: {exc.message}"
        unread = Unverified.of(name, f"{folder} at {side.label}", why)
        return [AppRender(name, folder, error=unread)]
    apps = [AppRender(name, folder, tuple(docs))]
    for app in chart_apps(docs):
        bar.detail(f"helm template {app.chart} {app.version}")
        apps.append(_render_chart(app.name, app.repo_url, app.chart, app.version, kube,
                                  app.values, app.release, app.namespace, ports))  # fmt: skip
    return apps


def _render_chart(
    name: str, repo_url: str, chart: str, version: str, kube: str, values: Mapping[str, Any],
    release: str, namespace: str, ports: RenderPorts,
) -> AppRender:  # fmt: skip
    source = f"{chart} {version}"
    try:
        archive = ports.charts.archive(repo_url, chart, version)
        text = ports.renderer.manifests(archive, kube, values, release=release,
                                        namespace=namespace)  # fmt: skip
        docs = ports.documents(text, f"{name} ({source})")
    except ReleaserError as exc:
        return AppRender(name, source, error=Unverified.of(name, repo_url, exc.message))
    return AppRender(name, source, tuple(docs))


def section_values(overrides: Sequence[Overrides], section: str) -> dict[str, Any]:
    """A customer's values for one section merged as Argo CD merges them: value files first,
    then `helm.values`, then `helm.valuesObject` (each later one wins)."""
    mine = [o for o in overrides if o.section == section]
    ordered = sorted(mine, key=lambda o: _precedence(o.origin))
    return merge_values({}, *(o.values for o in ordered))


def _precedence(origin: str) -> int:
    if origin.endswith("helm.valuesObject)"):
        return 2
    return 1 if origin.endswith("helm.values)") else 0


# --------------------------------------------------------------------------- chart values


def chart_values(
    changes: KitDiff, before: Kit, after: Kit, charts: UpstreamCharts,
    progress: Progress | None = None,
) -> tuple[tuple[ChartValuesDiff, ...], tuple[Unverified, ...]]:  # fmt: skip
    """The default values of each bumped component's chart, old version against new, and
    the upstreams that could not be read."""
    found, unread = [], []
    with batch(progress or NoProgress(), len(changes.changed), "comparing chart values") as bar:
        for change in changes.changed:
            bar.advance(f"{change.name} {change.from_version} -> {change.to_version}")
            old, new = before.component(change.name), after.component(change.name)
            if old is None or new is None:
                continue
            versions = (old.version, new.version)
            try:
                keys = [charts.keys(c.repo_url, c.chart, c.version) for c in (old, new)]
            except ReleaserError as exc:
                unread.append(Unverified.of(new.name, new.repo_url, exc.message))
                found.append(ChartValuesDiff(new.name, new.chart, *versions, error=exc.message))
                continue
            found.append(diff_chart_values(new.name, new.chart, versions,
                                           keys[0].defaults, keys[1].defaults))  # fmt: skip
    return tuple(found), tuple(unread)

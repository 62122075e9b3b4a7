"""Rendered manifests compared per resource, as `helm diff` and `argocd app diff` do.

Pure. Each Argo CD application's documents at two refs are keyed by apiVersion, kind,
namespace and name; a resource is added, removed or changed, a change shown as a unified
diff of its YAML (`dump` is the caller's serializer, the same on both sides). Secret `data`
and `stringData` values never reach the text: each is replaced, before dumping, by a mask
that only says whether it changed (`mask_secrets`).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from releaser.domain.unverified import Unverified

MASK = "<masked>"
MASK_BEFORE = "<masked: before>"
MASK_CHANGED = "<masked: changed>"
_SECRET_FIELDS = ("data", "stringData")
Dump = Callable[[Any], str]
Change = Literal["added", "removed", "changed"]


@dataclass(frozen=True, order=True)
class ResourceKey:
    api_version: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.api_version}/{self.kind} {where}"

    def as_dict(self) -> dict[str, str]:
        return {"apiVersion": self.api_version, "kind": self.kind,
                "namespace": self.namespace, "name": self.name}  # fmt: skip


@dataclass(frozen=True)
class AppRender:
    """One Argo CD application's manifests at one ref; `error` when they could not be had."""

    name: str
    source: str  # `core/base`, `cert-manager v1.21.0 (https://charts.jetstack.io)`
    docs: tuple[Mapping[str, Any], ...] = ()
    error: Unverified | None = None


@dataclass(frozen=True)
class ResourceChange:
    key: ResourceKey
    change: Change
    diff: str  # unified diff, Secret values masked

    def as_dict(self) -> dict[str, Any]:
        return {**self.key.as_dict(), "change": self.change, "diff": self.diff}


@dataclass(frozen=True)
class AppDiff:
    name: str
    before: str | None  # the source rendered at the older ref; None: no such app there
    after: str | None
    changes: tuple[ResourceChange, ...] = ()
    unchanged: int = 0  # resources identical on both sides
    errors: tuple[Unverified, ...] = ()

    def text(self) -> str:
        """Every change of the app as one diff text (the pull request's block)."""
        return "\n".join(c.diff for c in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "from": self.before, "to": self.after,
            "resources": [c.as_dict() for c in self.changes], "unchanged": self.unchanged,
            "errors": [e.as_dict() for e in self.errors],
        }  # fmt: skip


@dataclass(frozen=True)
class ManifestDiff:
    from_ref: str
    to_ref: str
    kube_version: str
    customer: str | None
    helm: str
    apps: tuple[AppDiff, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def unverified(self) -> tuple[Unverified, ...]:
        return tuple(e for app in self.apps for e in app.errors)

    @property
    def changed_apps(self) -> tuple[AppDiff, ...]:
        return tuple(a for a in self.apps if a.changes)

    def by_app(self) -> dict[str, str]:
        """App name -> its diff text, for the apps that changed or could not be rendered
        (the rollout description's blocks)."""
        found = {a.name: a.text() for a in self.changed_apps}
        for app in self.apps:
            if app.errors:
                found[app.name] = "\n".join(f"# not rendered: {e.reason}" for e in app.errors)
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.from_ref, "to": self.to_ref, "kubernetes": self.kube_version,
            "customer": self.customer, "helm": self.helm,
            "apps": [a.as_dict() for a in self.apps], "notes": list(self.notes),
        }  # fmt: skip


def resource_key(doc: Mapping[str, Any]) -> ResourceKey | None:
    """The key of a Kubernetes object; None for a document that is not one."""
    meta = doc.get("metadata")
    if not isinstance(meta, Mapping) or not meta.get("name") or not doc.get("kind"):
        return None
    namespace = meta.get("namespace")
    return ResourceKey(str(doc.get("apiVersion") or ""), str(doc["kind"]),
                       str(namespace) if namespace else "", str(meta["name"]))  # fmt: skip


def keyed(docs: Iterable[Mapping[str, Any]]) -> dict[ResourceKey, Mapping[str, Any]]:
    """Objects by key; a key seen again (a chart's mistake) keeps its first document."""
    found: dict[ResourceKey, Mapping[str, Any]] = {}
    for doc in docs:
        key = resource_key(doc) if isinstance(doc, Mapping) else None
        if key is not None:
            found.setdefault(key, doc)
    return found


def mask_secrets(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[Mapping[str, Any] | None, Mapping[str, Any] | None]:
    """The two sides of one resource with every Secret value replaced by a mask: equal values
    by `MASK` on both sides, differing ones by `MASK_BEFORE` and `MASK_CHANGED`."""
    if not _is_secret(before) and not _is_secret(after):
        return before, after
    masked_before, masked_after = dict(before or {}), dict(after or {})
    for name in _SECRET_FIELDS:
        old, new = _field(before, name), _field(after, name)
        if old is not None:
            masked_before[name] = _masked(old, new, MASK_BEFORE)
        if new is not None:
            masked_after[name] = _masked(new, old, MASK_CHANGED)
    return (masked_before if before is not None else None,
            masked_after if after is not None else None)  # fmt: skip


def _is_secret(doc: Mapping[str, Any] | None) -> bool:
    return doc is not None and doc.get("kind") == "Secret"


def _field(doc: Mapping[str, Any] | None, name: str) -> Any:
    return None if doc is None else doc.get(name)


def _masked(mine: Any, other: Any, differs: str) -> Any:
    """`mine` with each value masked; `other` (the other side) only says which changed."""
    if not isinstance(mine, Mapping):
        return MASK if mine == other else differs
    theirs = other if isinstance(other, Mapping) else {}
    return {k: MASK if k in theirs and theirs[k] == v else differs for k, v in mine.items()}


def diff_app(before: AppRender | None, after: AppRender | None, dump: Dump) -> AppDiff:
    """The resources of one application that changed between two renders."""
    either = after or before
    name = either.name if either is not None else ""
    errors = tuple(r.error for r in (before, after) if r is not None and r.error is not None)
    base = AppDiff(name, before.source if before else None, after.source if after else None)
    if errors:
        return AppDiff(base.name, base.before, base.after, errors=errors)
    old, new = keyed(before.docs if before else ()), keyed(after.docs if after else ())
    changes, unchanged = [], 0
    for key in sorted(old.keys() | new.keys()):
        change = _resource_change(key, old.get(key), new.get(key), dump)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    return AppDiff(base.name, base.before, base.after, tuple(changes), unchanged)


def _resource_change(
    key: ResourceKey, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None, dump: Dump
) -> ResourceChange | None:
    if old == new:
        return None
    shown_old, shown_new = mask_secrets(old, new)
    kind: Change = "added" if old is None else "removed" if new is None else "changed"
    text = unified(str(key), _lines(shown_old, dump), _lines(shown_new, dump))
    return ResourceChange(key, kind, text)


def _lines(doc: Mapping[str, Any] | None, dump: Dump) -> list[str]:
    return [] if doc is None else dump(doc).splitlines()


def unified(label: str, old: Sequence[str], new: Sequence[str]) -> str:
    """A unified diff with three lines of context, named after the resource."""
    head_old = f"a/{label}" if old else "/dev/null"
    head_new = f"b/{label}" if new else "/dev/null"
    return "\n".join(difflib.unified_diff(old, new, head_old, head_new, lineterm=""))


def diff_renders(
    before: Sequence[AppRender], after: Sequence[AppRender], dump: Dump
) -> tuple[AppDiff, ...]:
    """Every application of either side, in the newer side's order, then the removed ones."""
    old = {r.name: r for r in before}
    new = {r.name: r for r in after}
    names = [*new, *(n for n in old if n not in new)]
    return tuple(diff_app(old.get(n), new.get(n), dump) for n in names)


@dataclass(frozen=True)
class ChartApp:
    """An Argo CD Application a section chart rendered that installs an upstream chart."""

    name: str
    repo_url: str
    chart: str
    version: str
    namespace: str
    release: str
    values: Mapping[str, Any]

    @property
    def source(self) -> str:
        return f"{self.chart} {self.version}"


def chart_apps(docs: Iterable[Any]) -> list[ChartApp]:
    """The single-source chart Applications among rendered documents, in their order."""
    found = []
    for doc in docs:
        if not isinstance(doc, Mapping) or doc.get("kind") != "Application":
            continue
        key, spec = resource_key(doc), _map(doc.get("spec"))
        source, target = _map(spec.get("source")), _map(spec.get("destination"))
        if key is None or not source.get("chart"):
            continue
        helm = _map(source.get("helm"))
        found.append(ChartApp(
            key.name, str(source.get("repoURL") or ""), str(source["chart"]),
            str(source.get("targetRevision") or ""), str(target.get("namespace") or "default"),
            str(helm.get("releaseName") or key.name), _map(helm.get("valuesObject")),
        ))  # fmt: skip
    return found


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}

"""What a customer runs, read from the Argo CD manifests in its GitOps repository (SPEC §4).

Every `spec.source` / `spec.sources[]` (and `spec.template.spec…` of an ApplicationSet) whose
`repoURL` is the kit's references the kit; its `path` names the section and its
`targetRevision` the kit version. The version is read from the repository, never stored twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from releaser.domain.document import KeyPath, ManifestDoc, dotted
from releaser.domain.splice import Span
from releaser.domain.versions import KitVersion

KINDS = ("Application", "ApplicationSet")
_SCP_RE = re.compile(r"^(?:(?P<user>[^@/]+)@)?(?P<host>[^:/]+):(?P<path>(?!//).+)$")
_URL_RE = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:(?P<auth>[^@/]*)@)?(?P<rest>.*)$", re.I)
_SECTION_RE = re.compile(r"^(?:\./)?core/(?P<section>[a-z0-9-]+)/?$")


def normalise_repo_url(url: str) -> str:
    """One spelling for one repository: `git@host:org/repo`, `ssh://git@host/org/repo.git`
    and `https://HOST/org/repo/` all become `host/org/repo` (host lower-cased, scheme, user,
    port-less ssh form, trailing `.git` and `/` dropped). `file://` paths keep their path."""
    text = url.strip()
    match = _URL_RE.match(text)
    if match:
        scheme, rest = match["scheme"].lower(), match["rest"]
        if scheme == "file":
            return "file://" + rest.rstrip("/").removesuffix(".git").rstrip("/")
        host, _, path = rest.partition("/")
        host = host.lower()
        if scheme in ("ssh", "git+ssh") and host.endswith(":22"):
            host = host[:-3]
    else:
        scp = _SCP_RE.match(text)
        if scp is None:
            return text.rstrip("/").removesuffix(".git").rstrip("/")
        host, path = scp["host"].lower(), scp["path"]
    path = path.strip("/").removesuffix(".git").rstrip("/")
    return f"{host}/{path}"


@dataclass(frozen=True)
class KitSource:
    """One reference to the kit: an Application's (or ApplicationSet template's) source."""

    file: str
    doc_index: int
    line: int | None
    kind: str
    app: str
    path: KeyPath  # of the source mapping inside its document
    section: str | None
    revision: str | None
    span: Span | None
    helm: Mapping[str, Any]
    refs: Mapping[str, str]  # `ref:` name of a sibling source -> its repoURL
    helm_lines: Mapping[str, int] = field(default_factory=dict)  # valuesObject -> its line

    @property
    def version(self) -> KitVersion | None:
        return KitVersion.from_branch(self.revision) if self.revision else None

    def origin(self, helm_key: str) -> str:
        """`argocd/apps.yaml:15 (Application core-base helm.valuesObject)`."""
        line = self.helm_lines.get(helm_key)
        at = f"{self.file}:{line}" if line else self.file
        return f"{at} ({self.kind} {self.app} helm.{helm_key})"

    @property
    def where(self) -> str:
        at = f"{self.file}:{self.line}" if self.line else self.file
        return f"{at} ({self.kind} {self.app}, {dotted(self.path)})"


@dataclass(frozen=True)
class CustomerState:
    """Every kit reference of one customer and what can be said about its version."""

    sources: tuple[KitSource, ...]
    problems: tuple[str, ...] = ()

    @property
    def sections(self) -> dict[str, str | None]:
        """section -> version text (`mixed` when one section's sources disagree)."""
        out: dict[str, str | None] = {}
        for source in self.sources:
            name = source.section or "?"
            text = str(source.version) if source.version else source.revision
            out[name] = text if out.get(name, text) == text else "mixed"
        return out

    @property
    def versions(self) -> set[KitVersion]:
        return {s.version for s in self.sources if s.version is not None}

    @property
    def version(self) -> KitVersion | None:
        """The one version every kit reference names; None when mixed, unknown or absent."""
        if not self.sources or any(s.version is None for s in self.sources):
            return None
        versions = self.versions
        return next(iter(versions)) if len(versions) == 1 else None

    @property
    def mixed(self) -> bool:
        return len({s.revision for s in self.sources}) > 1

    def describe(self) -> str:
        """`2024.2`, `mixed (base 2024.2, aws 2024.1)`, `none` or the unrecognised revision."""
        if not self.sources:
            return "none"
        if self.version is not None:
            return str(self.version)
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.sections.items()))
        return f"mixed ({parts})" if self.mixed else f"unknown ({parts})"


def find_kit_sources(docs: list[ManifestDoc], kit_repo_url: str) -> CustomerState:
    """Every source in `docs` that references the kit, plus problems worth reporting."""
    kit = normalise_repo_url(kit_repo_url)
    sources: list[KitSource] = []
    problems: list[str] = []
    for doc in docs:
        for kind, app, spec_path, spec in _specs(doc):
            for path, source, refs in _sources(spec, spec_path):
                repo = source.get("repoURL")
                if isinstance(repo, str) and normalise_repo_url(repo) == kit:
                    sources.append(_kit_source(doc, kind, app, path, source, refs))
    for found in sources:
        problems += _source_problems(found)
    return CustomerState(tuple(sources), tuple(problems))


def _specs(doc: ManifestDoc) -> Iterator[tuple[str, str, KeyPath, Mapping[str, Any]]]:
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        return
    if not str(data.get("apiVersion", "")).startswith("argoproj.io/"):
        return
    meta = data.get("metadata")
    name = str(meta.get("name", "?")) if isinstance(meta, dict) else "?"
    spec = data.get("spec")
    if not isinstance(spec, dict):
        return
    if data["kind"] == "Application":
        yield "Application", name, ("spec",), spec
        return
    template = spec.get("template")
    inner = template.get("spec") if isinstance(template, dict) else None
    if isinstance(inner, dict):
        yield "ApplicationSet", name, ("spec", "template", "spec"), inner


def _sources(
    spec: Mapping[str, Any], at: KeyPath
) -> Iterator[tuple[KeyPath, Mapping[str, Any], dict[str, str]]]:
    if isinstance(spec.get("source"), dict):
        yield (*at, "source"), spec["source"], {}
    many = spec.get("sources")
    if not isinstance(many, list):
        return
    refs = {
        str(s["ref"]): str(s.get("repoURL", ""))
        for s in many
        if isinstance(s, dict) and isinstance(s.get("ref"), str)
    }
    for index, source in enumerate(many):
        if isinstance(source, dict):
            yield (*at, "sources", index), source, refs


def _kit_source(
    doc: ManifestDoc,
    kind: str,
    app: str,
    path: KeyPath,
    source: Mapping[str, Any],
    refs: dict[str, str],
) -> KitSource:
    match = _SECTION_RE.match(str(source.get("path", "")))
    revision = source.get("targetRevision")
    rev_path = (*path, "targetRevision")
    helm = source.get("helm")
    return KitSource(
        file=doc.file,
        doc_index=doc.index,
        line=doc.lines.get(rev_path) or doc.lines.get(path),
        kind=kind,
        app=app,
        path=path,
        section=match["section"] if match else None,
        revision=None if revision is None else str(revision),
        span=doc.spans.get(rev_path),
        helm=helm if isinstance(helm, dict) else {},
        refs=refs,
        helm_lines={
            key: line
            for key in ("valuesObject", "values", "valueFiles")
            if (line := doc.lines.get((*path, "helm", key))) is not None
        },
    )


def _source_problems(source: KitSource) -> list[str]:
    out: list[str] = []
    if source.section is None:
        out.append(f"{source.where}: path does not name a kit section (core/<section>)")
    if source.revision is None:
        out.append(f"{source.where}: no targetRevision (Argo CD would follow HEAD)")
    elif source.version is None:
        out.append(
            f"{source.where}: targetRevision '{source.revision}' is not a release branch "
            "(release/YYYY.N)"
        )
    elif source.span is None or source.span.style not in (None, "'", '"'):
        out.append(f"{source.where}: targetRevision is not a plain or quoted scalar")
    return out


def rewrite_problems(
    before: list[ManifestDoc],
    after: list[ManifestDoc],
    changed: set[tuple[int, KeyPath]],
    value: str,
) -> list[str]:
    """Why `after` is not `before` with exactly the `changed` scalars set to `value` (empty
    when it is): the proof that a rewrite touched nothing else."""
    if [d.index for d in before] != [d.index for d in after]:
        return ["the documents of the file changed"]
    problems: list[str] = []
    for old, new in zip(before, after, strict=True):
        expected = _with_values(old.data, {p for i, p in changed if i == old.index}, value)
        if expected != new.data:
            problems.append(f"{old.file}: document {old.index + 1} changed beyond targetRevision")
    return problems


def _with_values(data: Any, paths: set[KeyPath], value: str, at: KeyPath = ()) -> Any:
    if at in paths:
        return value
    if isinstance(data, dict):
        return {k: _with_values(v, paths, value, (*at, k)) for k, v in data.items()}
    if isinstance(data, list):
        return [_with_values(v, paths, value, (*at, i)) for i, v in enumerate(data)]
    return data

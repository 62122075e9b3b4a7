"""Charts stored in OCI registries (`oci://registry/path`), read the way Helm pushes them.

A chart version is a tag of the repository `path/chart`; its metadata (kubeVersion included)
is the Helm config blob of the tag's manifest. Reading every config of a chart with hundreds
of tags is slow, so they are fetched concurrently and cached on disk: manifests and configs
are immutable by digest, and chart versions are treated as immutable the way Helm users treat
them, so a second run lists tags only and fetches just the new ones. The tag list is kept
per upstream chart (the kit's repoURL, whatever mirror served it): offline it answers alone,
and when the registry is down (unreachable, 429, 5xx) a copy young enough stands in
(`StaleStandIns`).
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from releaser.adapters.cache_files import read_json, stored_url, url_key, write_json
from releaser.adapters.helm_index import parse_changes
from releaser.adapters.http import HttpClient
from releaser.adapters.oci_registry import RegistryClient, RegistryDown
from releaser.adapters.stale import StaleStandIns, parse_time
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError
from releaser.domain.redaction import redact

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYERS = ("application/vnd.cncf.helm.chart.content.v1.tar+gzip", "application/tar+gzip")
CHART_LIMIT = 64 * 1024 * 1024
# cosign signatures/attestations/SBOMs and OCI 1.1 referrers-fallback tags: not chart versions.
_ARTIFACT_TAG = re.compile(r"sha256-[0-9a-fA-F]+(\.[A-Za-z0-9]+)?")
_ZERO_TIME = "0001-01-01T00:00:00Z"

Credentials = Callable[[str], tuple[str, str] | None]


def _identity(url: str) -> str:
    return url


def _no_credentials(host: str) -> tuple[str, str] | None:
    return None


def tag_to_version(tag: str) -> str | None:
    """The chart version a tag stands for (`1.2.4_build1` -> `1.2.4+build1`), or None."""
    if _ARTIFACT_TAG.fullmatch(tag):
        return None
    return tag.replace("_", "+")


def version_to_tag(version: str) -> str:
    """OCI tags cannot hold `+`; Helm writes it as `_`."""
    return version.replace("+", "_")


@dataclass(frozen=True)
class OciRef:
    """Where one chart lives: `oci://host/path` + chart -> repository `path/chart` on host."""

    host: str
    repository: str
    userinfo: tuple[str, str] | None

    @classmethod
    def parse(cls, repo_url: str, chart: str) -> OciRef:
        parts = urllib.parse.urlsplit(repo_url)
        if parts.scheme != "oci" or not parts.hostname:
            raise UpstreamError(f"{redact(repo_url)}: not an oci://registry/path URL")
        host = parts.netloc.rsplit("@", 1)[-1]
        path = parts.path.strip("/")
        repository = f"{path}/{chart}" if path else chart
        user = urllib.parse.unquote(parts.username) if parts.username else None
        password = urllib.parse.unquote(parts.password or "")
        return cls(host, repository.lower(), (user, password) if user else None)


@dataclass(frozen=True)
class _Entry:
    """What releaser keeps of one chart manifest: its config JSON and annotations."""

    digest: str
    config: dict[str, Any]
    annotations: dict[str, str]
    layer: str | None

    def as_json(self) -> dict[str, Any]:
        return {"config": self.config, "annotations": self.annotations, "layer": self.layer}


class OciChartSource:
    """`ChartSource` for `oci://` repository URLs; `cache_dir` is `CacheDirs.oci`."""

    def __init__(
        self,
        client: HttpClient,
        cache_dir: Path,
        rewrite: Callable[[str], str] = _identity,
        credentials: Credentials = _no_credentials,
        workers: int = 8,
        page_size: int = 1000,
        offline: bool = False,
        stale: StaleStandIns | None = None,
    ) -> None:
        self.http = client
        self.rewrite = rewrite
        self.credentials = credentials
        self.cache = _Cache(cache_dir)
        self.workers = workers
        self.page_size = page_size
        self.offline = offline
        self.stale = stale or StaleStandIns()  # by default no copy stands in

    def client(self, repo_url: str, chart: str) -> RegistryClient:
        effective = self.rewrite(repo_url)
        ref = OciRef.parse(effective, chart)
        label = f"{redact(repo_url).rstrip('/')}/{chart}"
        if effective != repo_url:
            label += f" (via mirror {redact(effective).rstrip('/')}/{chart})"
        creds = self.credentials(ref.host) or ref.userinfo
        return RegistryClient(self.http, ref.host, ref.repository, label, creds)

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        """Every chart version in the repository, newest first; non-chart tags are skipped."""
        client = self.client(repo_url, chart)
        if self.offline:
            record = self.cache.tags(repo_url, chart)
            if record is None:
                raise client.fail("no cached tag list (run `releaser check` once online)")
            tags = record.tags
        else:
            try:
                tags = self._list(client, repo_url, chart)
            except RegistryDown as err:
                tags = self._stand_in(client, repo_url, chart, err)
        out = []
        for tag, digest in tags.items():
            version = tag_to_version(tag)
            entry = self.cache.load(digest) if digest else None
            if version is not None and entry is not None:
                out.append(_release(chart, version, entry))
        return sorted(out, key=lambda r: r.parsed_version, reverse=True)

    def _list(self, client: RegistryClient, repo_url: str, chart: str) -> dict[str, str]:
        """Tag -> manifest digest of every version tag, fetching the manifests not cached."""
        versions = [t for t in client.tags(self.page_size) if tag_to_version(t)]
        record = self.cache.tags(repo_url, chart, complete=False)
        known = dict(record.tags) if record else {}
        # "" marks a tag known not to be a chart (a container image in the same repository).
        missing = [t for t in versions if t not in known or not self._cached(known[t])]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            fetched = list(pool.map(lambda t: self._fetch(client, t), missing))
        for tag, entry in zip(missing, fetched, strict=True):
            known[tag] = entry.digest if entry else ""
        tags = {t: known[t] for t in versions}
        mirror = self.rewrite(repo_url)
        self.cache.save_tags(repo_url, chart, tags, mirror if mirror != repo_url else None)
        return tags

    def _stand_in(
        self, client: RegistryClient, repo_url: str, chart: str, err: UpstreamError
    ) -> dict[str, str]:
        """The cached tag list, when it may answer for the failing registry; else the error."""
        record = self.cache.tags(repo_url, chart)
        if record is None:
            raise err
        reason = err.message.removeprefix(f"{client.label}: ")
        refused = self.stale.stand_in(repo_url, record.fetched, reason, chart)
        if refused:
            raise UpstreamError(f"{err.message}; {refused}", hint=err.hint) from None
        return record.tags

    def download_chart(self, repo_url: str, chart: str, version: str) -> bytes:
        """The chart archive (.tgz) of `version`, checked against its digest."""
        client = self.client(repo_url, chart)
        entry = self._fetch(client, version_to_tag(version))
        if entry is None or entry.layer is None:
            raise client.fail(f"version {version} is not a Helm chart")
        return _blob(client, entry.layer, CHART_LIMIT)

    def _cached(self, digest: str) -> bool:
        return digest == "" or self.cache.has(digest)

    def _fetch(self, client: RegistryClient, tag: str) -> _Entry | None:
        """The manifest of `tag` and its config blob; None when the tag is not a chart."""
        reply = client.get(client.url(f"manifests/{tag}"), accept=OCI_MANIFEST)
        if reply.status == 404:
            raise client.fail(f"version tag {tag} not found on {client.host}")
        client.expect_ok(reply, f"manifest {tag}")
        digest = reply.headers.get("Docker-Content-Digest") or _sha256(reply.body)
        cached = self.cache.load(digest)
        if cached is not None:
            return cached
        manifest = _json(client, reply.body, f"manifest {tag}")
        config = manifest.get("config") or {}
        if manifest.get("mediaType", OCI_MANIFEST) != OCI_MANIFEST or (
            config.get("mediaType") != HELM_CONFIG
        ):
            return None
        layers = [x for x in manifest.get("layers") or [] if x.get("mediaType") in HELM_LAYERS]
        entry = _Entry(
            digest=digest,
            config=_json(client, _blob(client, str(config.get("digest")), None), f"config {tag}"),
            annotations={str(k): str(v) for k, v in (manifest.get("annotations") or {}).items()},
            layer=str(layers[0]["digest"]) if layers else None,
        )
        self.cache.store(entry)
        return entry


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(client: RegistryClient, body: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise client.fail(f"{what} on {client.host} is not a JSON object")
    return data


def _blob(client: RegistryClient, digest: str, limit: int | None) -> bytes:
    """A blob, redirects followed, verified against its sha256 digest."""
    if not digest.startswith("sha256:"):
        raise client.fail(f"unsupported blob digest {digest!r}")
    reply = client.get(client.url(f"blobs/{digest}"), limit=limit or 4 * 1024 * 1024)
    client.expect_ok(reply, f"blob {digest[:19]}")
    if _sha256(reply.body) != digest:
        raise client.fail(f"blob {digest[:19]} from {client.host} does not match its digest")
    return reply.body


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _created(annotations: dict[str, str]) -> datetime | None:
    raw = annotations.get("org.opencontainers.image.created")
    if not raw or raw.startswith(_ZERO_TIME[:10]):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _release(chart: str, version: str, entry: _Entry) -> ChartRelease:
    config = entry.config
    raw_annotations = config.get("annotations")
    annotations = raw_annotations if isinstance(raw_annotations, dict) else {}
    sources = config.get("sources")
    sources = sources if isinstance(sources, list) else []
    return ChartRelease(
        name=str(config.get("name") or chart),
        version=version,
        app_version=_text(config.get("appVersion")),
        kube_version=_text(config.get("kubeVersion")),
        created=_created(entry.annotations),
        deprecated=config.get("deprecated") is True,
        description=_text(config.get("description")),
        home=_text(config.get("home")),
        sources=tuple(str(s) for s in sources),
        changes=parse_changes(_text(annotations.get("artifacthub.io/changes"))),
        digest=entry.digest,
        annotations=tuple(sorted((str(k), str(v)) for k, v in annotations.items())),
    )


@dataclass(frozen=True)
class _TagRecord:
    tags: dict[str, str]  # version tag -> manifest digest ("" when the tag is no chart)
    fetched: datetime | None  # when the registry last listed them


_TAGS_FORMAT = 2  # 2: per upstream chart, with `fetchedAt`; older records are ignored


class _Cache:
    """`<dir>/manifests/sha256/<hex>.json` (immutable) and `<dir>/tags/<key>.json` (the tag
    list of one upstream chart, keyed by `url_key(repoURL, chart)`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _manifest_path(self, digest: str) -> Path | None:
        algo, _, hexpart = digest.partition(":")
        if algo != "sha256" or not re.fullmatch(r"[0-9a-f]{64}", hexpart):
            return None
        return self.root / "manifests" / algo / f"{hexpart}.json"

    def _tags_path(self, repo_url: str, chart: str) -> Path:
        return self.root / "tags" / f"{url_key(repo_url, chart)}.json"

    def has(self, digest: str) -> bool:
        path = self._manifest_path(digest)
        return path is not None and path.is_file()

    def load(self, digest: str) -> _Entry | None:
        path = self._manifest_path(digest)
        data = read_json(path) if path else None
        if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
            return None
        return _Entry(digest, data["config"], data.get("annotations") or {}, data.get("layer"))

    def store(self, entry: _Entry) -> None:
        path = self._manifest_path(entry.digest)
        if path is not None:
            write_json(path, entry.as_json())

    def tags(self, repo_url: str, chart: str, complete: bool = True) -> _TagRecord | None:
        """The last tag list of the chart; with `complete`, only when every chart manifest
        it names is cached too (so it can answer without the registry)."""
        data = read_json(self._tags_path(repo_url, chart))
        if not isinstance(data, dict) or data.get("format") != _TAGS_FORMAT:
            return None
        tags = data.get("tags")
        if not isinstance(tags, dict):
            return None
        found = {str(k): str(v) for k, v in tags.items()}
        record = _TagRecord(found, parse_time(data.get("fetchedAt")))
        if complete and not all(self.has(d) for d in record.tags.values() if d):
            return None
        return record

    def save_tags(
        self, repo_url: str, chart: str, tags: dict[str, str], mirror: str | None
    ) -> None:
        write_json(
            self._tags_path(repo_url, chart),
            {
                "format": _TAGS_FORMAT,
                "repository": f"{stored_url(repo_url).rstrip('/')}/{chart}",
                "mirror": stored_url(mirror) if mirror else None,
                "fetchedAt": datetime.now(UTC).isoformat(timespec="seconds"),
                "tags": tags,
            },
        )


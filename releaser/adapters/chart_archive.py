"""Chart archives: download (index `urls` or the OCI layer), read safely, scan, cache.

The archive is read in memory, never extracted: only regular files whose normalised path
stays inside the chart count, with limits on the archive size, the number of members and
the bytes read, so a hostile or broken .tgz cannot fill the disk or escape a directory.
What `compat` needs from it (the apiVersion choices) is cached as JSON next to the archive,
keyed by the index digest (or the URL when there is none) and the scanner's format, so an
unchanged chart is downloaded and scanned once, across runs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import tarfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from releaser.adapters.http import FetchError, HttpClient, fetch
from releaser.adapters.yaml import load_values
from releaser.domain.api_scan import ApiChoice, ChartScan, scan_chart
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import InvalidFileError, UpstreamError
from releaser.domain.redaction import redact

SCAN_FORMAT = 1  # bump when the scanner changes what it finds: old cache entries are ignored
MAX_ARCHIVE = 20 * 1024 * 1024
MAX_MEMBERS = 5000
MAX_FILE = 4 * 1024 * 1024
MAX_TOTAL = 64 * 1024 * 1024

_UNREACHABLE = ("host name not found", "connection refused", "connection timed out", "TLS error")
OciDownload = Callable[[str, str, str], bytes]  # (repo_url, chart, version) -> .tgz


class ArchiveError(UpstreamError):
    """An archive that cannot be read safely (exit 4 when it stops a command)."""


def archive_url(repo_url: str, release: ChartRelease) -> str:
    """The first `urls` entry, relative ones resolved against the repository (as Helm does)."""
    if not release.urls:
        raise ArchiveError(f"{release.name} {release.version}: the index lists no archive URL")
    return urljoin(repo_url.rstrip("/") + "/", release.urls[0])


def _member_path(chart: str, name: str) -> str | None:
    """`<chart>/templates/x.yaml` -> `templates/x.yaml`; None for anything outside the chart."""
    norm = posixpath.normpath(name)
    if norm.startswith(("/", "../")) or norm == ".." or "\\" in norm:
        return None
    head, _, rest = norm.partition("/")
    return rest if head == chart and rest else None


def read_archive(data: bytes, chart: str) -> dict[str, str]:
    """Chart.yaml, values.yaml, templates/ and crds/ (subcharts' too), as text."""
    if len(data) > MAX_ARCHIVE:
        raise ArchiveError(f"{chart}: archive of {len(data)} bytes exceeds {MAX_ARCHIVE}")
    files: dict[str, str] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_MEMBERS:
                    raise ArchiveError(f"{chart}: more than {MAX_MEMBERS} files in the archive")
                path = _member_path(chart, member.name)
                if path is None or not member.isreg() or not _wanted(path):
                    continue
                if member.size > MAX_FILE or total + member.size > MAX_TOTAL:
                    raise ArchiveError(f"{chart}: {path} is too large to read ({member.size} B)")
                handle = tar.extractfile(member)
                body = handle.read(MAX_FILE + 1) if handle else b""
                total += len(body)
                files[path] = body.decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ArchiveError(f"{chart}: not a readable chart archive ({exc})") from None
    if "Chart.yaml" not in files:
        raise ArchiveError(f"{chart}: no {chart}/Chart.yaml in the archive")
    return files


def _wanted(path: str) -> bool:
    parts = path.split("/")
    if parts[0] == "charts" and len(parts) > 3:  # charts/<sub>/templates/…: a subchart
        parts = parts[2:]
    return path in ("Chart.yaml", "values.yaml") or parts[0] in ("templates", "crds")


def scan_files(files: Mapping[str, str]) -> tuple[ApiChoice, ...]:
    """The chart's apiVersion choices; subchart templates use their own defaults."""
    templates = {p: t for p, t in files.items() if "/templates/" in "/" + p}
    crds = {p: t for p, t in files.items() if p.startswith("crds/") or "/crds/" in p}
    return tuple(scan_chart(templates, crds, _defaults(files.get("values.yaml", ""))))


def _defaults(text: str) -> Mapping[str, Any]:
    """The chart's default values; a values.yaml we refuse to read gives none."""
    try:
        loaded = load_values(text, "values.yaml")
    except InvalidFileError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


class ChartArchiveStore:
    """`ChartArchives` for HTTP and OCI repositories, with a parsed-result cache on disk."""

    def __init__(
        self,
        cache_dir: Path,
        client: HttpClient,
        rewrite: Callable[[str], str] = lambda url: url,
        oci_download: OciDownload | None = None,
        offline: bool = False,
    ) -> None:
        self.cache_dir = cache_dir
        self._client = client
        self.rewrite = rewrite
        self.oci_download = oci_download
        self.offline = offline
        self.downloads = 0  # archives fetched by this store (the cache's whole point)
        self._dead_hosts: dict[str, str] = {}  # host -> why it could not be reached

    def scan(self, repo_url: str, chart: str, release: ChartRelease) -> ChartScan:
        key = self._key(repo_url, chart, release)
        cached = self._load(key)
        if cached is not None:
            return cached
        if self.offline:
            raise UpstreamError(
                f"{chart} {release.version}: chart archive not in the cache (offline)",
                hint="run once without --offline to cache it",
            )
        data = self._download(repo_url, chart, release)
        files = read_archive(data, chart)
        archive = self.cache_dir / f"{key}.tgz"
        _write(archive, data)
        scan = ChartScan(chart, release.version, key, scan_files(files), str(archive))
        _write(self.cache_dir / f"{key}.json", json.dumps(_to_json(scan)).encode())
        return scan

    def _key(self, repo_url: str, chart: str, release: ChartRelease) -> str:
        identity = release.digest or f"{repo_url}|{chart}|{release.version}"
        return hashlib.sha256(f"{SCAN_FORMAT}|{identity}".encode()).hexdigest()[:40]

    def _load(self, key: str) -> ChartScan | None:
        path, archive = self.cache_dir / f"{key}.json", self.cache_dir / f"{key}.tgz"
        try:
            scan = _from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return replace(scan, archive=str(archive)) if archive.is_file() else None

    def _download(self, repo_url: str, chart: str, release: ChartRelease) -> bytes:
        self.downloads += 1
        if repo_url.startswith("oci://"):
            if self.oci_download is None:
                raise UpstreamError(f"{redact(repo_url)}: OCI archives cannot be fetched here")
            return self.oci_download(repo_url, chart, release.version)
        upstream = archive_url(repo_url, release)
        url = self.rewrite(upstream)  # messages name the upstream URL, never the mirror
        host = urlsplit(url).netloc
        if host in self._dead_hosts:  # an air-gapped site: do not wait on it once per chart
            reason = self._dead_hosts[host]
            raise UpstreamError(f"{redact(upstream)}: {reason} (earlier in this run)")
        try:
            return fetch(self._client, url, max_bytes=MAX_ARCHIVE).content
        except FetchError as exc:
            if exc.reason.startswith(_UNREACHABLE):
                self._dead_hosts[host] = exc.reason
            raise UpstreamError(f"{redact(upstream)}: {exc.reason}") from None


def _to_json(scan: ChartScan) -> dict[str, Any]:
    out = asdict(scan)
    out.pop("archive")
    return out


def _from_json(doc: Mapping[str, Any]) -> ChartScan:
    choices = tuple(
        ApiChoice(c["file"], c["kind"], tuple(c["candidates"]), bool(c["by_cluster"]),
                  c.get("off_by_default"))
        for c in doc["choices"]
    )
    return ChartScan(doc["chart"], doc["version"], doc["digest"], choices)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)

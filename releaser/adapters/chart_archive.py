"""Chart archives: download (index `urls` or the OCI layer), read safely, scan, cache.

An archive from a Helm repository must match the sha256 `digest` its index lists (OCI
layers are checked against their own digest by the OCI adapter); one that does not is
refused and never cached. The archive is read in memory, never extracted: only regular
files whose normalised path stays inside the chart count (links, devices, absolute and
`../` paths are skipped), with limits on the archive size, on every byte gunzip produces
(skipped members included), on the number of members and on each file read, so a hostile
or broken .tgz cannot exhaust memory, fill the disk or escape a directory.
What `compat` needs from it (the apiVersion choices) is cached as JSON next to the archive,
keyed by the index digest (or the upstream URL, never the mirror's, when there is none) and
the scanner's format, so an unchanged chart is downloaded and scanned once, across runs.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import posixpath
import re
import tarfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from releaser.adapters.cache_files import url_key
from releaser.adapters.http import FetchError, HttpClient, fetch
from releaser.adapters.yaml import load_values
from releaser.domain.api_scan import ApiChoice, ChartScan, scan_chart
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import InvalidFileError, UpstreamError
from releaser.domain.helm_values import merge_values
from releaser.domain.redaction import redact

SCAN_FORMAT = 3  # bump when the scanner changes what it finds: old cache entries are ignored
MiB = 1024 * 1024

_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_UNREACHABLE = ("host name not found", "connection refused", "connection timed out", "TLS error")
OciDownload = Callable[[str, str, str], bytes]  # (repo_url, chart, version) -> .tgz


class ArchiveError(UpstreamError):
    """An archive that cannot be read safely (exit 4 when it stops a command)."""


@dataclass(frozen=True)
class ArchiveLimits:
    """How much of one archive is read; a hostile or broken one stops at the first limit.
    Real charts stay far below: the largest CRD bundles unpack to a few MiB."""

    compressed: int = 20 * MiB  # the downloaded .tgz
    decompressed: int = 64 * MiB  # every byte gunzip yields, headers and skipped members too
    members: int = 5000  # tar entries of any type
    file: int = 4 * MiB  # one file that is read


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


def read_archive(data: bytes, chart: str, limits: ArchiveLimits | None = None) -> dict[str, str]:
    """Chart.yaml, values.yaml, values.schema.json, templates/ and crds/ (subcharts' too),
    as text."""
    limits = limits or ArchiveLimits()
    if len(data) > limits.compressed:
        raise ArchiveError(f"{chart}: archive of {len(data)} bytes exceeds {limits.compressed}")
    files: dict[str, str] = {}
    stream = _BoundedGunzip(data, chart, limits.decompressed)
    try:
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for count, member in enumerate(tar):
                if count >= limits.members:
                    raise ArchiveError(f"{chart}: more than {limits.members} files in the archive")
                path = _member_path(chart, member.name)
                if path is None or not member.isreg() or not _wanted(path):
                    continue  # links, devices, paths outside the chart: never read
                if member.size > limits.file:
                    raise ArchiveError(f"{chart}: {path} is too large to read ({member.size} B)")
                handle = tar.extractfile(member)
                body = handle.read(limits.file + 1) if handle else b""
                files[path] = body.decode("utf-8", errors="replace")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"{chart}: not a readable chart archive ({exc})") from None
    if "Chart.yaml" not in files:
        raise ArchiveError(f"{chart}: no {chart}/Chart.yaml in the archive")
    return files


class _BoundedGunzip(io.RawIOBase):
    """The gunzipped bytes of `data`, read in small steps, failing once more than `limit`
    came out: tar's skipping of unread members goes through here too."""

    def __init__(self, data: bytes, chart: str, limit: int) -> None:
        super().__init__()
        self._gzip = gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
        self._chart, self._limit, self._total = chart, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        chunk = self._gzip.read(min(len(view), self._limit + 1 - self._total))
        self._total += len(chunk)
        if self._total > self._limit:
            raise ArchiveError(
                f"{self._chart}: archive unpacks to more than {self._limit} bytes",
                hint="a chart this large is not a chart: check the repository",
            )
        view[: len(chunk)] = chunk
        return len(chunk)


def _wanted(path: str) -> bool:
    parts = path.split("/")
    if parts[0] == "charts" and len(parts) > 3:  # charts/<sub>/templates/…: a subchart
        parts = parts[2:]
    return path in ("Chart.yaml", "values.yaml", "values.schema.json") or parts[0] in (
        "templates", "crds"
    )


def scan_files(
    files: Mapping[str, str], values: Mapping[str, Any] | None = None
) -> tuple[ApiChoice, ...]:
    """The chart's apiVersion choices with its defaults, and `values` over them when given."""
    templates = {p: t for p, t in files.items() if "/templates/" in "/" + p}
    crds = {p: t for p, t in files.items() if p.startswith("crds/") or "/crds/" in p}
    effective = merge_values(_defaults(files.get("values.yaml", "")), values or {})
    return tuple(scan_chart(templates, crds, effective))


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
        limits: ArchiveLimits | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self.limits = limits or ArchiveLimits()
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
        files = read_archive(data, chart, self.limits)  # only a readable archive is cached
        archive = self.cache_dir / f"{key}.tgz"
        _write(archive, data)
        scan = ChartScan(chart, release.version, key, scan_files(files), str(archive))
        _write(self.cache_dir / f"{key}.json", json.dumps(_to_json(scan)).encode())
        return scan

    def choices(self, scan: ChartScan, values: Mapping[str, Any]) -> tuple[ApiChoice, ...]:
        """The choices of a scanned chart installed with `values` over its defaults (the
        kit's, a customer's); read again from the cached archive, then cached the same way."""
        if not values:
            return scan.choices
        digest = hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode())
        path = self.cache_dir / f"{scan.digest}-{digest.hexdigest()[:24]}.json"
        try:
            return _choices_from_json(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        try:
            data = Path(scan.archive or "").read_bytes()
        except OSError as exc:
            problem = exc.strerror or type(exc).__name__
            raise ArchiveError(f"{scan.chart} {scan.version}: cached archive: {problem}") from None
        found = scan_files(read_archive(data, scan.chart, self.limits), values)
        _write(path, json.dumps([asdict(c) for c in found]).encode())
        return found

    def _key(self, repo_url: str, chart: str, release: ChartRelease) -> str:
        # The upstream URL without credentials (never the mirror): one entry per chart release.
        identity = release.digest or url_key(repo_url, chart, release.version)
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
            data = fetch(self._client, url, max_bytes=self.limits.compressed).content
        except FetchError as exc:
            if exc.reason.startswith(_UNREACHABLE):
                self._dead_hosts[host] = exc.reason
            raise UpstreamError(f"{redact(upstream)}: {exc.reason}") from None
        check_digest(data, release, upstream)
        return data


def check_digest(data: bytes, release: ChartRelease, url: str) -> None:
    """`data` is the archive the index describes: its sha256 is the index's `digest`.
    An index without a digest cannot be checked (Helm does not require one)."""
    if not release.digest:
        return
    expected = release.digest.strip().lower().removeprefix("sha256:")
    if not _SHA256_RE.match(expected):
        raise ArchiveError(
            f"{release.name} {release.version}: the index digest {release.digest[:80]!r} "
            "is not a sha256; the archive cannot be verified"
        )
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ArchiveError(
            f"{release.name} {release.version}: the archive from {redact(url)} does not match "
            f"the index digest (sha256 {actual[:16]}…, the index says {expected[:16]}…)",
            hint="the repository may be mid-update or the download altered; try again later",
        )


def _to_json(scan: ChartScan) -> dict[str, Any]:
    out = asdict(scan)
    out.pop("archive")
    return out


def _from_json(doc: Mapping[str, Any]) -> ChartScan:
    choices = _choices_from_json(doc["choices"])
    return ChartScan(doc["chart"], doc["version"], doc["digest"], choices)


def _choices_from_json(items: Any) -> tuple[ApiChoice, ...]:
    return tuple(
        ApiChoice(c["file"], c["kind"], tuple(c["candidates"]), bool(c["by_cluster"]),
                  c.get("off_by_default"))
        for c in items
    )


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)

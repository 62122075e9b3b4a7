"""On-disk cache of repository indexes and of the chart releases parsed out of them.

Layout under the cache root (platformdirs `user_cache_dir("releaser")` by default):

    indexes/<key>/meta.json        {"url", "etag", "lastModified", "sha256", "fetchedAt"}
    indexes/<key>/index.yaml       the raw index, as last fetched
    indexes/<key>/charts/<chart>.json   {"sha256", "releases": [...]} parsed from that index

`<key>` is a hash of the fetched URL without credentials. A chart's parsed releases are
valid only for the index bytes they came from (same sha256), so a warm run whose index is
unchanged (one 304) reads a small JSON file and parses no YAML at all. Writes are atomic
(temp file + rename); an unreadable or foreign entry counts as a miss, never as an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from releaser.adapters.cache_files import read_json_object, write_atomic, write_json
from releaser.domain.charts import ChartChange, ChartRelease

_FORMAT = 1


@dataclass(frozen=True)
class IndexMeta:
    url: str
    etag: str | None
    last_modified: str | None
    sha256: str
    fetched_at: str


def _strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


class IndexCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, url: str) -> Path:
        key = hashlib.sha256(_strip_credentials(url).encode()).hexdigest()[:32]
        return self.root / "indexes" / key

    # ------------------------------------------------------------------ index
    def meta(self, url: str) -> IndexMeta | None:
        data = read_json_object(self._dir(url) / "meta.json")
        if not data or data.get("format") != _FORMAT:
            return None
        try:
            return IndexMeta(
                data["url"],
                data.get("etag"),
                data.get("lastModified"),
                data["sha256"],
                data["fetchedAt"],
            )
        except (KeyError, TypeError):
            return None

    def has_raw(self, url: str) -> bool:
        return (self._dir(url) / "index.yaml").is_file()

    def raw(self, url: str, meta: IndexMeta) -> bytes | None:
        """The cached index bytes, if present and matching `meta`."""
        try:
            data = (self._dir(url) / "index.yaml").read_bytes()
        except OSError:
            return None
        return data if hashlib.sha256(data).hexdigest() == meta.sha256 else None

    def store_index(
        self, url: str, raw: bytes, etag: str | None, last_modified: str | None
    ) -> IndexMeta:
        meta = IndexMeta(
            _strip_credentials(url),
            etag,
            last_modified,
            hashlib.sha256(raw).hexdigest(),
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        directory = self._dir(url)
        write_atomic(directory / "index.yaml", raw)
        write_json(
            directory / "meta.json",
            {
                "format": _FORMAT,
                "url": meta.url,
                "etag": etag,
                "lastModified": last_modified,
                "sha256": meta.sha256,
                "fetchedAt": meta.fetched_at,
            },
        )
        return meta

    # ------------------------------------------------------------------ parsed charts
    def releases(self, url: str, sha256: str, chart: str) -> list[ChartRelease] | None:
        data = read_json_object(self._chart_file(url, chart))
        if not data or data.get("format") != _FORMAT or data.get("sha256") != sha256:
            return None
        try:
            return [release_from_json(item) for item in data["releases"]]
        except (KeyError, TypeError, ValueError):
            return None

    def store_releases(
        self, url: str, sha256: str, chart: str, releases: list[ChartRelease]
    ) -> None:
        payload = {
            "format": _FORMAT,
            "sha256": sha256,
            "chart": chart,
            "releases": [release_to_json(r) for r in releases],
        }
        write_json(self._chart_file(url, chart), payload)

    def _chart_file(self, url: str, chart: str) -> Path:
        safe = hashlib.sha256(chart.encode()).hexdigest()[:16]
        return self._dir(url) / "charts" / f"{safe}.json"


def release_to_json(r: ChartRelease) -> dict[str, Any]:
    return {
        "name": r.name,
        "version": r.version,
        "appVersion": r.app_version,
        "kubeVersion": r.kube_version,
        "created": r.created.isoformat() if r.created else None,
        "deprecated": r.deprecated,
        "description": r.description,
        "home": r.home,
        "sources": list(r.sources),
        "changes": [[c.kind, c.description, list(c.links)] for c in r.changes],
        "urls": list(r.urls),
        "digest": r.digest,
        "annotations": [list(a) for a in r.annotations],
    }


def release_from_json(d: dict[str, Any]) -> ChartRelease:
    """Runs for every release of every cached chart on a warm `check` (4000+ on the core
    kit): list comprehensions, and nothing built for the empty lists most releases have."""
    created = d.get("created")
    changes = d["changes"]
    annotations = d.get("annotations")
    return ChartRelease(
        name=d["name"],
        version=d["version"],
        app_version=d.get("appVersion"),
        kube_version=d.get("kubeVersion"),
        created=datetime.fromisoformat(created) if created else None,
        deprecated=bool(d.get("deprecated")),
        description=d.get("description"),
        home=d.get("home"),
        sources=tuple(d.get("sources") or ()),
        changes=tuple([ChartChange(k, text, tuple(links)) for k, text, links in changes])
        if changes
        else (),
        urls=tuple(d.get("urls") or ()),
        digest=d.get("digest"),
        annotations=tuple([(k, v) for k, v in annotations]) if annotations else (),
    )

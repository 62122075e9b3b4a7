"""On-disk cache of repository indexes and of the chart releases parsed out of them.

Layout under the cache root (platformdirs `user_cache_dir("releaser")` by default):

    indexes/<key>/meta.json        {"url", "mirror", "etag", "lastModified", "sha256", "fetchedAt"}
    indexes/<key>/index.yaml       the raw index, as last fetched
    indexes/<key>/charts/<chart>.json   {"sha256", "releases": [...]} parsed from that index

`<key>` hashes the UPSTREAM index URL (the kit's repoURL, `cache_files.url_key`), whatever
mirror served it, so `--offline` finds an entry with or without the mirrors file; `mirror`
records which one did. `fetchedAt` is when the upstream last served or confirmed (304) the
copy: its age decides whether it may stand in for a failing upstream (adapters/stale.py).
A chart's parsed releases are valid only for the index bytes they came from (same sha256),
so a warm run whose index is unchanged (one 304) reads a small JSON file and parses no YAML
at all. Writes are atomic (temp file + rename); an unreadable or foreign entry counts as a
miss, never as an error.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from releaser.adapters.cache_files import (
    read_json_object,
    stored_url,
    url_key,
    write_atomic,
    write_json,
)
from releaser.adapters.stale import parse_time
from releaser.domain.charts import ChartChange, ChartRelease

# 2: keyed by the upstream URL, `mirror` recorded, `fetchedAt` renewed by every 304.
# Entries of format 1 (keyed by the URL fetched, mirror or not) are ignored.
_FORMAT = 2


@dataclass(frozen=True)
class IndexMeta:
    url: str  # the upstream index URL, without credentials
    etag: str | None
    last_modified: str | None
    sha256: str
    fetched_at: str
    mirror: str | None = None  # the mirror's index URL that served it, without credentials

    @property
    def fetched(self) -> datetime | None:
        return parse_time(self.fetched_at)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class IndexCache:
    """Index copies keyed by the upstream index URL (`index_url(repoURL)`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _dir(self, url: str) -> Path:
        return self.root / "indexes" / url_key(url)

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
                data.get("mirror"),
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
        self,
        url: str,
        raw: bytes,
        etag: str | None,
        last_modified: str | None,
        mirror: str | None = None,
    ) -> IndexMeta:
        """Keep `raw`, the index of upstream `url` as served (by `mirror` when one did)."""
        meta = IndexMeta(
            stored_url(url),
            etag,
            last_modified,
            hashlib.sha256(raw).hexdigest(),
            _now(),
            stored_url(mirror) if mirror else None,
        )
        write_atomic(self._dir(url) / "index.yaml", raw)
        self._write_meta(url, meta)
        return meta

    def confirm(self, url: str, meta: IndexMeta, mirror: str | None = None) -> IndexMeta:
        """The copy is current (a 304): it is as young as a fresh fetch."""
        fresh = replace(meta, fetched_at=_now(), mirror=stored_url(mirror) if mirror else None)
        self._write_meta(url, fresh)
        return fresh

    def _write_meta(self, url: str, meta: IndexMeta) -> None:
        write_json(
            self._dir(url) / "meta.json",
            {
                "format": _FORMAT,
                "url": meta.url,
                "mirror": meta.mirror,
                "etag": meta.etag,
                "lastModified": meta.last_modified,
                "sha256": meta.sha256,
                "fetchedAt": meta.fetched_at,
            },
        )

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

"""`ChartSource` for HTTP(S) Helm repositories (`<repo>/index.yaml`), mirrored and cached.

One index is fetched at most once per run, however many components share the repository
(a per-repository lock; concurrent callers for the same repository wait for the first
fetch). The cache is keyed by the upstream URL, whichever mirror serves it. With a cache
entry the fetch is conditional (If-None-Match / If-Modified-Since) so an unchanged index
costs one 304. Offline, only the cache is read. When the repository is down after retries
(unreachable, timing out, a broken answer, 429 or 5xx), a cached copy young enough stands in
(`StaleStandIns`); a definite refusal (401, 403, 404 …) never hides behind one. Every error
names the upstream repository, never the mirror, and never credentials.
"""

from __future__ import annotations

import difflib
import threading
from dataclasses import dataclass, field

from releaser.adapters.cache import IndexCache, IndexMeta
from releaser.adapters.http import RETRY_STATUSES, FetchError, HttpClient, Response, status_reason
from releaser.adapters.mirrors import Mirrors
from releaser.adapters.stale import StaleStandIns
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError
from releaser.domain.redaction import redact


def index_url(repo_url: str) -> str:
    return repo_url.rstrip("/") + "/index.yaml"


class _Refused(FetchError):
    """The repository answered, with a status that says no (401, 403, 404 …): something to
    fix, not an outage to ride out on a cached copy."""


@dataclass
class _Index:
    """What this run knows about one index: its bytes (lazily) or why it failed."""

    meta: IndexMeta | None = None
    raw: bytes | None = None
    error: UpstreamError | None = None
    cached_only: bool = False  # offline, or a stale copy stood in: never fetch again
    lock: threading.Lock = field(default_factory=threading.Lock)


class HelmRepoSource:
    def __init__(
        self,
        client: HttpClient,
        cache: IndexCache,
        mirrors: Mirrors | None = None,
        offline: bool = False,
        stale: StaleStandIns | None = None,
    ) -> None:
        self._client = client
        self._cache = cache
        self._mirrors = mirrors or Mirrors()
        self._offline = offline
        self._stale = stale or StaleStandIns()  # by default no copy stands in
        self._indexes: dict[str, _Index] = {}
        self._guard = threading.Lock()

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        key = index_url(repo_url)
        state = self._load(repo_url)
        assert state.meta is not None
        cached = self._cache.releases(key, state.meta.sha256, chart)
        if cached is not None:
            return cached
        raw = state.raw if state.raw is not None else self._cache.raw(key, state.meta)
        if raw is None and not state.cached_only:  # cache damaged since the 304: fetch it whole
            try:
                raw = self._store(state, repo_url, self._get(repo_url, {}))
            except FetchError as err:
                raise _error(repo_url, err.reason) from None
        if raw is None:
            why = "run again without --offline" if self._offline else "the repository failed"
            raise _error(repo_url, f"the cached index is unreadable; {why}")
        # The index parser is imported on a cache miss only: a warm run parses no YAML.
        from releaser.adapters.helm_index import (
            IndexFormatError,
            chart_entries,
            releases_from_entries,
        )

        try:
            entries = chart_entries(raw, chart)
        except IndexFormatError as err:
            raise _error(repo_url, str(err)) from None
        if entries is None:
            raise _error(repo_url, _not_found(raw, chart))
        found = releases_from_entries(entries, chart)
        self._cache.store_releases(key, state.meta.sha256, chart, found)
        return found

    def revision(self, repo_url: str, chart: str) -> str | None:
        """The sha256 of the repository's index as this run sees it (after one conditional
        GET, shared with `releases`): the chart's releases change only when it does."""
        state = self._load(repo_url)
        return state.meta.sha256 if state.meta else None

    # ------------------------------------------------------------------ fetching
    def _load(self, repo_url: str) -> _Index:
        with self._guard:
            state = self._indexes.setdefault(index_url(repo_url), _Index())
        with state.lock:
            if state.meta is None and state.error is None:
                try:
                    self._refresh(state, repo_url)
                except UpstreamError as err:
                    state.error = err
        if state.error is not None:
            raise state.error
        return state

    def _refresh(self, state: _Index, repo_url: str) -> None:
        key = index_url(repo_url)
        meta = self._cache.meta(key)
        if self._offline:
            if meta is None:
                raise _error(repo_url, "no cached index (run `releaser check` once online)")
            state.meta, state.cached_only = meta, True
            return
        headers = _conditional(meta) if meta and self._cache.has_raw(key) else {}
        try:
            answer = self._get(repo_url, headers)
        except _Refused as err:
            raise _error(repo_url, err.reason) from None
        except FetchError as err:
            state.meta, state.cached_only = self._stand_in(repo_url, meta, err.reason), True
            return
        if answer.status == 304 and meta is not None and headers:
            state.meta = self._cache.confirm(key, meta, self._mirror_of(repo_url))
        else:
            self._store(state, repo_url, answer)

    def _stand_in(self, repo_url: str, meta: IndexMeta | None, reason: str) -> IndexMeta:
        """The cached copy, when it may answer for the failing repository; else the error."""
        if meta is None:
            raise _error(repo_url, reason)
        refused = self._stale.stand_in(repo_url, meta.fetched, reason)
        if refused:
            raise _error(repo_url, f"{reason}; {refused}")
        return meta

    def _get(self, repo_url: str, headers: dict[str, str]) -> Response:
        """GET the index (from the mirror, if any), conditionally with `headers`: a 200 or a
        304, else `FetchError` (the repository is down) or `_Refused`."""
        url = index_url(self._mirrors.apply(repo_url))
        answer = self._client.request("GET", url, headers=headers)
        if answer.status in (200, 304):
            return answer
        reason = status_reason(answer.status, answer.reason, self._client.settings.retries)
        raise (FetchError if answer.status in RETRY_STATUSES else _Refused)(url, reason)

    def _store(self, state: _Index, repo_url: str, answer: Response) -> bytes:
        state.raw = answer.content
        state.meta = self._cache.store_index(
            index_url(repo_url),
            answer.content,
            answer.headers.get("ETag"),
            answer.headers.get("Last-Modified"),
            self._mirror_of(repo_url),
        )
        return state.raw

    def _mirror_of(self, repo_url: str) -> str | None:
        mirrored = self._mirrors.apply(repo_url)
        return index_url(mirrored) if mirrored != repo_url else None


def _conditional(meta: IndexMeta) -> dict[str, str]:
    headers = {}
    if meta.etag:
        headers["If-None-Match"] = meta.etag
    if meta.last_modified:
        headers["If-Modified-Since"] = meta.last_modified
    return headers


def _not_found(raw: bytes, chart: str) -> str:
    from releaser.adapters.helm_index import chart_names

    names = chart_names(raw) or []
    close = difflib.get_close_matches(chart, names, n=3)
    hint = (
        f"; did you mean {', '.join(close)}?" if close else f" ({len(names)} charts in the index)"
    )
    return f"chart '{chart}' not found in the index{hint}"


def _error(repo_url: str, reason: str) -> UpstreamError:
    return UpstreamError(redact(f"repository {repo_url}: {reason}"))

"""The one HTTP client of releaser (urllib3): Helm indexes, chart archives, OCI registries,
Argo CD, webhooks and data refresh all go through `HttpClient`.

urllib3 and not requests: a warm `releaser check` is speed-critical, and importing requests
alone costs a third of such a run. What requests used to give, this module does itself:
- proxies from `HttpSettings.proxies` (HTTP(S)_PROXY / ALL_PROXY / NO_PROXY, with names,
  suffixes and networks such as 10.0.0.0/8), TLS verified with `ca_bundle` or certifi's;
- credentials in a URL (`https://user:pass@host/…`) become Basic auth, and any Authorization
  is dropped on a redirect to another host;
- retries with backoff on 429/5xx and connection/read errors, for idempotent methods only;
- per-read timeouts AND one deadline per request, covering connect, retries, redirects and
  the body: a watchdog shuts the socket down when it passes, so a server that trickles
  headers or a body at 1 byte/s cannot hold a run;
- size limits on DECOMPRESSED bytes: gzip is inflated here, incrementally and bounded, so a
  gzip bomb is a size error and a corrupt stream a network error.
Every failure is one `FetchError` (an `UpstreamError`, exit 4): a redacted URL and a
one-line reason.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import socket
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    HTTPError,
    ReadTimeoutError,
)
from urllib3.util import make_headers

from releaser import __version__
from releaser.adapters.http_proxy import proxy_for
from releaser.adapters.http_reasons import broken_body, describe_error, retryable
from releaser.domain.errors import UpstreamError
from releaser.domain.redaction import redact
from releaser.settings import HttpSettings

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_CHUNK = 64 * 1024


class FetchError(UpstreamError):
    """A request that failed: `reason` is one line without the URL; `url` is redacted."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact(url)
        self.reason = redact(reason)
        super().__init__(f"{self.url}: {self.reason}")


class ResponseTooLarge(FetchError):
    """The body (decompressed) is over the size limit."""


@dataclass(frozen=True)
class Response:
    """A fully read answer; `content` is decompressed."""

    url: str  # final URL after redirects, without credentials
    status: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes
    reason: str = ""  # the status line's phrase ("Not Found")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not."""
        return jsonlib.loads(self.content)

    def next_link(self) -> str | None:
        """The absolute target of a `Link: <…>; rel="next"` header, if any."""
        for part in self.headers.get("Link", "").split(","):
            target, _, params = part.strip().partition(";")
            if target.startswith("<") and target.endswith(">") and _is_next(params):
                return urljoin(self.url, target[1:-1])
        return None


Fetched = Response  # the name `fetch` callers know


def _is_next(params: str) -> bool:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "rel" and "next" in value.strip('" ').split():
            return True
    return False


class HttpClient:
    """Connection pools (one per proxy) shared by every thread of a run: create one per run."""

    def __init__(self, settings: HttpSettings | None = None) -> None:
        self.settings = settings or HttpSettings()
        self._headers = {
            "User-Agent": f"releaser/{__version__}",
            "Accept-Encoding": "gzip",
        }
        self._managers: dict[str | None, urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ public API
    def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        json: Any = None,
        max_bytes: int | None = None,
        redirects: bool = True,
        retry: bool | None = None,
    ) -> Response:
        """Send one request and read the whole answer, whatever its status.

        `retry` defaults to True for idempotent methods; a webhook POST is never repeated.
        Raises `FetchError` for transport failures, the deadline, too many redirects and
        bodies over `max_bytes` (default `settings.max_bytes`) once decompressed.
        """
        target, auth = _split_credentials(url)
        sent = {**self._headers, **auth, **(headers or {})}
        if json is not None:
            body = jsonlib.dumps(json).encode()
            sent.setdefault("Content-Type", "application/json")
        call = _Call(
            self,
            method.upper(),
            url,
            max_bytes if max_bytes is not None else self.settings.max_bytes,
            (method.upper() in IDEMPOTENT) if retry is None else retry,
        )
        with _Watchdog(self.settings.deadline) as watch:
            return call.run(target, sent, body, redirects, watch)

    def fetch(
        self, url: str, headers: Mapping[str, str] | None = None, max_bytes: int | None = None
    ) -> Response:
        """GET `url`; 200 and 304 come back, any other status raises `FetchError`."""
        answer = self.request("GET", url, headers=headers, max_bytes=max_bytes)
        if answer.status not in (200, 304):
            raise FetchError(
                url, status_reason(answer.status, answer.reason, self.settings.retries)
            )
        return answer

    def get_json(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
        """GET a JSON document (200 only); a non-JSON answer is a `FetchError`."""
        answer = self.fetch(url, {"Accept": "application/json", **(headers or {})})
        try:
            return answer.json()
        except ValueError:
            raise FetchError(url, "the answer is not valid JSON") from None

    # ------------------------------------------------------------------ pools
    def manager(self, url: str) -> urllib3.PoolManager:
        proxy = proxy_for(url, self.settings.proxies)
        with self._lock:
            if proxy not in self._managers:
                self._managers[proxy] = self._new_manager(proxy)
            return self._managers[proxy]

    def _new_manager(self, proxy: str | None) -> urllib3.PoolManager:
        ca_certs = self.settings.ca_bundle or _certifi()
        manager: urllib3.PoolManager
        if proxy is None:
            manager = urllib3.PoolManager(maxsize=16, ca_certs=ca_certs)
        else:
            target, auth = _split_credentials(proxy)
            manager = urllib3.ProxyManager(
                target,
                maxsize=16,
                proxy_headers={"Proxy-Authorization": auth["Authorization"]} if auth else None,
                ca_certs=ca_certs,
            )
        manager.pool_classes_by_scheme = _WATCHED_POOLS  # type: ignore[assignment]
        return manager


def fetch(
    client: HttpClient,
    url: str,
    max_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """`client.fetch`: GET with 200/304 only."""
    return client.fetch(url, headers=headers, max_bytes=max_bytes)


def status_reason(status: int, reason: str, retries: int) -> str:
    text = f"HTTP {status} {reason}".rstrip()
    if status in RETRY_STATUSES and retries:
        text += f" (after {retries} retries)"
    return text


# ---------------------------------------------------------------------- one request
@dataclass(frozen=True)
class _Hop:
    """One request of a redirect chain."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes | None

    def redirected(self, status: int, following: str) -> _Hop:
        """The next hop: credentials stay on their origin; 303 (and 301/302 after a POST)
        turn the request into a GET without a body, as browsers and requests do."""
        headers = self.headers
        if _origin(following) != _origin(self.target):
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        if status == 303 or (status in (301, 302) and self.method == "POST"):
            return _Hop("GET", following, headers, None)
        return _Hop(self.method, following, headers, self.body)


class _Call:
    """One request's redirects, retries and body reads, all under one watchdog."""

    def __init__(self, client: HttpClient, method: str, url: str, limit: int, retry: bool):
        self.client = client
        self.settings = client.settings
        self.method = method
        self.url = url  # as the caller gave it: every message names it (redacted)
        self.limit = limit
        self.retry = retry

    def run(
        self,
        target: str,
        headers: dict[str, str],
        body: bytes | None,
        redirects: bool,
        watch: _Watchdog,
    ) -> Response:
        hop = _Hop(self.method, target, headers, body)
        for _ in range(self.settings.max_redirects + 1):
            answer = self._attempts(hop, watch)
            location = answer.headers.get("Location")
            if not (redirects and answer.status in REDIRECT_STATUSES and location):
                return answer
            hop = hop.redirected(answer.status, urljoin(hop.target, location))
        raise FetchError(self.url, f"too many redirects (more than {self.settings.max_redirects})")

    def _attempts(self, hop: _Hop, watch: _Watchdog) -> Response:
        retries = self.settings.retries if self.retry else 0
        for attempt in range(retries + 1):
            last = attempt == retries
            try:
                raw = self._send(hop, watch)
            except (HTTPError, OSError, ValueError) as err:
                if watch.spent():
                    raise self._deadline_error() from None
                delay = None if last or not retryable(err) else self._backoff(attempt, watch)
                if delay is None:
                    raise FetchError(self.url, self._describe(err, attempt)) from None
                time.sleep(delay)
                continue
            delay = self._backoff(attempt, watch) if raw.status in RETRY_STATUSES else None
            if delay is None or last:
                return self._read(raw, hop, watch)
            raw.drain_conn()  # read the error page off so the connection can be reused
            raw.release_conn()
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(self, hop: _Hop, watch: _Watchdog) -> urllib3.BaseHTTPResponse:
        left = watch.remaining()
        if left <= 0:
            raise self._deadline_error()
        timeout = urllib3.Timeout(
            connect=min(self.settings.connect_timeout, left),
            read=min(self.settings.read_timeout, left),
        )
        _current.watch = watch
        try:
            return self.client.manager(hop.target).urlopen(
                hop.method,
                hop.target,
                body=hop.body,
                headers=hop.headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                timeout=timeout,
            )
        finally:
            _current.watch = None

    def _backoff(self, attempt: int, watch: _Watchdog) -> float | None:
        """The pause before the retry after `attempt` (0, 2×, 4×… backoff), or None when
        it would outlast the deadline."""
        delay = 0.0 if attempt == 0 else self.settings.backoff * 2**attempt
        return delay if delay < watch.remaining() else None

    def _read(self, raw: urllib3.BaseHTTPResponse, hop: _Hop, watch: _Watchdog) -> Response:
        try:
            content = b"" if hop.method == "HEAD" or raw.status == 304 else self._body(raw, watch)
        except BaseException:
            raw.close()  # the connection may still hold unread bytes: never reuse it
            raise
        raw.release_conn()
        return Response(hop.target, raw.status, raw.headers, content, raw.reason or "")

    def _body(self, raw: urllib3.BaseHTTPResponse, watch: _Watchdog) -> bytes:
        encoding = raw.headers.get("Content-Encoding", "").strip().lower()
        announced = raw.headers.get("Content-Length", "")
        if encoding in ("", "identity") and announced.isdigit() and int(announced) > self.limit:
            raise ResponseTooLarge(
                self.url, f"response of {int(announced)} bytes exceeds the limit of {self.limit}"
            )
        body = _Body(self.url, self.limit, encoding)
        try:
            for chunk in raw.stream(_CHUNK, decode_content=False):
                body.add(chunk)
        except (HTTPError, OSError) as err:
            if watch.spent():
                raise self._deadline_error() from None
            if isinstance(err, ReadTimeoutError):
                raise FetchError(
                    self.url, f"no answer within {self.settings.read_timeout:g}s"
                ) from None
            raise FetchError(self.url, broken_body(err, announced, body.received)) from None
        return body.finish()

    def _deadline_error(self) -> FetchError:
        return FetchError(self.url, f"no complete answer within {self.settings.deadline:g}s")

    def _describe(self, err: BaseException, attempt: int) -> str:
        reason = describe_error(err, self.settings)
        return f"{reason} (after {attempt} retries)" if attempt else reason


class _Body:
    """Collects a body, inflating gzip incrementally; the limit counts decompressed bytes."""

    def __init__(self, url: str, limit: int, encoding: str) -> None:
        self.url = url
        self.limit = limit
        self.received = 0  # bytes off the wire
        self.size = 0  # bytes after decompression
        self.chunks: list[bytes] = []
        self.inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
        if encoding not in ("", "identity", "gzip"):
            raise FetchError(url, f"unsupported Content-Encoding {encoding!r}")

    def add(self, data: bytes) -> None:
        self.received += len(data)
        if self.inflater is None:
            self._keep(data)
            return
        try:
            while data and not self.inflater.eof:
                # Bounded output: one step never inflates more than the limit allows.
                self._keep(self.inflater.decompress(data, self.limit - self.size + 1))
                data = self.inflater.unconsumed_tail
        except zlib.error:
            raise FetchError(self.url, "corrupt gzip body") from None

    def _keep(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise ResponseTooLarge(self.url, f"response exceeds the limit of {self.limit} bytes")
        self.chunks.append(data)

    def finish(self) -> bytes:
        if self.inflater is not None and not self.inflater.eof:
            raise FetchError(self.url, "corrupt gzip body (the stream ends early)")
        return b"".join(self.chunks)


# ---------------------------------------------------------------------- the deadline
_current = threading.local()  # the watchdog of the request this thread is sending


class _Watchdog:
    """Shuts down the socket of a request that outlives its deadline.

    Socket timeouts bound each read, not the sum of them: a server that sends one byte per
    second never trips them. This timer does, whatever the request is doing.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds
        self.expired = False
        self._conn: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def spent(self) -> bool:
        """Expired, or so nearly that a timeout capped at the deadline just fired."""
        return self.expired or self.remaining() < 0.1

    def attach(self, conn: HTTPConnection) -> None:
        with self._lock:
            self._conn = conn
            if self.expired:
                _shutdown(conn)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            if self._conn is not None:
                _shutdown(self._conn)


def _shutdown(conn: HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.shutdown(socket.SHUT_RDWR)


def _watch(conn: HTTPConnection) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch.attach(conn)


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _watch(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)  # a reused keep-alive connection does not connect again
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _watch(self)
        super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_WATCHED_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


# ---------------------------------------------------------------------- auth, TLS
def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without userinfo, and the Basic auth header that userinfo stood for."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, {}
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, basic_auth(user, password)


def basic_auth(user: str, password: str) -> dict[str, str]:
    """The Authorization header for HTTP Basic auth."""
    return {"Authorization": make_headers(basic_auth=f"{user}:{password}")["authorization"]}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def _certifi() -> str:
    import certifi

    return str(certifi.where())

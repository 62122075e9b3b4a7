"""GETting files over HTTP: timeouts, retries with backoff, redirect and size limits, proxies
from the environment, credential redaction.

`HttpClient` (urllib3) fetches whole files: Helm repository indexes and chart archives. It is
what a warm `releaser check` needs, so it imports urllib3 and not requests, whose import
alone costs more than a third of such a run. API conversations (OCI registries, Argo CD)
use requests sessions from `releaser.adapters.http_session`, built on the same options.

Like requests, the client honours HTTP(S)_PROXY / ALL_PROXY / NO_PROXY (names, suffixes and
networks such as 10.0.0.0/8), verifies TLS with
REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set (else certifi's bundle), and turns
credentials in a URL (`https://user:pass@host/…`) into Basic auth, dropped on redirects to
another host.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit
from urllib.request import getproxies_environment, proxy_bypass

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationValueError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.util import make_headers
from urllib3.util.retry import Retry

from releaser import __version__
from releaser.domain.errors import UpstreamError
from releaser.domain.redaction import redact

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)
_CHUNK = 256 * 1024

@dataclass(frozen=True)
class HttpOptions:
    connect_timeout: float = 10.0  # seconds to establish a connection
    read_timeout: float = 30.0  # seconds of silence tolerated while waiting for bytes
    retries: int = 3  # extra attempts on 5xx/429, connection and read errors
    backoff: float = 0.5  # urllib3 backoff factor: 0, 2×, 4×… this many seconds
    max_redirects: int = 5
    max_bytes: int = DEFAULT_MAX_BYTES  # largest body accepted, enforced while streaming


def retry_policy(opts: HttpOptions, redirects: bool) -> Retry:
    """Bounded retries of idempotent requests; the last answer is handed back, not raised."""
    return Retry(
        total=None,  # each kind has its own bound; redirects must not eat the retries
        connect=opts.retries,
        read=opts.retries,
        status=opts.retries,
        other=0,
        redirect=opts.max_redirects if redirects else False,
        backoff_factor=opts.backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,  # hand back the last answer: its status names the failure
        respect_retry_after_header=False,  # a server must not stall us for minutes
    )


def ca_bundle() -> str:
    """The CA file requests would use: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, else certifi."""
    configured = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if configured:
        return configured
    import certifi

    return str(certifi.where())


@dataclass(frozen=True)
class Fetched:
    """A fully read answer: 200 with its body, or 304 with an empty one."""

    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]  # case-insensitive
    content: bytes


class FetchError(UpstreamError):
    """A GET that failed after retries. `reason` is one line without the URL."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact(url)
        self.reason = redact(reason)
        super().__init__(f"{self.url}: {self.reason}")


class HttpClient:
    """Connection pools (one per proxy) shared by every thread; urllib3 pools are thread-safe."""

    def __init__(self, options: HttpOptions | None = None) -> None:
        self.options = options or HttpOptions()
        self._proxies = getproxies_environment()
        self._headers = make_headers(accept_encoding=True, user_agent=f"releaser/{__version__}")
        self._managers: dict[str | None, urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    def open(self, url: str, headers: Mapping[str, str]) -> urllib3.BaseHTTPResponse:
        """GET with retries and redirects; the body is left unread (streamed by `fetch`)."""
        target, auth = _split_credentials(url)
        opts = self.options
        return self._manager(target).request(
            "GET",
            target,
            headers={**self._headers, **auth, **headers},  # urllib3 replaces, not merges
            preload_content=False,
            redirect=True,
            retries=retry_policy(opts, redirects=True),
            timeout=urllib3.Timeout(connect=opts.connect_timeout, read=opts.read_timeout),
        )

    def _manager(self, url: str) -> urllib3.PoolManager:
        proxy = self._proxy_for(url)
        with self._lock:
            if proxy not in self._managers:
                self._managers[proxy] = self._new_manager(proxy)
            return self._managers[proxy]

    def _proxy_for(self, url: str) -> str | None:
        parts = urlsplit(url)
        proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
        if not proxy or _bypassed(parts, self._proxies.get("no", "")):
            return None
        return proxy

    def _new_manager(self, proxy: str | None) -> urllib3.PoolManager:
        if proxy is None:
            return urllib3.PoolManager(maxsize=16, ca_certs=ca_bundle())
        target, auth = _split_credentials(proxy)
        return urllib3.ProxyManager(
            target,
            maxsize=16,
            proxy_headers={"Proxy-Authorization": auth["Authorization"]} if auth else None,
            ca_certs=ca_bundle(),
        )


def _bypassed(parts: SplitResult, no_proxy: str) -> bool:
    """NO_PROXY as requests reads it: host names and suffixes, and also networks (CIDR)."""
    if proxy_bypass(parts.netloc):
        return True
    try:
        address = ipaddress.ip_address(parts.hostname or "")
    except ValueError:
        return False
    for entry in no_proxy.split(","):
        try:
            if address in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def fetch(
    client: HttpClient,
    url: str,
    max_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """GET `url`; 200 and 304 come back, anything else raises `FetchError` (one line)."""
    opts = client.options
    limit = opts.max_bytes if max_bytes is None else max_bytes
    try:
        resp = client.open(url, headers or {})
    except MaxRetryError as err:
        if isinstance(err.reason, ResponseError) and "redirect" in str(err.reason):
            reason = f"too many redirects (more than {opts.max_redirects})"
            raise FetchError(url, reason) from None
        raise FetchError(url, describe_error(err, opts)) from None
    except (HTTPError, ValueError) as err:  # ValueError: a URL urllib3 cannot parse
        raise FetchError(url, describe_error(err, opts)) from None
    try:
        if resp.status not in (200, 304):
            raise FetchError(url, _status_reason(resp.status, resp.reason, opts.retries))
        body = _read_body(resp, url, limit, opts) if resp.status == 200 else b""
    except BaseException:
        resp.close()  # the connection may still hold unread bytes: never reuse it
        raise
    resp.release_conn()
    return Fetched(resp.url or url, resp.status, resp.headers, body)


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """The URL without userinfo, and the Basic auth header that userinfo stood for."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, {}
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    netloc = parts.netloc.rsplit("@", 1)[1]
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return bare, {"Authorization": make_headers(basic_auth=f"{user}:{password}")["authorization"]}


def _status_reason(status: int, reason: str | None, retries: int) -> str:
    text = f"HTTP {status} {reason or ''}".rstrip()
    if status in RETRY_STATUSES and retries:
        text += f" (after {retries} retries)"
    return text


def _read_body(
    resp: urllib3.BaseHTTPResponse, url: str, limit: int, opts: HttpOptions
) -> bytes:
    announced = resp.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise FetchError(url, f"response of {int(announced)} bytes exceeds the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.stream(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchError(url, f"response exceeds the limit of {limit} bytes")
            chunks.append(chunk)
    except ReadTimeoutError:
        raise FetchError(url, f"no answer within {opts.read_timeout:g}s") from None
    except (ProtocolError, OSError) as err:
        if announced.isdigit():
            received = max(size, _bytes_read(err))
            raise FetchError(
                url, f"response truncated: received {received} of {announced} bytes"
            ) from None
        raise FetchError(url, f"connection broken while reading the body ({_root(err)})") from None
    return b"".join(chunks)


def describe_error(err: BaseException, opts: HttpOptions) -> str:
    """A short, URL-free reason for a failed request (urllib3 or requests, which wraps it)."""
    chain = _chain(err)
    # urllib3's NewConnectionError (refused, unreachable…) subclasses ConnectTimeoutError.
    if any(_connect_timed_out(cur) for cur in chain):
        return f"connection timed out after {opts.connect_timeout:g}s"
    if _timed_out(chain):
        return f"no answer within {opts.read_timeout:g}s"
    if any(isinstance(cur, ssl.SSLError) for cur in chain):
        return f"TLS error ({_root(err)})"
    if any(isinstance(cur, LocationValueError | ValueError) for cur in chain):
        return "invalid URL"
    code = _errno(err, chain)
    if code == errno.ECONNREFUSED:
        return "connection refused"
    if code == errno.ECONNRESET:
        return "connection reset by peer"
    if any(isinstance(cur, NameResolutionError) for cur in chain) or (
        "Name or service not known" in str(err) or "nodename nor servname" in str(err)
    ):
        return "host name not found"
    return _root(err)


def _chain(err: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException] = [err]
    while todo and len(seen) < 20:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.append(cur)
        todo.extend(a for a in getattr(cur, "args", ()) if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            nxt = getattr(cur, attr, None)
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


def _bytes_read(err: BaseException) -> int:
    """urllib3's IncompleteRead knows how many body bytes arrived before the break."""
    for cur in _chain(err):
        partial = getattr(cur, "partial", None)
        if isinstance(partial, int):
            return partial
    return 0


def _connect_timed_out(err: BaseException) -> bool:
    return isinstance(err, ConnectTimeoutError) and not isinstance(err, NewConnectionError)


def _timed_out(chain: list[BaseException]) -> bool:
    """A read timeout that outlived its retries arrives wrapped in other errors."""
    return any(
        isinstance(cur, TimeoutError | ReadTimeoutError) or "Read timed out" in str(cur)
        for cur in chain
    )


def _errno(err: BaseException, chain: list[BaseException]) -> int | None:
    for cur in chain:
        if isinstance(cur, ConnectionResetError):
            return errno.ECONNRESET
        if isinstance(cur, OSError) and cur.errno:
            return cur.errno
    text = str(err)
    if "Connection refused" in text:
        return errno.ECONNREFUSED
    if "Connection reset" in text or "ConnectionResetError" in text:
        return errno.ECONNRESET
    return None


def _root(err: BaseException) -> str:
    """The innermost message, trimmed to one line."""
    inner = _chain(err)[-1]
    text = str(inner) or type(inner).__name__
    return redact(text.splitlines()[0] if text else type(inner).__name__)[:200]

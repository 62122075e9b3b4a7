"""The one HTTP session factory: timeouts, retries with backoff, redirect and size limits,
and credential redaction. Every adapter that talks HTTP (Helm repositories, OCI registries,
Argo CD) builds its session here and reads bodies through `fetch`.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from releaser import __version__
from releaser.domain.errors import UpstreamError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)
_CHUNK = 256 * 1024

# `scheme://user:pass@` or `scheme://token@`: the whole userinfo goes.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s\"'<>]+@")


def redact(text: str) -> str:
    """`https://user:pass@host/x` -> `https://***@host/x`, anywhere inside `text`."""
    return _USERINFO.sub(r"\g<scheme>***@", text)


@dataclass(frozen=True)
class HttpOptions:
    connect_timeout: float = 10.0  # seconds to establish a connection
    read_timeout: float = 30.0  # seconds of silence tolerated while waiting for bytes
    retries: int = 3  # extra attempts on 5xx/429, connection and read errors
    backoff: float = 0.5  # urllib3 backoff factor: 0, 2×, 4×… this many seconds
    max_redirects: int = 5
    max_bytes: int = DEFAULT_MAX_BYTES  # largest body accepted, enforced while streaming


class ReleaserSession(requests.Session):
    """A `requests.Session` that remembers its options (timeouts, size limit)."""

    def __init__(self, options: HttpOptions) -> None:
        super().__init__()
        self.http_options = options


def build_session(options: HttpOptions | None = None) -> ReleaserSession:
    """A session with bounded retries (exponential backoff), redirects and a user agent."""
    opts = options or HttpOptions()
    session = ReleaserSession(opts)
    retry = Retry(
        total=opts.retries,
        connect=opts.retries,
        read=opts.retries,
        status=opts.retries,
        other=0,
        backoff_factor=opts.backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,  # hand back the last answer: its status names the failure
        respect_retry_after_header=False,  # a server must not stall us for minutes
    )
    adapter = HTTPAdapter(max_retries=retry, pool_maxsize=16)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.max_redirects = opts.max_redirects
    session.headers["User-Agent"] = f"releaser/{__version__}"
    return session


@dataclass(frozen=True)
class Fetched:
    """A fully read answer: 200 with its body, or 304 with an empty one."""

    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]
    content: bytes


class FetchError(UpstreamError):
    """A GET that failed after retries. `reason` is one line without the URL."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact(url)
        self.reason = redact(reason)
        super().__init__(f"{self.url}: {self.reason}")


def fetch(
    session: requests.Session,
    url: str,
    max_bytes: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """GET `url`; 200 and 304 come back, anything else raises `FetchError` (one line)."""
    opts = session.http_options if isinstance(session, ReleaserSession) else HttpOptions()
    limit = opts.max_bytes if max_bytes is None else max_bytes
    timeout = (opts.connect_timeout, opts.read_timeout)
    try:
        with session.get(url, headers=dict(headers or {}), timeout=timeout, stream=True) as resp:
            if resp.status_code == 304:
                return Fetched(resp.url, 304, dict(resp.headers), b"")
            if resp.status_code != 200:
                raise FetchError(url, _status_reason(resp, opts.retries))
            return Fetched(resp.url, 200, dict(resp.headers), _read_body(resp, url, limit))
    except FetchError:
        raise
    except requests.TooManyRedirects:
        raise FetchError(url, f"too many redirects (more than {opts.max_redirects})") from None
    except requests.RequestException as err:
        raise FetchError(url, describe_error(err, opts)) from None


def _status_reason(resp: requests.Response, retries: int) -> str:
    text = f"HTTP {resp.status_code} {resp.reason or ''}".rstrip()
    if resp.status_code in RETRY_STATUSES and retries:
        text += f" (after {retries} retries)"
    return text


def _read_body(resp: requests.Response, url: str, limit: int) -> bytes:
    announced = resp.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise FetchError(url, f"response of {int(announced)} bytes exceeds the limit of {limit}")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise FetchError(url, f"response exceeds the limit of {limit} bytes")
            chunks.append(chunk)
    except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as err:
        if announced.isdigit():
            received = max(size, _bytes_read(err))
            raise FetchError(
                url, f"response truncated: received {received} of {announced} bytes"
            ) from None
        raise FetchError(url, f"connection broken while reading the body ({_root(err)})") from None
    return b"".join(chunks)


def describe_error(err: BaseException, opts: HttpOptions) -> str:
    """A short, URL-free reason for a requests/urllib3 failure."""
    if isinstance(err, requests.ConnectTimeout):
        return f"connection timed out after {opts.connect_timeout:g}s"
    if isinstance(err, requests.ReadTimeout) or _timed_out(err):
        return f"no answer within {opts.read_timeout:g}s"
    if isinstance(err, requests.exceptions.SSLError):
        return f"TLS error ({_root(err)})"
    if isinstance(err, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return "invalid URL"
    code = _errno(err)
    if code == errno.ECONNREFUSED:
        return "connection refused"
    if code == errno.ECONNRESET:
        return "connection reset by peer"
    if "Name or service not known" in str(err) or "nodename nor servname" in str(err):
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


def _timed_out(err: BaseException) -> bool:
    """A read timeout that outlived its retries arrives wrapped in a ConnectionError."""
    return any(
        isinstance(cur, TimeoutError | ReadTimeoutError) or "Read timed out" in str(cur)
        for cur in _chain(err)
    )


def _errno(err: BaseException) -> int | None:
    for cur in _chain(err):
        if isinstance(cur, OSError) and cur.errno:
            return cur.errno
        if isinstance(cur, ConnectionResetError):
            return errno.ECONNRESET
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

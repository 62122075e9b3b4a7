"""One short, URL-free line for each way a request can fail (urllib3 wraps the cause in
several layers; the innermost one names it), and which failures are worth a retry."""

from __future__ import annotations

import errno
import ssl

from urllib3.exceptions import (
    ConnectTimeoutError,
    LocationValueError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from releaser.domain.redaction import redact
from releaser.settings import HttpSettings


def retryable(err: BaseException) -> bool:
    """Connection and read errors are worth another attempt; TLS and bad URLs are not."""
    chain = _chain(err)
    return not any(isinstance(cur, ssl.SSLError | LocationValueError) for cur in chain) and not (
        isinstance(err, ValueError)
    )


def broken_body(err: BaseException, announced: str, received: int) -> str:
    if announced.isdigit():
        got = max(received, _bytes_read(err))
        return f"response truncated: received {got} of {announced} bytes"
    return f"connection broken while reading the body ({_root(err)})"


def describe_error(err: BaseException, settings: HttpSettings) -> str:
    """A short, URL-free reason for a failed request."""
    chain = _chain(err)
    # urllib3's NewConnectionError (refused, unreachable…) subclasses ConnectTimeoutError.
    if any(_connect_timed_out(cur) for cur in chain):
        return f"connection timed out after {settings.connect_timeout:g}s"
    if _timed_out(chain):
        return f"no answer within {settings.read_timeout:g}s"
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
    if any(isinstance(cur, ProtocolError) for cur in chain):
        return f"connection broken ({_root(err)})"
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
    """A read timeout arrives wrapped in other errors."""
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

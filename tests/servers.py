"""A real threaded HTTP server on 127.0.0.1 for tests and benchmarks, with fault injection.

Reusable by any test that needs an upstream over HTTP (Helm repositories, Argo CD API
stand-ins, chart archives). No mocks: clients talk to a real socket.

    with FileServer(root=upstream / "helm-repos") as server:
        server.route("/jetstack/index.yaml", upstream / "helm-repos/jetstack-cert-manager.index.yaml")
        server.fault("/broken/index.yaml", Fault(status=503))
        url = server.url + "/jetstack"          # http://127.0.0.1:<port>/jetstack
        ...
        assert server.hits("/jetstack/index.yaml") == 1

What it serves, per request path:
- a path registered with `route(path, file)` or `route_bytes(path, data)`;
- otherwise a file under `root` at that relative path (no escaping the root);
- otherwise 404.
Conditional GET: every file answer carries an `ETag` (sha256 of the content, quoted) and a
`Last-Modified` (the file's mtime), both switchable off; `If-None-Match` / `If-Modified-Since`
get a 304. Every request is recorded in `server.log` (method, path, headers, status).

Faults (`fault(path, Fault(...))`, applied to the first `times` requests of that path, or to
all when `times` is None): a status code, a delay before answering, a body truncated below
its announced Content-Length, no Content-Length at all, a redirect, an abrupt connection
reset, replacement bytes. With `tls=` (a server-side `ssl.SSLContext`) it speaks HTTPS. With
`basic_auth="user:password"` every request must carry that HTTP Basic credential (else 401).
A proxy is a server too: a request through an HTTP proxy arrives with the whole URL as its
path, so `route("http://charts.example.test/index.yaml", …)` answers it.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import socket
import ssl
import struct
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


@dataclass
class Fault:
    """What to do instead of (or on top of) serving the path normally."""

    status: int | None = None  # answer with this status and a short text body
    delay: float = 0.0  # seconds to sleep before answering (timeouts)
    truncate: int | None = None  # send only this many body bytes, announce the full length
    redirect: str | None = None  # answer 302 with this Location (relative or absolute)
    reset: bool = False  # close the connection with a TCP RST, no answer at all
    body: bytes | None = None  # serve these bytes instead of the file
    no_length: bool = False  # omit Content-Length: the body ends when the connection closes
    headers: dict[str, str] = field(default_factory=dict)  # extra response headers
    times: int | None = None  # apply to the first N requests of the path only


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    status: int | None  # None when the connection was reset


class FileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 (port chosen by the OS)."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        etag: bool = True,
        last_modified: bool = True,
        tls: ssl.SSLContext | None = None,
        basic_auth: str | None = None,
    ) -> None:
        self.root = root.resolve() if root else None
        self.tls = tls  # serve HTTPS with this server-side context
        self.authorization = (
            "Basic " + base64.b64encode(basic_auth.encode()).decode() if basic_auth else None
        )
        self.etag = etag
        self.last_modified = last_modified
        self.log: list[Request] = []
        self._routes: dict[str, Path | bytes] = {}
        self._faults: dict[str, Fault] = {}
        self._fault_hits: dict[str, int] = {}
        self._lock = threading.Lock()
        self._files: dict[tuple[str, int, int], bytes] = {}
        self._etags: dict[int, tuple[bytes, str]] = {}
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ configuration
    def route(self, path: str, file: Path) -> None:
        """Serve `file` at URL `path` (e.g. "/jetstack/index.yaml")."""
        self._routes[path] = file

    def route_bytes(self, path: str, data: bytes) -> None:
        self._routes[path] = data

    def fault(self, path: str, fault: Fault) -> None:
        with self._lock:
            self._faults[path] = fault
            self._fault_hits[path] = 0

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._fault_hits.clear()

    def hits(self, path: str) -> int:
        """How many requests reached `path`."""
        return sum(1 for r in self.log if r.path == path)

    def statuses(self, path: str) -> list[int | None]:
        return [r.status for r in self.log if r.path == path]

    # ------------------------------------------------------------------ lifecycle
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> FileServer:
        handler = type("BoundHandler", (_Handler,), {"server_state": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        if self.tls is not None:
            self._httpd.socket = self.tls.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------ internals
    def _active_fault(self, path: str) -> Fault | None:
        with self._lock:
            fault = self._faults.get(path)
            if fault is None:
                return None
            hits = self._fault_hits[path]
            self._fault_hits[path] = hits + 1
            if fault.times is not None and hits >= fault.times:
                return None
            return fault

    def _resolve(self, path: str) -> tuple[bytes, float | None] | None:
        target = self._routes.get(path)
        if isinstance(target, bytes):
            return target, None
        if target is None and self.root is not None:
            candidate = (self.root / path.lstrip("/")).resolve()
            if candidate.is_relative_to(self.root) and candidate.is_file():
                target = candidate
        if target is None or not target.is_file():
            return None
        # Files are cached by (mtime, size): benchmarks must not measure the server's disk.
        stat = target.stat()
        key = (str(target), stat.st_mtime_ns, stat.st_size)
        data = self._files.get(key)
        if data is None:
            data = self._files[key] = target.read_bytes()
        return data, stat.st_mtime

    def _etag(self, data: bytes) -> str:
        """sha256-based, memoised per bytes object (same cached file, same tag)."""
        with self._lock:
            known = self._etags.get(id(data))
            if known is not None and known[0] is data:
                return known[1]
        tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        with self._lock:
            self._etags[id(data)] = (data, tag)
        return tag

    def _record(self, request: Request) -> None:
        with self._lock:
            self.log.append(request)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up early (timeouts, size limits) is expected, not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server_state: FileServer
    protocol_version = "HTTP/1.1"
    _request: tuple[str, dict[str, str]]

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        return

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        state = self.server_state
        path = self.path.split("?", 1)[0]
        headers = {k.lower(): v for k, v in self.headers.items()}
        fault = state._active_fault(path)
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.reset:
            state._record(Request(self.command, path, headers, None))
            self._reset()
            return
        self._request = (path, headers)
        if state.authorization and headers.get("authorization") != state.authorization:
            self._send(401, b"unauthorized\n", {"WWW-Authenticate": 'Basic realm="test"'}, head)
            return
        self._answer(path, headers, fault, head)

    def _answer(self, path: str, headers: dict[str, str], fault: Fault | None, head: bool) -> int:
        extra = fault.headers if fault else {}
        if fault and fault.redirect is not None:
            return self._send(302, b"redirect\n", {"Location": fault.redirect, **extra}, head)
        if fault and fault.status is not None:
            body = fault.body if fault.body is not None else f"status {fault.status}\n".encode()
            return self._send(fault.status, body, extra, head)
        found = self.server_state._resolve(path)
        if fault and fault.body is not None:
            found = (fault.body, None)
        if found is None:
            return self._send(404, b"not found\n", extra, head)
        data, mtime = found
        validators = self._validators(data, mtime)
        if self._not_modified(headers, validators):
            return self._send(304, b"", {**validators, **extra}, head)
        truncate = fault.truncate if fault else None
        no_length = bool(fault and fault.no_length)
        return self._send(200, data, {**validators, **extra}, head, truncate, no_length)

    def _validators(self, data: bytes, mtime: float | None) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.server_state.etag:
            out["ETag"] = self.server_state._etag(data)
        if self.server_state.last_modified and mtime is not None:
            out["Last-Modified"] = email.utils.formatdate(mtime, usegmt=True)
        return out

    def _not_modified(self, headers: dict[str, str], validators: dict[str, str]) -> bool:
        etag = validators.get("ETag")
        if "if-none-match" in headers:
            return etag is not None and etag in headers["if-none-match"]
        since, modified = headers.get("if-modified-since"), validators.get("Last-Modified")
        if since and modified:
            a, b = (
                email.utils.parsedate_to_datetime(since),
                email.utils.parsedate_to_datetime(modified),
            )
            return b <= a
        return False

    def _send(
        self,
        status: int,
        body: bytes,
        headers: dict[str, str],
        head: bool,
        truncate: int | None = None,
        no_length: bool = False,
    ) -> int:
        # Recorded before answering: a client that has its answer must find it in the log.
        path, request_headers = self._request
        self.server_state._record(Request(self.command, path, request_headers, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304 and not no_length:
            self.send_header("Content-Length", str(len(body)))
        if truncate is not None or no_length:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head and status != 304:
            self.wfile.write(body if truncate is None else body[:truncate])
        self.wfile.flush()
        if truncate is not None or no_length:
            self.close_connection = True
        return status

    def _reset(self) -> None:
        """Close with SO_LINGER 0: the client sees ECONNRESET, not a clean EOF."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

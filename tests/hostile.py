"""A hostile HTTP server on 127.0.0.1: every way an upstream can misbehave, one per path prefix.

The first path segment picks the behaviour, so a Helm repository URL `server.url + "/reset"`
fails the same way for its index and anything under it:

    with HostileServer(healthy={"/ok/index.yaml": index_bytes}) as server:
        server.url + "/ok"           # a healthy repository
        server.url + "/slow-body"    # headers at once, then one body byte per second

Behaviours (MODES): silent (accept, read the request, never answer), slow-headers and
slow-body (one byte per second), reset (TCP RST), status-500/429/404/401, truncated (fewer
bytes than announced), malformed-yaml, html, index-list, index-string, entries-not-mapping,
gzip-bomb (a small gzip body that inflates to `bomb_bytes`), bad-gzip (announces gzip, is
not), gzip-chunked (a VALID gzip body with chunked transfer encoding: must succeed; it
carries the `healthy` "/ok/index.yaml" document), oversized (`oversize_bytes` of YAML
comment), redirect-loop. It speaks raw sockets, so nothing in it is polite by accident.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import socketserver
import struct
import threading
import zlib
from types import TracebackType

MODES = (
    "silent",
    "slow-headers",
    "slow-body",
    "reset",
    "status-500",
    "status-429",
    "status-404",
    "status-401",
    "truncated",
    "malformed-yaml",
    "html",
    "index-list",
    "index-string",
    "entries-not-mapping",
    "gzip-bomb",
    "bad-gzip",
    "gzip-chunked",
    "oversized",
    "redirect-loop",
)

_BODIES = {
    "malformed-yaml": b"apiVersion: v1\nentries:\n  demo: [unclosed\n    - {version: 1\n",
    "html": b"<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>login</body></html>\n",
    "index-list": b"- apiVersion\n- entries\n",
    "index-string": b"just a string, not an index\n",
    "entries-not-mapping": b"apiVersion: v1\nentries:\n  - demo\n  - other\n",
}


class HostileServer:
    def __init__(
        self,
        healthy: dict[str, bytes] | None = None,
        bomb_bytes: int = 64 * 1024 * 1024,
        oversize_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.healthy = healthy or {}
        self.bomb_bytes = bomb_bytes
        self.oversize_bytes = oversize_bytes
        self.hits: list[str] = []  # request paths, in order
        self.closing = threading.Event()  # set on stop: stalled handlers give up
        self._lock = threading.Lock()
        self._bomb: bytes | None = None
        self._server: socketserver.ThreadingTCPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> HostileServer:
        handler = type("BoundHandler", (_Handler,), {"owner": self})
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def bomb(self) -> bytes:
        """`bomb_bytes` zeros, gzipped once (a few hundred KiB on the wire)."""
        with self._lock:
            if self._bomb is None:
                packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                block = bytes(1024 * 1024)
                parts = [packer.compress(block) for _ in range(self.bomb_bytes // len(block))]
                self._bomb = b"".join(parts) + packer.flush()
            return self._bomb

    def _record(self, path: str) -> None:
        with self._lock:
            self.hits.append(path)


class _Handler(socketserver.BaseRequestHandler):
    owner: HostileServer

    def handle(self) -> None:
        path = self._read_request()
        if path is None:
            return
        self.owner._record(path)
        mode = path.split("/")[1] if path.count("/") >= 1 else ""
        with contextlib.suppress(OSError):  # the client gave up (deadline, size limit)
            self._behave(mode, path)

    def _read_request(self) -> str | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(65536)
            if not chunk:
                return None
            data += chunk
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        return parts[1].split("?", 1)[0] if len(parts) >= 2 else "/"

    def _behave(self, mode: str, path: str) -> None:
        owner = self.owner
        if path in owner.healthy:
            self._answer(200, owner.healthy[path])
        elif mode == "silent":
            owner.closing.wait(120)
        elif mode == "slow-headers":
            self._trickle(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        elif mode == "slow-body":
            self._send(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            self._trickle(b"# " + b"x" * 99_998)
        elif mode == "reset":
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.request.close()
        elif mode.startswith("status-"):
            status = int(mode.removeprefix("status-"))
            extra = {"WWW-Authenticate": 'Basic realm="charts"'} if status == 401 else {}
            self._answer(status, f"status {status}\n".encode(), extra)
        elif mode == "truncated":
            self._send(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n")
            self._send(b"apiVersion: v1\nentries: {}\n")
        elif mode in _BODIES:
            self._answer(200, _BODIES[mode])
        elif mode == "gzip-bomb":
            self._answer(200, owner.bomb(), {"Content-Encoding": "gzip"})
        elif mode == "bad-gzip":
            self._answer(200, b"\x1f\x8b\x08\x00" + b"this is not deflate data" * 20,
                         {"Content-Encoding": "gzip"})
        elif mode == "gzip-chunked":
            self._chunked(gzip.compress(owner.healthy.get("/ok/index.yaml", b"ok\n")))
        elif mode == "oversized":
            self._answer(200, b"#" * owner.oversize_bytes)
        elif mode == "redirect-loop":
            self._answer(302, b"", {"Location": "/redirect-loop/again" if "again" not in path
                                    else "/redirect-loop/index.yaml"})
        else:
            self._answer(404, b"no such mode\n")

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Whatever')}",
                f"Content-Length: {len(body)}", "Connection: close"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self._send(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def _chunked(self, body: bytes) -> None:
        self._send(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                   b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        for start in range(0, len(body), 1000):
            piece = body[start:start + 1000]
            self._send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self._send(b"0\r\n\r\n")

    def _trickle(self, data: bytes) -> None:
        """One byte per second until done, the client leaves or the server stops."""
        for i in range(len(data)):
            self._send(data[i:i + 1])
            if self.owner.closing.wait(1.0):
                return

    def _send(self, data: bytes) -> None:
        self.request.sendall(data)


_REASONS = {200: "OK", 302: "Found", 401: "Unauthorized", 404: "Not Found",
            429: "Too Many Requests", 500: "Internal Server Error"}

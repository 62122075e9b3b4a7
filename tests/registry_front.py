"""`FrontProxy`: a tiny front for a test registry (bearer tokens, blob redirects, pagination)."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FrontProxy:
    """A tiny front for a registry (which has no auth itself), on its own loopback port.

    With `token` set, it behaves like ghcr.io or Docker Hub: `/v2/...` answers 401 with a
    `WWW-Authenticate: Bearer realm=...` challenge unless the bearer token matches, and `/token`
    hands out `token` (or `access_token`) when the basic credentials match (or none are
    required). Blob GETs are redirected to `localhost:PORT/_blobs/...` (another host name, so
    clients must drop the Authorization header, as they do for CDNs), served without auth.
    With `page_size` set, tag lists are paginated with `n`/`last` and a `Link` header (the
    Debian registry, distribution 2.8, ignores `n`). Every request path is logged.
    """

    backend: str  # "127.0.0.1:PORT" of the registry
    token: str | None = "tkn-s3cret-value"
    token_field: str = "token"
    credentials: tuple[str, str] | None = None
    page_size: int | None = None
    log: list[str] = field(default_factory=list)
    authorization: list[tuple[str, str | None]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FrontProxy:
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FrontProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.owner.log.append(self.path)
        self.owner.authorization.append((self.path, self.headers.get("Authorization")))
        url = urllib.parse.urlsplit(self.path)
        token = self.owner.token
        if url.path == "/token":
            self._token(dict(urllib.parse.parse_qsl(url.query)))
        elif url.path.startswith("/_blobs/"):
            self._forward("/v2/" + url.path[len("/_blobs/") :])
        elif token and self.headers.get("Authorization") != f"Bearer {token}":
            self._challenge(url.path)
        elif token and "/blobs/" in url.path:
            port = self.server.server_address[1]
            target = f"http://localhost:{port}/_blobs/{url.path[len('/v2/') :]}"
            self._send(307, b"", {"Location": target})
        elif self.owner.page_size and url.path.endswith("/tags/list"):
            self._tags_page(url.path, dict(urllib.parse.parse_qsl(url.query)))
        else:
            self._forward(self.path)

    def _token(self, params: dict[str, str]) -> None:
        self.owner.token_requests.append(params)
        wanted = self.owner.credentials
        if wanted is not None:
            expected = "Basic " + base64.b64encode(":".join(wanted).encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {})
                return
        body = json.dumps({self.owner.token_field: self.owner.token, "expires_in": 300})
        self._send(200, body.encode(), {"Content-Type": "application/json"})

    def _challenge(self, path: str) -> None:
        parts = path.split("/")
        name = "/".join(parts[2:-2]) if len(parts) > 4 else ""
        port = self.server.server_address[1]
        challenge = (
            f'Bearer realm="http://127.0.0.1:{port}/token",service="test-registry",'
            f'scope="repository:{name}:pull"'
        )
        body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
        self._send(401, body, {"WWW-Authenticate": challenge, "Content-Type": "application/json"})

    def _tags_page(self, path: str, params: dict[str, str]) -> None:
        """Distribution v3 semantics: sorted tags after `last`, at most `n` (server-capped)."""
        status, body, headers = self._fetch(path)
        if status != 200:
            self._send(status, body, headers)
            return
        tags = sorted(json.loads(body)["tags"])
        size = min(int(params.get("n") or 10**6), self.owner.page_size or 10**6)
        after = [t for t in tags if t > params.get("last", "")]
        page = after[:size]
        if len(after) > size:
            query = urllib.parse.urlencode({"n": size, "last": page[-1]})
            headers["Link"] = f'<{path}?{query}>; rel="next"'
        name = json.loads(body)["name"]
        self._send(200, json.dumps({"name": name, "tags": page}).encode(), headers)

    def _fetch(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection(self.owner.backend, timeout=10)
        accept = self.headers.get("Accept")
        conn.request("GET", path, headers={"Accept": accept} if accept else {})
        response = conn.getresponse()
        body = response.read()
        keep = ("Content-Type", "Docker-Content-Digest", "Link")
        headers = {k: v for k, v in response.getheaders() if k in keep}
        conn.close()
        return response.status, body, headers

    def _forward(self, path: str) -> None:
        self._send(*self._fetch(path))

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

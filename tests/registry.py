"""A real OCI registry on 127.0.0.1 for tests: Debian's `docker-registry` (distribution 2.8).

- `start_registry(root, htpasswd=...)`: the registry process with a temporary config/storage,
  optionally behind basic auth (htpasswd, bcrypt hashes as distribution requires);
- `FrontProxy`: a tiny front for a registry: a bearer-token service answering 401 with a
  `WWW-Authenticate: Bearer realm=...` challenge the way ghcr.io and Docker Hub do, blob
  redirects to another host name (as registries redirect to a CDN), tag-list pagination, and
  a log of every request so tests can count round trips;
- `push_chart(...)`: pushes a Helm chart over the OCI distribution API, the way `helm push`
  does: a config blob (Chart.yaml metadata as JSON), a chart .tgz layer, an OCI manifest, a tag.

`running_registry` is a generator for session-scoped fixtures (see tests/test_oci.py).
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import http.client
import io
import json
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

REGISTRY_BIN = "docker-registry"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_LAYER = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Registry:
    """A running registry process; `host` is `127.0.0.1:PORT`."""

    host: str
    process: subprocess.Popen[bytes]
    auth: tuple[str, str] | None = None

    @property
    def base(self) -> str:
        return f"http://{self.host}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def require_registry_binary() -> str:
    path = shutil.which(REGISTRY_BIN)
    if path is None:
        pytest.skip(
            f"`{REGISTRY_BIN}` not installed (Debian package docker-registry; "
            "CI installs it with apt-get): OCI tests need a real registry"
        )
    return path


def _htpasswd(path: Path, user: str, password: str) -> None:
    # bcrypt is the only scheme distribution's htpasswd accepts (a test-only dependency).
    import bcrypt

    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{user}:{hashed}\n", encoding="utf-8")


def start_registry(root: Path, auth: tuple[str, str] | None = None) -> Registry:
    """Start `docker-registry serve` on a free loopback port, storing under `root`."""
    binary = require_registry_binary()
    root.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": host, "secret": "test-only-secret"},
    }
    if auth:
        _htpasswd(root / "htpasswd", *auth)
        config["auth"] = {"htpasswd": {"realm": "test", "path": str(root / "htpasswd")}}
    (root / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    log = (root / "registry.log").open("wb")
    process = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log, stderr=log)
    registry = Registry(host, process, auth)
    _wait_ready(registry, root / "registry.log")
    return registry


def _wait_ready(registry: Registry, log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if registry.process.poll() is not None:
            raise RuntimeError(f"docker-registry exited: {log.read_text(errors='replace')}")
        try:
            requests.get(f"{registry.base}/v2/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    registry.stop()
    raise RuntimeError("docker-registry did not start within 15 s")


# --------------------------------------------------------------------------- pushing charts


def chart_tgz(metadata: dict[str, Any]) -> bytes:
    """A real, reproducible chart archive: Chart.yaml, values.yaml and one template."""
    name = metadata["name"]
    files = {
        f"{name}/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", **metadata}, sort_keys=False),
        f"{name}/values.yaml": "replicaCount: 1\n",
        f"{name}/templates/configmap.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
        ),
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_blob(session: requests.Session, base: str, repository: str, data: bytes) -> str:
    """Monolithic upload: POST to open an upload session, PUT the bytes with their digest."""
    started = session.post(f"{base}/v2/{repository}/blobs/uploads/", timeout=10)
    assert started.status_code == 202, started.text
    location = urllib.parse.urljoin(base, started.headers["Location"])
    digest = digest_of(data)
    separator = "&" if "?" in location else "?"
    done = session.put(
        f"{location}{separator}digest={urllib.parse.quote(digest)}",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
        timeout=10,
    )
    assert done.status_code == 201, done.text
    return digest


def push_manifest(
    session: requests.Session, base: str, repository: str, tag: str, manifest: dict[str, Any]
) -> str:
    body = json.dumps(manifest).encode()
    done = session.put(
        f"{base}/v2/{repository}/manifests/{tag}",
        data=body,
        headers={"Content-Type": OCI_MANIFEST},
        timeout=10,
    )
    assert done.status_code == 201, done.text
    return digest_of(body)


def push_chart(
    registry: Registry,
    repository: str,
    metadata: dict[str, Any],
    tag: str | None = None,
    created: str | None = "2025-03-04T05:06:07Z",
) -> str:
    """Push a chart as `helm push` does; the tag defaults to the version with `+` as `_`.

    `metadata` is the Chart.yaml content (name, version, appVersion, kubeVersion, ...).
    Returns the manifest digest.
    """
    session = requests.Session()
    if registry.auth:
        session.auth = registry.auth
    layer = chart_tgz(metadata)
    config = json.dumps({"apiVersion": "v2", **metadata}).encode()
    manifest: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": HELM_CONFIG,
            "digest": push_blob(session, registry.base, repository, config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": HELM_LAYER,
                "digest": push_blob(session, registry.base, repository, layer),
                "size": len(layer),
            }
        ],
    }
    if created:
        manifest["annotations"] = {"org.opencontainers.image.created": created}
    tag = tag or str(metadata["version"]).replace("+", "_")
    return push_manifest(session, registry.base, repository, tag, manifest)


def push_image_manifest(registry: Registry, repository: str, tag: str) -> str:
    """A container image (not a chart) in the same repository, as some registries mix them."""
    session = requests.Session()
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": push_blob(session, registry.base, repository, config),
            "size": len(config),
        },
        "layers": [],
    }
    return push_manifest(session, registry.base, repository, tag, manifest)


# --------------------------------------------------------------------------- front proxy


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


def running_registry(root: Path, auth: tuple[str, str] | None = None) -> Iterator[Registry]:
    registry = start_registry(root, auth)
    try:
        yield registry
    finally:
        registry.stop()


# --------------------------------------------------------------------------- shared demo data

CHANGES = """\
- kind: added
  description: Support for Gateway API
  links:
    - name: PR
      url: https://github.com/example/demo/pull/1
- plain change line
"""
# `charts/demo` on the plain registry: three SemVer versions (one with build metadata, pushed
# as tag `1.2.4_build1`, one pre-release), a non-SemVer tag `nightly`, a cosign-style signature
# tag and a container image tag. The basic-auth registry holds v1.2.3 only.
DEMO: list[dict[str, Any]] = [
    {
        "name": "demo",
        "version": "v1.2.3",
        "appVersion": "1.2.3",
        "kubeVersion": ">=1.25.0-0",
        "description": "A demo chart",
        "home": "https://example.com/demo",
        "sources": ["https://github.com/example/demo"],
        "annotations": {"artifacthub.io/changes": CHANGES},
    },
    {"name": "demo", "version": "1.2.4+build1", "appVersion": "1.2.4", "kubeVersion": ">=1.28.0"},
    {"name": "demo", "version": "1.3.0-rc.1", "deprecated": True},
    {"name": "demo", "version": "0.0.0-nightly", "description": "floating tag"},
]
USER, PASSWORD = "alice", "pa55-w0rd-xyz"


@dataclass
class DemoRegistries:
    plain: Registry
    basic: Registry


_shared: dict[str, DemoRegistries] = {}


def demo_registries(factory: pytest.TempPathFactory) -> DemoRegistries:
    """The two demo registries, started once per test process (any module may ask), stopped
    when the process exits."""
    if "demo" not in _shared:
        root = factory.mktemp("registries")
        plain = start_registry(root / "plain")
        atexit.register(plain.stop)
        basic = start_registry(root / "basic", auth=(USER, PASSWORD))
        atexit.register(basic.stop)
        for metadata in DEMO[:3]:
            push_chart(plain, "charts/demo", metadata)
        push_chart(plain, "charts/demo", DEMO[3], tag="nightly", created=None)
        push_image_manifest(plain, "charts/demo", "sha256-abc.sig")
        push_image_manifest(plain, "charts/demo", "image-1.0.0")
        push_chart(basic, "charts/demo", DEMO[0])
        _shared["demo"] = DemoRegistries(plain, basic)
    return _shared["demo"]

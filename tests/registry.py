"""A real OCI registry on 127.0.0.1 for tests: Debian's `docker-registry` (distribution 2.8).

- `start_registry(root, auth=...)`: the registry process with a temporary config/storage,
  optionally behind basic auth (htpasswd, bcrypt hashes as distribution requires);
- `FrontProxy`: a tiny front for a registry: a bearer-token service answering 401 with a
  `WWW-Authenticate: Bearer realm=...` challenge the way ghcr.io and Docker Hub do, blob
  redirects to another host name (as registries redirect to a CDN), tag-list pagination, and
  a log of every request so tests can count round trips;
- `push_chart(...)`: pushes a Helm chart over the OCI distribution API, the way `helm push`
  does: a config blob (Chart.yaml metadata as JSON), a chart .tgz layer, an OCI manifest, a tag.

`demo_registries(factory)` starts the shared demo registries once per process; `FrontProxy`
lives in tests/registry_front.py and is re-exported here.
"""

from __future__ import annotations

import atexit
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import urllib3
import yaml

from tests.registry_front import FrontProxy as FrontProxy  # re-exported for tests

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
            urllib3.request("GET", f"{registry.base}/v2/", timeout=1, retries=False)
            return
        except urllib3.exceptions.HTTPError:
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


class Session:
    """A urllib3 pool that sends Basic auth on every request, if given."""

    def __init__(self, auth: tuple[str, str] | None = None) -> None:
        self.pool = urllib3.PoolManager()
        self.headers = urllib3.make_headers(basic_auth=":".join(auth)) if auth else {}

    def send(self, method: str, url: str, body: bytes | None = None, content_type: str = "") -> urllib3.BaseHTTPResponse:
        headers = {**self.headers, **({"Content-Type": content_type} if content_type else {})}
        return self.pool.request(method, url, body=body, headers=headers, timeout=10, retries=False)


def push_blob(session: Session, base: str, repository: str, data: bytes) -> str:
    """Monolithic upload: POST to open an upload session, PUT the bytes with their digest."""
    started = session.send("POST", f"{base}/v2/{repository}/blobs/uploads/")
    assert started.status == 202, started.data
    location = urllib.parse.urljoin(base, started.headers["Location"])
    digest = digest_of(data)
    separator = "&" if "?" in location else "?"
    done = session.send(
        "PUT",
        f"{location}{separator}digest={urllib.parse.quote(digest)}",
        data,
        "application/octet-stream",
    )
    assert done.status == 201, done.data
    return digest


def push_manifest(
    session: Session, base: str, repository: str, tag: str, manifest: dict[str, Any]
) -> str:
    body = json.dumps(manifest).encode()
    done = session.send("PUT", f"{base}/v2/{repository}/manifests/{tag}", body, OCI_MANIFEST)
    assert done.status == 201, done.data
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
    session = Session(registry.auth)
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
    session = Session()
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

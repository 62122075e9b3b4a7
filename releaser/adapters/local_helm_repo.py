"""A Helm repository server on 127.0.0.1 for the shipped index files (used by `demo`).

The indexes ship gzipped as package data; each is served at `/<name>/index.yaml` with an
ETag, so the chart sources' conditional GETs get their 304s here as they would upstream.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import ClassVar

PACKAGE_DIR = "helm-repos"


@dataclass(frozen=True)
class ServedRepository:
    upstream: str
    path: str  # "/<name>" under the server


def shipped_repositories() -> dict[str, str]:
    """Upstream repository URL -> shipped index file name."""
    folder = resources.files("releaser.data").joinpath(PACKAGE_DIR)
    mapping: dict[str, str] = json.loads(folder.joinpath("repositories.json").read_text())
    return mapping


def _load_index(file_name: str) -> bytes:
    folder = resources.files("releaser.data").joinpath(PACKAGE_DIR)
    return gzip.decompress(folder.joinpath(f"{file_name}.gz").read_bytes())


class _Handler(BaseHTTPRequestHandler):
    indexes: ClassVar[dict[str, tuple[bytes, str]]] = {}

    def do_GET(self) -> None:
        entry = self.indexes.get(self.path.split("?", 1)[0])
        if entry is None:
            self.send_error(404)
            return
        body, etag = entry
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/x-yaml")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextmanager
def serve_shipped_indexes() -> Iterator[dict[str, str]]:
    """Serve every shipped index; yields upstream URL -> local mirror prefix."""
    indexes: dict[str, tuple[bytes, str]] = {}
    prefixes: dict[str, str] = {}
    for upstream, file_name in shipped_repositories().items():
        name = file_name.removesuffix(".index.yaml")
        body = _load_index(file_name)
        indexes[f"/{name}/index.yaml"] = (body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
        prefixes[upstream] = name
    handler = type("ShippedIndexHandler", (_Handler,), {"indexes": indexes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield {upstream: f"{base}/{name}" for upstream, name in prefixes.items()}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

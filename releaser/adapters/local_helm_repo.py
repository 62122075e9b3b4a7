"""The demo's Helm repositories, served on 127.0.0.1 so that `releaser demo` needs no network.

The package ships the index entries of the kit's charts as the upstream indexes list them
(`data/demo/charts.json.gz`). For each entry this module builds a stand-in chart archive: a
minimal valid chart whose `Chart.yaml` carries the entry's name, version, apiVersion,
kubeVersion and appVersion. Each repository's `index.yaml` lists those entries with `urls`
relative to the repository, as Helm allows, and the `digest` of the archive built here. The
sandbox's mirrors file maps each upstream repository URL to its path on this server, so
indexes and archives alike resolve to 127.0.0.1. Every file is served with an ETag, so the
chart sources' conditional GETs get their 304s as they would upstream. The files are built
in the background once the server listens (the sandbox is built meanwhile); a request that
comes earlier waits for them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from http.server import BaseHTTPRequestHandler
from importlib import resources
from typing import Any, ClassVar

from releaser.adapters.local_server import serving
from releaser.adapters.yaml.dump import dump

CHARTS_FILE = "demo/charts.json.gz"
INDEXES_DIR = "helm-repos"
# Chart.yaml keys a stand-in archive copies from its index entry, in Helm's order: scalars.
CHART_YAML_KEYS = (
    "apiVersion", "name", "version", "kubeVersion", "description", "type", "appVersion",
    "deprecated",
)  # fmt: skip
# What the stand-in chart deploys: one object of an API no Kubernetes version removes.
TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-demo
data:
  chart: {{ .Chart.Name }}-{{ .Chart.Version }}
"""
NOTICE = "# A stand-in chart built by `releaser demo`: not the upstream chart's content.\n"


@dataclass(frozen=True)
class Served:
    body: bytes
    etag: str
    content_type: str


def shipped_repositories() -> dict[str, str]:
    """The packaged upstream indexes (the source of the demo's chart entries, and what tests
    and benchmarks serve): upstream repository URL -> index file name."""
    folder = resources.files("releaser.data").joinpath(INDEXES_DIR)
    mapping: dict[str, str] = json.loads(folder.joinpath("repositories.json").read_text())
    return mapping


def shipped_charts() -> dict[str, Any]:
    """Upstream repository URL -> {"path": name on the server, "charts": {chart: [entry]}}."""
    raw = resources.files("releaser.data").joinpath(CHARTS_FILE).read_bytes()
    data: dict[str, Any] = json.loads(gzip.decompress(raw))
    return data


def _tar_member(tar: tarfile.TarFile, path: str, text: str) -> None:
    data = text.encode("utf-8")
    info = tarfile.TarInfo(path)
    info.size, info.mode, info.mtime = len(data), 0o644, 0  # fixed metadata: same bytes each run
    tar.addfile(info, io.BytesIO(data))


def chart_yaml(entry: Mapping[str, Any]) -> str:
    """The entry's Chart.yaml fields, each value a JSON scalar: valid YAML that reads back
    the same, written far faster than a YAML emitter writes it (hundreds per demo)."""
    keys = [key for key in CHART_YAML_KEYS if key in entry]
    lines = (f"{key}: {json.dumps(entry[key], ensure_ascii=False)}\n" for key in keys)
    return NOTICE + "".join(lines)


def stand_in_archive(entry: Mapping[str, Any]) -> bytes:
    """A minimal valid chart `.tgz` for one index entry."""
    name = str(entry["name"])
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        _tar_member(tar, f"{name}/Chart.yaml", chart_yaml(entry))
        _tar_member(tar, f"{name}/values.yaml", NOTICE + "{}\n")
        _tar_member(tar, f"{name}/templates/configmap.yaml", TEMPLATE)
    return gzip.compress(buffer.getvalue(), mtime=0)


def archive_name(entry: Mapping[str, Any]) -> str:
    return f"{entry['name']}-{entry['version']}.tgz"


def repository_files(
    charts: Mapping[str, list[dict[str, Any]]], generated: date
) -> dict[str, bytes]:
    """File name -> content: each stand-in archive, and the index that lists them."""
    files: dict[str, bytes] = {}
    entries: dict[str, list[dict[str, Any]]] = {}
    for chart, items in charts.items():
        for entry in items:
            archive = stand_in_archive(entry)
            files[archive_name(entry)] = archive
            digest = hashlib.sha256(archive).hexdigest()
            entries.setdefault(chart, []).append(
                {**entry, "urls": [archive_name(entry)], "digest": digest}
            )
    index = {"apiVersion": "v1", "entries": entries, "generated": f"{generated}T00:00:00Z"}
    files["index.yaml"] = dump(index).encode("utf-8")
    return files


def _served(name: str, body: bytes) -> Served:
    kind = "application/x-yaml" if name.endswith(".yaml") else "application/gzip"
    return Served(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', kind)


class _Handler(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, Served]]  # set on the subclass each server gets
    ready: ClassVar[threading.Event]

    def do_GET(self) -> None:
        self.ready.wait()
        served = self.files.get(self.path.split("?", 1)[0])
        if served is None:
            self.send_error(404)
            return
        if self.headers.get("If-None-Match") == served.etag:
            self.send_response(304)
            self.send_header("ETag", served.etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", served.content_type)
        self.send_header("Content-Length", str(len(served.body)))
        self.send_header("ETag", served.etag)
        self.end_headers()
        self.wfile.write(served.body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _build(
    repos: Mapping[str, Any], generated: date, files: dict[str, Served], ready: threading.Event
) -> None:
    try:
        for repo in repos.values():
            for name, body in repository_files(repo["charts"], generated).items():
                files[f"/{repo['path']}/{name}"] = _served(name, body)
    finally:
        ready.set()  # even half-built: a missing file is a 404, never a hung request


@contextmanager
def serve_demo_charts(generated: date) -> Iterator[dict[str, str]]:
    """Serve every demo repository; yields upstream URL -> local repository URL."""
    repos = shipped_charts()
    files: dict[str, Served] = {}
    ready = threading.Event()
    handler = type("DemoChartsHandler", (_Handler,), {"files": files, "ready": ready})
    builder = threading.Thread(target=_build, args=(repos, generated, files, ready))
    builder.start()
    try:
        with serving(handler) as base:
            yield {upstream: f"{base}/{repo['path']}" for upstream, repo in repos.items()}
    finally:
        builder.join()

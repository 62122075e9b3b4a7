"""Helpers for the compatibility tests: the real data tables, the real index files as a
fixture-backed chart source (the pure planning tests' source, as in pip-tools'
FakeRepository), and chart archives built on the fly."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from releaser.adapters.datasets import (
    load_compatibility,
    load_component_lifecycles,
    load_deprecations,
    load_lifecycle,
)
from releaser.domain.charts import ChartRelease
from releaser.domain.compat import CompatData
from releaser.domain.errors import UpstreamError
from tests.upstream import HELM_REPOS

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 22)
REPOSITORIES: dict[str, str] = json.loads(
    (ROOT / "releaser" / "data" / "helm-repos" / "repositories.json").read_text()
)


@cache
def _index_text(file_name: str) -> str:
    return (HELM_REPOS / file_name).read_text()


@cache
def chart_entries(file_name: str, chart: str) -> list[dict[str, Any]] | None:
    """One chart's entries, parsed from its slice of the index only (the files are large)."""
    text = _index_text(file_name)
    match = re.search(rf"(?m)^  {re.escape(chart)}:\n", text)
    if match is None:
        return None
    end = re.compile(r"(?m)^(?:  [^\s-]|\S)").search(text, match.end())
    body = text[match.start() : end.start() if end else len(text)]
    entries: list[dict[str, Any]] = yaml.load(body, Loader=yaml.CSafeLoader)[chart]
    return entries


def index_entries(file_name: str) -> dict[str, list[dict[str, Any]]]:
    """Every chart of an index file (slow for the big ones: use `chart_entries`)."""
    names = re.findall(r"(?m)^  ([^\s:#-][^:]*):\n", _index_text(file_name).split("\ngenerated:")[0])
    return {name: chart_entries(file_name, name) or [] for name in names}


def to_release(entry: Mapping[str, Any]) -> ChartRelease:
    def text(key: str) -> str | None:
        value = entry.get(key)
        return None if value is None else str(value)

    return ChartRelease(
        name=str(entry["name"]),
        version=str(entry["version"]),
        app_version=text("appVersion"),
        kube_version=text("kubeVersion"),
        deprecated=bool(entry.get("deprecated", False)),
        urls=tuple(str(u) for u in entry.get("urls") or ()),
        digest=text("digest"),
    )


class IndexFileSource:
    """ChartSource over the real index files; a repository not in `files` is unreachable."""

    def __init__(self, files: Mapping[str, str] | None = None) -> None:
        self.files = dict(REPOSITORIES if files is None else files)
        self.calls: list[tuple[str, str]] = []

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        self.calls.append((repo_url, chart))
        file_name = self.files.get(repo_url)
        if file_name is None:
            raise UpstreamError(f"{repo_url}: connection refused")
        entries = chart_entries(file_name, chart)
        if entries is None:
            raise UpstreamError(f"{repo_url}: chart {chart!r} is not in the index")
        return [to_release(e) for e in entries]


@cache
def real_data() -> CompatData:
    matrices = load_compatibility(
        (ROOT / "core" / "compatibility.yaml").read_text(), "core/compatibility.yaml"
    )
    return CompatData(
        load_lifecycle(), load_deprecations(), matrices, load_component_lifecycles()
    )


def chart_archive(
    name: str,
    version: str,
    templates: Mapping[str, str],
    crds: Mapping[str, str] | None = None,
    values: str = "",
    kube_version: str | None = None,
) -> bytes:
    """A chart .tgz as `helm package` lays it out: `<name>/Chart.yaml`, templates/, crds/."""
    chart = {"apiVersion": "v2", "name": name, "version": version, "appVersion": version}
    if kube_version:
        chart["kubeVersion"] = kube_version
    files = {"Chart.yaml": yaml.safe_dump(chart), "values.yaml": values}
    files.update({f"templates/{k}": v for k, v in templates.items()})
    files.update({f"crds/{k}": v for k, v in (crds or {}).items()})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{path}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def write_chart_repo(root: Path, charts: Mapping[tuple[str, str], tuple[bytes, str | None]]) -> Path:
    """A Helm repository directory: `index.yaml` (relative `urls`, real digests) and .tgz
    files, for (name, version) -> (archive, kubeVersion)."""
    root.mkdir(parents=True, exist_ok=True)
    entries: dict[str, list[dict[str, Any]]] = {}
    for (name, version), (data, kube) in charts.items():
        file_name = f"{name}-{version}.tgz"
        (root / file_name).write_bytes(data)
        entry: dict[str, Any] = {
            "apiVersion": "v2", "name": name, "version": version, "appVersion": version,
            "urls": [file_name], "digest": hashlib.sha256(data).hexdigest(),
            "created": "2026-10-01T00:00:00Z",
        }
        if kube:
            entry["kubeVersion"] = kube
        entries.setdefault(name, []).append(entry)
    index = {"apiVersion": "v1", "entries": entries, "generated": "2026-10-01T00:00:00Z"}
    (root / "index.yaml").write_text(yaml.safe_dump(index))
    return root

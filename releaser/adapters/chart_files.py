"""Charts as files for rendering and comparing: an upstream chart's archive by repository,
name and version (its index entry found through the chart source, the archive digest-checked
and cached by `ChartArchiveStore`), a kit section chart written out of a git ref into a
private directory, and helm's output split into documents.
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from releaser.adapters.chart_archive import ChartArchiveStore, read_archive
from releaser.adapters.helm_render import RenderError
from releaser.adapters.yaml import FastLoadError, load_fast, load_values
from releaser.adapters.yaml.dump import dump
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import InvalidFileError, Problem, UpstreamError
from releaser.domain.redaction import redact_url
from releaser.domain.values_diff import ChartKeys

MAX_SECTION_FILES = 500  # a kit section chart is a handful of files
_SEPARATOR = re.compile(r"(?m)^---[ \t]*$")


class Releases(Protocol):
    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]: ...


class TreeFiles(Protocol):
    """The kit's files at one ref (the app layer's `KitFiles`)."""

    @property
    def label(self) -> str: ...

    def read_text(self, path: str) -> str | None: ...

    def list_dir(self, path: str) -> list[str]: ...


class ChartFiles:
    """Upstream chart archives on local disk (see the module's description)."""

    def __init__(self, source: Releases, archives: ChartArchiveStore) -> None:
        self._source = source
        self._archives = archives
        self._releases: dict[tuple[str, str], list[ChartRelease]] = {}

    def archive(self, repo_url: str, chart: str, version: str) -> str:
        """The path of the cached archive; UpstreamError when it cannot be had."""
        scan = self._archives.scan(repo_url, chart, self._release(repo_url, chart, version))
        if scan.archive is None:  # the store only returns scans with their archive
            raise UpstreamError(f"{chart} {version}: the archive is not cached")
        return scan.archive

    def files(self, repo_url: str, chart: str, version: str) -> dict[str, str]:
        """Chart.yaml, values.yaml, values.schema.json and the templates, as text."""
        path = self.archive(repo_url, chart, version)
        return read_archive(Path(path).read_bytes(), chart, self._archives.limits)

    def keys(self, repo_url: str, chart: str, version: str) -> ChartKeys:
        """What the chart takes as values: its defaults and its JSON schema."""
        files = self.files(repo_url, chart, version)
        return ChartKeys(chart, version, chart_defaults(files, chart), _schema(files))

    def _release(self, repo_url: str, chart: str, version: str) -> ChartRelease:
        key = (repo_url, chart)
        if key not in self._releases:
            self._releases[key] = self._source.releases(repo_url, chart)
        found = next((r for r in self._releases[key] if r.version == version), None)
        if found is None:
            raise UpstreamError(
                f"version {version} of {chart} is not in the index of {redact_url(repo_url)}"
            )
        return found


def chart_defaults(files: dict[str, str], chart: str) -> dict[str, Any]:
    """The chart's values.yaml as data (exit 3 naming the chart when it does not parse)."""
    text = files.get("values.yaml", "")
    loaded = load_values(text, f"{chart}/values.yaml") if text.strip() else None
    return loaded if isinstance(loaded, dict) else {}


def _schema(files: dict[str, str]) -> dict[str, Any] | None:
    """values.schema.json; a schema that is not JSON is ignored, as if absent."""
    text = files.get("values.schema.json")
    if not text:
        return None
    try:
        loaded = json.loads(text)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


@contextlib.contextmanager
def section_chart(files: TreeFiles, folder: str, work_dir: Path) -> Iterator[str]:
    """The chart under `folder` (`core/base`) at the ref `files` reads, written into a
    private directory under `work_dir` for helm, removed afterwards."""
    work_dir.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="section-", dir=work_dir))
    try:
        count = _copy_tree(files, folder, root, 0)
        if not (root / "Chart.yaml").is_file():
            raise InvalidFileError([Problem(f"{folder}/Chart.yaml", None, "",
                                            f"missing at {files.label}")])  # fmt: skip
        if count > MAX_SECTION_FILES:
            too_many = f"more than {MAX_SECTION_FILES} files"
            raise InvalidFileError([Problem(folder, None, "", too_many)])
        yield str(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _copy_tree(files: TreeFiles, folder: str, into: Path, count: int) -> int:
    for name in files.list_dir(folder):
        if name in ("", ".", "..") or "/" in name or count > MAX_SECTION_FILES:
            continue
        path = f"{folder}/{name}"
        text = files.read_text(path)
        if text is None:  # a directory (or nothing): its entries, if any
            count = _copy_tree(files, path, into / name, count)
            continue
        into.mkdir(parents=True, exist_ok=True)
        (into / name).write_text(text, encoding="utf-8")
        count += 1
    return count


def rendered_documents(text: str, label: str) -> list[Any]:
    """helm's output as one value per document (empty documents dropped)."""
    docs = []
    for part in _SEPARATOR.split(text):
        try:
            doc = load_fast(part)
        except FastLoadError as err:
            where = f" line {err.line}" if err.line else ""
            raise RenderError(f"{label}: helm printed YAML that does not parse{where}: "
                              f"{err.problem}") from None  # fmt: skip
        if doc is not None:
            docs.append(doc)
    return docs


def manifest_text(doc: Any) -> str:
    """One document as the YAML the diff shows."""
    return dump(doc)

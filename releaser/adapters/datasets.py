"""Load the data snapshots and `core/compatibility.yaml` into domain tables.

Where a snapshot comes from: the copy packaged in `releaser/data/`, unless
`releaser data refresh` wrote a copy into the user data directory (`Settings.data_dir`,
passed in by the caller) whose `date` is the same or newer. A newer releaser release
that ships a newer snapshot thus wins over an old refresh. Parsed tables are cached per
file and modification time, so repeated loads cost a few `stat` calls and a refresh in the
same process is seen.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, get_args

import yaml

from releaser.adapters.yaml import compose_document
from releaser.domain.deprecations import DeprecatedApi, DeprecationTable
from releaser.domain.errors import InvalidFileError, Problem
from releaser.domain.findings import minor_str, minor_tuple
from releaser.domain.lifecycle import (
    ComponentCycle,
    ComponentLifecycle,
    ComponentLifecycles,
    LifecycleTable,
    MinorLifecycle,
)
from releaser.domain.matrix import Match, Status, SupportLine, SupportMatrix

T = TypeVar("T")
PACKAGED_DIR = Path(__file__).resolve().parent.parent / "data"
SNAPSHOTS = ("kubernetes-lifecycle", "deprecated-apis", "component-lifecycles")
KUBENT_RULES = "kubent-rules"


@cache
def _read(path: str, mtime_ns: int) -> dict[str, Any]:
    """Parsed JSON document; the cache key includes mtime so rewritten files are re-read."""
    try:
        doc = json.loads(Path(path).read_bytes())
        if not isinstance(doc, dict) or not isinstance(doc.get("date"), str):
            raise ValueError("not a releaser data snapshot (no date)")
        date.fromisoformat(doc["date"])
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc) from exc
    return doc


def _unreadable(path: str, exc: Exception) -> InvalidFileError:
    reason = f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)
    return InvalidFileError(
        [Problem(path, None, "", f"unreadable data snapshot: {reason}")],
        hint="delete the file or run `releaser data refresh` to rewrite it",
    )


def _stamp(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def snapshot_path(name: str, user_dir: Path | None = None) -> Path:
    """The file a snapshot is read from: the user copy (if any) when it is at least as new."""
    packaged = PACKAGED_DIR / f"{name}.json"
    if user_dir is None:
        return packaged
    user = user_dir / f"{name}.json"
    user_stamp = _stamp(user)
    if user_stamp is None:
        return packaged
    packaged_date = _read(str(packaged), _stamp(packaged) or 0)["date"]
    user_date = _read(str(user), user_stamp)["date"]
    return user if user_date >= packaged_date else packaged


def _load_doc(name: str, user_dir: Path | None) -> tuple[str, int]:
    path = snapshot_path(name, user_dir)
    return str(path), _stamp(path) or 0


def _d(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _source_text(source: Mapping[str, Any]) -> str:
    commit = source.get("commit")
    fetched = source.get("fetched")
    where = f" @ {commit}" if commit else (f", fetched {fetched}" if fetched else "")
    return f"{source.get('description', 'unknown source')}{where}"


def _minor(row: Mapping[str, Any]) -> MinorLifecycle:
    up, eks, gke = row.get("upstream") or {}, row.get("eks") or {}, row.get("gke") or {}
    return MinorLifecycle(
        minor=row["minor"],
        upstream_release=_d(up.get("release")),
        upstream_end_of_maintenance=_d(up.get("endOfMaintenance")),
        upstream_eol=_d(up.get("endOfLife")),
        eks_release=_d(eks.get("release")),
        eks_end_standard=_d(eks.get("endOfStandardSupport")),
        eks_end_extended=_d(eks.get("endOfExtendedSupport")),
        gke_release=_d(gke.get("release")),
        gke_end_standard=_d(gke.get("endOfStandardSupport")),
        latest_patch=up.get("latestPatch"),
    )


@cache
def _lifecycle(path: str, mtime_ns: int) -> LifecycleTable:
    doc = _read(path, mtime_ns)
    minors = tuple(_minor(row) for row in doc["minors"])
    return LifecycleTable(date.fromisoformat(doc["date"]), _source_text(doc["source"]), minors)


@cache
def _deprecations(path: str, mtime_ns: int) -> DeprecationTable:
    doc = _read(path, mtime_ns)
    entries = tuple(
        DeprecatedApi(
            api_version=e["apiVersion"],
            kind=e["kind"],
            deprecated_in=e.get("deprecatedIn"),
            removed_in=e.get("removedIn"),
            replacement=e.get("replacement"),
            source="+".join(e.get("sources", [])),
            component=e.get("component", "k8s"),
        )
        for e in doc["entries"]
    )
    return DeprecationTable(date.fromisoformat(doc["date"]), _source_text(doc["source"]), entries)


@cache
def _components(path: str, mtime_ns: int) -> ComponentLifecycles:
    doc = _read(path, mtime_ns)
    products = tuple(
        ComponentLifecycle(
            product=p["product"],
            charts=tuple(p.get("charts", ())),
            link=p.get("link"),
            cycles=tuple(
                ComponentCycle(
                    r["cycle"],
                    _d(r.get("releaseDate")),
                    _d(r.get("eol")),
                    r.get("isEol"),
                    r.get("latest"),
                )
                for r in p["releases"]
            ),
        )
        for p in doc["products"]
    )
    return ComponentLifecycles(
        date.fromisoformat(doc["date"]), _source_text(doc["source"]), products
    )


def _build(name: str, user_dir: Path | None, builder: Callable[[str, int], T]) -> T:
    path, stamp = _load_doc(name, user_dir)
    try:
        return builder(path, stamp)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise _unreadable(path, exc) from exc


def load_lifecycle(user_dir: Path | None = None) -> LifecycleTable:
    return _build("kubernetes-lifecycle", user_dir, _lifecycle)


def load_deprecations(user_dir: Path | None = None) -> DeprecationTable:
    return _build("deprecated-apis", user_dir, _deprecations)


def load_component_lifecycles(user_dir: Path | None = None) -> ComponentLifecycles:
    return _build("component-lifecycles", user_dir, _components)


def load_kubent_rules() -> list[dict[str, Any]]:
    """The packaged kube-no-trouble rules that refresh merges into the pluto data."""
    path = PACKAGED_DIR / f"{KUBENT_RULES}.json"
    return list(_read(str(path), _stamp(path) or 0)["rules"])


def write_snapshots(documents: Mapping[str, Mapping[str, Any]], dest_dir: Path) -> list[Path]:
    """Write every document to a temporary file first, then rename them all into place.

    A failure while writing leaves the old files untouched (and no temporary files behind).
    """
    dest_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, doc in documents.items():
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=dest_dir)
            staged.append((Path(tmp_name), dest_dir / f"{name}.json"))
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(doc, handle, indent=1, ensure_ascii=False)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for staged_tmp, _ in staged:
            staged_tmp.unlink(missing_ok=True)
        raise
    for staged_tmp, final in staged:
        os.replace(staged_tmp, final)
    return [final for _, final in staged]


class DataStore:
    """The snapshots as the `releaser data` use cases see them (see releaser.app.data)."""

    def __init__(self, user_dir: Path) -> None:
        self.user_dir = user_dir

    def lifecycle(self) -> LifecycleTable:
        return load_lifecycle(self.user_dir)

    def deprecations(self) -> DeprecationTable:
        return load_deprecations(self.user_dir)

    def component_lifecycles(self) -> ComponentLifecycles:
        return load_component_lifecycles(self.user_dir)

    def origin(self, name: str) -> str:
        return str(snapshot_path(name, self.user_dir))

    def write(self, documents: Mapping[str, Mapping[str, Any]]) -> list[str]:
        return [str(p) for p in write_snapshots(documents, self.user_dir)]


# -- core/compatibility.yaml ---------------------------------------------------------------

COMPATIBILITY_FILE = "core/compatibility.yaml"
_COMPONENT_KEYS = ("source", "match", "outside", "status", "statusNote", "notes", "lines")
_LINE_KEYS = ("versions", "min", "max", "chart", "note")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class _Checker:
    """Walks composed YAML nodes, collecting every problem with its line number."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, node: yaml.Node, path: str, message: str) -> None:
        self.problems.append(Problem(self.file, node.start_mark.line + 1, path, message))

    def mapping(self, node: yaml.Node, path: str, allowed: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            self.add(node, path, "expected a mapping")
            return {}
        out: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = str(key.value)
            where = f"{path}.{name}" if path else name
            if allowed and name not in allowed:
                close = difflib.get_close_matches(name, allowed, n=1)
                hint = (
                    f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(allowed)}"
                )
                self.add(key, where, f"unknown key{hint}")
            elif name in out:
                self.add(key, where, "duplicate key")
            else:
                out[name] = value
        return out

    def text(self, node: yaml.Node | None, path: str, choices: tuple[str, ...] = ()) -> str | None:
        """The scalar as written (so an unquoted 1.30 stays "1.30"), or None."""
        if node is None:
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag == "tag:yaml.org,2002:null":
            if not (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
                self.add(node, path, "expected a single value")
            return None
        if choices and node.value not in choices:
            self.add(node, path, f"must be one of {', '.join(choices)}, not {node.value!r}")
            return None
        return str(node.value)

    def sequence(self, node: yaml.Node | None, path: str) -> list[yaml.Node]:
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.add(node, path, "expected a list")
            return []
        return list(node.value)

    def minor(self, node: yaml.Node | None, path: str) -> str | None:
        value = self.text(node, path)
        if value is not None and minor_str(value) != value:
            assert node is not None
            self.add(node, path, f'not a Kubernetes minor like "1.30": {value!r}')
            return None
        return value


def _line(check: _Checker, node: yaml.Node, path: str) -> SupportLine | None:
    fields = check.mapping(node, path, _LINE_KEYS)
    versions = check.text(fields.get("versions"), f"{path}.versions")
    low = check.minor(fields.get("min"), f"{path}.min")
    high = check.minor(fields.get("max"), f"{path}.max")
    if versions is None:
        if "versions" not in fields:
            check.add(node, path, "missing key 'versions'")
        return None
    if low and high and (minor_tuple(low) or (0, 0)) > (minor_tuple(high) or (0, 0)):
        check.add(node, path, f"min {low} is above max {high}")
    try:
        return SupportLine(
            versions,
            low,
            high,
            check.text(fields.get("note"), f"{path}.note"),
            check.text(fields.get("chart"), f"{path}.chart"),
        )
    except ValueError as exc:
        check.add(fields["versions"], f"{path}.versions", str(exc))
        return None


def _matrix(check: _Checker, name: str, node: yaml.Node, path: str) -> SupportMatrix:
    fields = check.mapping(node, path, _COMPONENT_KEYS)
    source = (
        check.mapping(fields["source"], f"{path}.source", ("url", "commit", "date"))
        if ("source" in fields)
        else {}
    )
    url = check.text(source.get("url"), f"{path}.source.url") or ""
    lines = []
    for i, item in enumerate(check.sequence(fields.get("lines"), f"{path}.lines")):
        line = _line(check, item, f"{path}.lines[{i}]")
        if line is not None:
            lines.append(line)
    if lines and not url:
        check.add(node, f"{path}.source.url", "a component with lines needs its source url")
    notes = [
        check.text(n, f"{path}.notes[{i}]")
        for i, n in enumerate(check.sequence(fields.get("notes"), f"{path}.notes"))
    ]
    return SupportMatrix(
        component=name,
        source_url=url,
        match=check.text(fields.get("match"), f"{path}.match", get_args(Match)) or "appVersion",  # type: ignore[arg-type]
        lines=tuple(lines),
        outside=check.text(fields.get("outside"), f"{path}.outside", ("fail", "warn")) or "fail",  # type: ignore[arg-type]
        status=check.text(fields.get("status"), f"{path}.status", get_args(Status)) or "active",  # type: ignore[arg-type]
        status_note=check.text(fields.get("statusNote"), f"{path}.statusNote"),
        notes=tuple(n for n in notes if n),
    )


def load_compatibility(text: str | bytes, file: str) -> dict[str, SupportMatrix]:
    """Parse `core/compatibility.yaml`; every problem is reported at once with its line."""
    root = compose_document(text, file)
    if root is None:
        return {}
    check = _Checker(file)
    top = check.mapping(root, "", ("components",))
    matrices: dict[str, SupportMatrix] = {}
    components = check.mapping(top["components"], "components", ()) if "components" in top else {}
    for name, node in components.items():
        path = f"components.{name}"
        if not _NAME.match(name):
            check.add(node, path, "component names are lowercase letters, digits and '-'")
        matrices[name] = _matrix(check, name, node, path)
    if check.problems:
        raise InvalidFileError(sorted(check.problems, key=lambda p: p.line or 0))
    return matrices


def compatibility_problems(text: str | None, file: str = COMPATIBILITY_FILE) -> list[Problem]:
    """What `releaser validate` reports for the kit's compatibility file (none if absent)."""
    if text is None:
        return []
    try:
        load_compatibility(text, file)
    except InvalidFileError as err:
        return list(err.problems)
    return []

"""`releaser data` / `releaser data refresh` against a real HTTP server on 127.0.0.1.

The server answers the endoflife.date API v1 paths and pluto's versions.yaml from
tests/data/refresh (v1 answers rebuilt from the 2026-08-22 upstream snapshot values).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from releaser.adapters import datasets
from releaser.adapters.data_refresh import UpstreamUrls, http_fetcher, upstream_snapshots
from releaser.adapters.datasets import (
    DataStore,
    load_component_lifecycles,
    load_deprecations,
    load_lifecycle,
    write_snapshots,
)
from releaser.adapters.http import HttpClient
from releaser.adapters.local_server import serving
from releaser.app.data import RefreshResult, SnapshotInfo, data_status, refresh, stale_warning
from releaser.domain.errors import InvalidFileError, UpstreamError
from releaser.settings import HttpSettings

FIXTURES = Path(__file__).resolve().parent / "data" / "refresh"
TODAY = date(2026, 11, 22)


@dataclass
class Upstream:
    """What the fake upstream serves; tests break parts of it."""

    port: int = 0
    requests: list[str] = field(default_factory=list)
    broken: dict[str, tuple[int, bytes]] = field(default_factory=dict)

    @property
    def urls(self) -> UpstreamUrls:
        base = f"http://127.0.0.1:{self.port}"
        return UpstreamUrls(endoflife=f"{base}/api/v1", pluto=f"{base}/pluto/versions.yaml")


def _handler(upstream: Upstream) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            upstream.requests.append(self.path)
            status, body = upstream.broken.get(self.path) or self._file()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _file(self) -> tuple[int, bytes]:
            if self.path == "/pluto/versions.yaml":
                return 200, (FIXTURES / "versions.yaml").read_bytes()
            prefix = "/api/v1/products/"
            name = self.path.removeprefix(prefix)
            path = FIXTURES / "products" / f"{name}.json"
            if self.path.startswith(prefix) and "/" not in name and path.exists():
                return 200, path.read_bytes()
            return 404, b'{"message": "not found"}'

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving_upstream() -> Iterator[Upstream]:
    """endoflife.date's and pluto's answers on 127.0.0.1, as long as the block runs."""
    state = Upstream()
    with serving(_handler(state)) as url:
        state.port = int(url.rsplit(":", 1)[1])
        yield state


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with serving_upstream() as state:
        yield state


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "user-data"
    monkeypatch.setenv("RELEASER_DATA_DIR", str(path))
    return path


def run_refresh(upstream: Upstream, user_dir: Path, retries: int = 0) -> RefreshResult:
    source = upstream_snapshots(http_fetcher(HttpClient(HttpSettings(read_timeout=5, retries=retries, backoff=0.1))), upstream.urls, TODAY)
    return refresh(source, DataStore(user_dir))


def test_status_lists_the_packaged_snapshots(user_dir: Path) -> None:
    infos = {i.name: i for i in data_status(DataStore(user_dir))}
    assert set(infos) == {"kubernetes-lifecycle", "deprecated-apis", "component-lifecycles"}
    assert all(i.date == date(2026, 8, 22) for i in infos.values())
    assert infos["kubernetes-lifecycle"].newest_minor == "1.36"
    assert infos["deprecated-apis"].newest_minor == "1.36"  # newest removal pluto knows
    assert infos["kubernetes-lifecycle"].path.endswith("releaser/data/kubernetes-lifecycle.json")
    assert "a70eca337600" in infos["kubernetes-lifecycle"].source


def test_refresh_rebuilds_the_same_tables_dated_today(upstream: Upstream, user_dir: Path) -> None:
    packaged = (load_lifecycle(), load_deprecations(), load_component_lifecycles())
    result = run_refresh(upstream, user_dir)
    assert sorted(Path(p).name for p in result.written) == [
        "component-lifecycles.json",
        "deprecated-apis.json",
        "kubernetes-lifecycle.json",
    ]
    assert all(Path(p).parent == user_dir for p in result.written)
    lifecycle, deprecations, components = (
        load_lifecycle(user_dir),
        load_deprecations(user_dir),
        load_component_lifecycles(user_dir),
    )
    assert lifecycle.date == deprecations.date == components.date == TODAY
    assert "fetched 2026-11-22" in lifecycle.source
    assert lifecycle.minors == packaged[0].minors
    assert deprecations.entries == packaged[1].entries
    assert components.products == packaged[2].products
    assert [i.date for i in result.before] == [date(2026, 8, 22)] * 3
    assert [i.date for i in result.after] == [TODAY] * 3
    assert "/api/v1/products/amazon-eks" in upstream.requests
    assert "/pluto/versions.yaml" in upstream.requests
    assert not list(user_dir.glob(".*.tmp"))


def test_unreachable_upstream_names_the_url_and_writes_nothing(user_dir: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = Upstream(port=port)
    with pytest.raises(UpstreamError) as caught:
        run_refresh(closed, user_dir)
    message = str(caught.value)
    assert f"http://127.0.0.1:{port}/api/v1/products/kubernetes" in message
    assert "snapshot is unchanged" in message
    assert caught.value.exit_code == 4
    assert not user_dir.exists() or not any(user_dir.iterdir())


def test_one_failing_product_leaves_previous_refresh_untouched(
    upstream: Upstream, user_dir: Path
) -> None:
    run_refresh(upstream, user_dir)
    before = {p.name: p.read_bytes() for p in user_dir.iterdir()}
    upstream.broken["/api/v1/products/cert-manager"] = (503, b"busy")
    with pytest.raises(UpstreamError, match="products/cert-manager"):
        run_refresh(upstream, user_dir, retries=1)
    assert upstream.requests.count("/api/v1/products/cert-manager") == 1 + 2  # 1 ok + retried
    assert {p.name: p.read_bytes() for p in user_dir.iterdir()} == before


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("/api/v1/products/kubernetes", b"<html>maintenance</html>", "no result.releases"),
        (
            "/api/v1/products/kubernetes",
            b'{"result": {"releases": [{"label": "x"}]}}',
            "not a list of named releases",
        ),
        (
            "/api/v1/products/amazon-eks",
            b'{"result": {"releases": [{"name": "1.30", "eolFrom": "soon"}]}}',
            "eolFrom is not a YYYY-MM-DD date",
        ),
        ("/pluto/versions.yaml", b"target-versions: {}\n", "no deprecated-versions"),
    ],
)
def test_unexpected_answers_are_upstream_errors(
    upstream: Upstream, user_dir: Path, path: str, body: bytes, expected: str
) -> None:
    upstream.broken[path] = (200, body)
    with pytest.raises(UpstreamError, match=expected):
        run_refresh(upstream, user_dir)
    assert not user_dir.exists()


def test_empty_release_list_is_refused(upstream: Upstream, user_dir: Path) -> None:
    upstream.broken["/api/v1/products/kubernetes"] = (200, b'{"result": {"releases": []}}')
    with pytest.raises(UpstreamError, match="products/kubernetes: no Kubernetes releases"):
        run_refresh(upstream, user_dir)
    assert not user_dir.exists()


def test_oversized_answer_is_refused(upstream: Upstream) -> None:
    fetch = http_fetcher(HttpClient(HttpSettings(read_timeout=5, retries=0)), max_bytes=1000)
    with pytest.raises(UpstreamError, match="more than 1000 bytes"):
        fetch(upstream.urls.product("kubernetes"))


def test_credentials_in_urls_are_redacted(upstream: Upstream) -> None:
    fetch = http_fetcher(HttpClient(HttpSettings(read_timeout=5, retries=0)))
    url = f"http://user:s3cret@127.0.0.1:{upstream.port}/nothing-here"
    with pytest.raises(UpstreamError) as caught:
        fetch(url)
    assert "s3cret" not in str(caught.value)


def _doc(name: str, day: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((datasets.PACKAGED_DIR / f"{name}.json").read_text())
    doc["date"] = day
    doc["source"] = {"description": f"copy dated {day}"}
    return doc


def test_an_older_user_copy_loses_to_the_packaged_one(user_dir: Path) -> None:
    write_snapshots({"kubernetes-lifecycle": _doc("kubernetes-lifecycle", "2026-01-01")}, user_dir)
    assert load_lifecycle(user_dir).date == date(2026, 8, 22)
    write_snapshots({"kubernetes-lifecycle": _doc("kubernetes-lifecycle", "2026-09-01")}, user_dir)
    table = load_lifecycle(user_dir)
    assert table.date == date(2026, 9, 1) and table.source == "copy dated 2026-09-01"


def test_a_corrupt_user_copy_is_a_clear_error(user_dir: Path) -> None:
    user_dir.mkdir(parents=True)
    (user_dir / "deprecated-apis.json").write_text("{not json")
    with pytest.raises(InvalidFileError) as caught:
        load_deprecations(user_dir)
    assert "deprecated-apis.json" in str(caught.value)
    assert "releaser data refresh" in str(caught.value)


def test_a_user_copy_of_the_wrong_shape_is_a_clear_error(user_dir: Path) -> None:
    write_snapshots({"kubernetes-lifecycle": {"date": "2027-01-01", "rows": []}}, user_dir)
    with pytest.raises(InvalidFileError, match="missing key 'minors'"):
        load_lifecycle(user_dir)


def test_a_failed_write_changes_nothing(user_dir: Path) -> None:
    write_snapshots({"kubernetes-lifecycle": _doc("kubernetes-lifecycle", "2026-09-01")}, user_dir)
    before = (user_dir / "kubernetes-lifecycle.json").read_bytes()
    documents: dict[str, dict[str, Any]] = {
        "kubernetes-lifecycle": _doc("kubernetes-lifecycle", "2026-10-01"),
        "deprecated-apis": {"date": "2026-10-01", "entries": [object()]},  # not JSON
    }
    with pytest.raises(TypeError):
        write_snapshots(documents, user_dir)
    assert (user_dir / "kubernetes-lifecycle.json").read_bytes() == before
    assert sorted(p.name for p in user_dir.iterdir()) == ["kubernetes-lifecycle.json"]


def test_a_failed_refresh_is_one_readable_line_and_its_hint() -> None:
    """Through the CLI: the public source is out of reach here (no route, or the suite's guard)."""
    from typer.testing import CliRunner

    from releaser.cli.main import app

    env = {"RELEASER_HTTP_RETRIES": "0", "RELEASER_HTTP_DEADLINE": "5"}
    result = CliRunner().invoke(app, ["data", "refresh"], env=env)
    assert result.exit_code == 4
    lines = result.output.splitlines()
    assert len(lines) == 2, result.output
    assert lines[0].startswith("error: could not fetch https://endoflife.date/")
    assert lines[1].startswith("  hint: the packaged data snapshot is unchanged")
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- freshness


def _infos(day: date) -> list[SnapshotInfo]:
    return [SnapshotInfo(n, day, "src", None, f"/{n}.json") for n in ("a-data", "b-data")]


def test_a_snapshot_older_than_90_days_is_named_in_one_warning() -> None:
    assert stale_warning(_infos(date(2026, 8, 24)), TODAY) is None  # 90 days: still fresh
    warning = stale_warning([*_infos(date(2026, 8, 22))[:1], *_infos(TODAY)[1:]], TODAY)
    assert warning is not None and "\n" not in warning
    assert warning.startswith("data snapshots older than 90 days in use (a-data of 2026-08-22; "
                              "92 days old)")
    assert "releaser data refresh --from DIR" in warning


def cli(*args: str, env: dict[str, str]) -> Any:
    from typer.testing import CliRunner

    from releaser.cli.main import app

    return CliRunner().invoke(app, list(args), env=env)


def test_commands_that_judge_warn_about_old_snapshots_on_stderr(tmp_path: Path) -> None:
    """The packaged snapshots are dated 2026-08-22: old on 2026-11-22, fresh on 2026-11-01."""
    from tests.kitrepo import make_kit_repo

    kit = make_kit_repo(tmp_path / "kit")
    env = {"RELEASER_DATA_DIR": str(tmp_path / "data"), "RELEASER_CACHE_DIR": str(tmp_path / "c")}
    old = cli("--kit", str(kit), "compat", "--offline", env={**env, "RELEASER_TODAY": "2026-11-22"})
    warnings = [line for line in old.stderr.splitlines() if "older than 90 days" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning: data snapshots older")
    assert "kubernetes-lifecycle of 2026-08-22" in warnings[0]
    fresh = cli("--kit", str(kit), "compat", "--offline", env={**env, "RELEASER_TODAY": "2026-11-01"})
    assert "older than 90 days" not in fresh.stderr
    status = cli("data", env={**env, "RELEASER_TODAY": "2026-11-22"})
    assert status.exit_code == 0 and "older than 90 days" in status.stderr


# --------------------------------------------------------------------------- refresh --from DIR


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    """The upstream answers saved as files, downloaded on 2026-11-01."""
    root = tmp_path / "answers"
    shutil.copytree(FIXTURES, root)
    stamp = datetime(2026, 11, 1, 12, 0).timestamp()
    for path in root.rglob("*"):
        os.utime(path, (stamp, stamp))
    return root


def _env(user_dir: Path) -> dict[str, str]:
    return {"RELEASER_DATA_DIR": str(user_dir), "RELEASER_TODAY": "2026-11-22"}


def test_refresh_from_a_directory_rebuilds_the_tables_dated_by_its_files(
    saved: Path, user_dir: Path
) -> None:
    result = cli("--json", "data", "refresh", "--from", str(saved), env=_env(user_dir))
    assert result.exit_code == 0, result.stderr
    shown = {s["name"]: s for s in json.loads(result.stdout)["snapshots"]}
    assert {s["date"] for s in shown.values()} == {"2026-11-01"}
    assert all(Path(s["path"]).parent == user_dir for s in shown.values())
    lifecycle = load_lifecycle(user_dir)
    assert lifecycle.date == date(2026, 11, 1)
    assert lifecycle.minors == load_lifecycle().minors
    assert load_deprecations(user_dir).entries == load_deprecations().entries
    source = json.loads((user_dir / "kubernetes-lifecycle.json").read_text())["source"]
    assert source["urls"][0] == str(saved / "products" / "kubernetes.json")
    assert source["fetched"] == "2026-11-01"
    assert "older than 90 days" not in result.stderr


def test_refresh_from_files_older_than_the_packaged_data_keeps_the_packaged_data(
    saved: Path, user_dir: Path
) -> None:
    stamp = datetime(2026, 5, 1, 12, 0).timestamp()
    os.utime(saved / "versions.yaml", (stamp, stamp))
    result = cli("data", "refresh", "--from", str(saved), env=_env(user_dir))
    assert result.exit_code == 0, result.stderr
    assert load_lifecycle(user_dir).date == date(2026, 8, 22)  # the packaged copy still wins
    assert "older than 90 days" in result.stderr


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("products/amazon-eks.json", "products/amazon-eks.json: missing"),
        ("versions.yaml", "versions.yaml: missing"),
    ],
)
def test_refresh_from_a_directory_missing_a_file_exits_3(
    saved: Path, user_dir: Path, breakage: str, expected: str
) -> None:
    (saved / breakage).unlink()
    result = cli("data", "refresh", "--from", str(saved), env=_env(user_dir))
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == f"error: {saved}/{expected}"
    assert lines[1].startswith("  hint: --from DIR needs products/<product>.json") and len(lines) == 2
    assert not user_dir.exists()


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("products/kubernetes.json", b"<html>saved the login page</html>",
         "no result.releases (JSONDecodeError)"),
        ("products/kubernetes.json", b'{"result": {"releases": []}}', "no Kubernetes releases"),
        ("products/cert-manager.json", b'{"result": {"releases": [{"name": "1", "eolFrom": 5}]}}',
         "eolFrom is not a YYYY-MM-DD date"),
        ("versions.yaml", b"target-versions: {}\n", "no deprecated-versions list (KeyError)"),
    ],
)
def test_refresh_from_a_directory_with_a_bad_file_exits_3(
    saved: Path, user_dir: Path, name: str, body: bytes, expected: str
) -> None:
    (saved / name).write_bytes(body)
    result = cli("data", "refresh", "--from", str(saved), env=_env(user_dir))
    assert result.exit_code == 3, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"error: {saved}/{name}: not the expected answer: ")
    assert first.endswith(expected)
    assert not user_dir.exists()


def test_refresh_from_a_path_that_is_not_a_directory_is_a_usage_error(
    tmp_path: Path, user_dir: Path
) -> None:
    result = cli("data", "refresh", "--from", str(tmp_path / "nowhere"), env=_env(user_dir))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == f"error: --from {tmp_path / 'nowhere'}: not a directory"

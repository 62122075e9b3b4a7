"""The one HTTP client, and the commands that read upstream repositories, against a hostile
server (tests/hostile.py): every failure is one line, exit 4, within the deadline + 2 s."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from releaser.adapters.http import FetchError, HttpClient, ResponseTooLarge
from releaser.cli.main import app
from releaser.settings import HttpSettings
from tests.helmrepos import component, kit_components
from tests.hostile import MODES, HostileServer
from tests.kitrepo import make_kit_repo

DEADLINE = 3.0
GRACE = 2.0
MAX_BYTES = 2 * 1024 * 1024
SETTINGS = HttpSettings(
    connect_timeout=2, read_timeout=10, deadline=DEADLINE, retries=1, backoff=0.1,
    max_bytes=MAX_BYTES,
)
INDEX = "helm-repos/sealed-secrets.index.yaml"

# mode -> what the client's one-line reason says (None: the answer arrives intact)
CLIENT_EXPECTS: dict[str, str | None] = {
    "silent": f"no complete answer within {DEADLINE:g}s",
    "slow-headers": f"no complete answer within {DEADLINE:g}s",
    "slow-body": f"no complete answer within {DEADLINE:g}s",
    "reset": "connection reset by peer (after 1 retries)",
    "status-500": "HTTP 500 Internal Server Error (after 1 retries)",
    "status-429": "HTTP 429 Too Many Requests (after 1 retries)",
    "status-404": "HTTP 404 Not Found",
    "status-401": "HTTP 401 Unauthorized",
    "truncated": "response truncated: received 27 of 5000 bytes",
    "malformed-yaml": None,
    "html": None,
    "index-list": None,
    "index-string": None,
    "entries-not-mapping": None,
    "gzip-bomb": f"response exceeds the limit of {MAX_BYTES} bytes",
    "bad-gzip": "corrupt gzip body",
    "gzip-chunked": None,
    "oversized": f"response of {4 * 1024 * 1024} bytes exceeds the limit of {MAX_BYTES}",
    "redirect-loop": "too many redirects (more than 5)",
}


@pytest.fixture
def hostile(upstream: Path) -> Iterator[HostileServer]:
    with HostileServer(healthy={"/ok/index.yaml": (upstream / INDEX).read_bytes()}) as server:
        yield server


def test_every_mode_is_covered() -> None:
    assert set(CLIENT_EXPECTS) == set(MODES)


@pytest.mark.parametrize("mode", MODES)
def test_client_against_each_mode(hostile: HostileServer, mode: str) -> None:
    client = HttpClient(SETTINGS)
    url = f"{hostile.url}/{mode}/index.yaml"
    started = time.monotonic()
    expected = CLIENT_EXPECTS[mode]
    if expected is None:
        answer = client.fetch(url)
        assert answer.status == 200 and answer.content
    else:
        with pytest.raises(FetchError) as err:
            client.fetch(url)
        assert err.value.reason == expected
        assert str(err.value) == f"{url}: {expected}"
        assert err.value.exit_code == 4
    assert time.monotonic() - started < DEADLINE + GRACE


def test_valid_gzip_sent_chunked_is_inflated(hostile: HostileServer) -> None:
    answer = HttpClient(SETTINGS).fetch(f"{hostile.url}/gzip-chunked/index.yaml")
    assert answer.content == hostile.healthy["/ok/index.yaml"]


def test_a_gzip_bomb_is_a_size_error_not_memory(hostile: HostileServer) -> None:
    with pytest.raises(ResponseTooLarge):
        HttpClient(SETTINGS).fetch(f"{hostile.url}/gzip-bomb/index.yaml")
    assert len(hostile.bomb()) < MAX_BYTES  # small on the wire: only inflating finds it


def test_the_deadline_covers_retries(hostile: HostileServer) -> None:
    slow_retries = HttpSettings(read_timeout=1, deadline=DEADLINE, retries=10, backoff=0.2)
    started = time.monotonic()
    with pytest.raises(FetchError, match="within"):
        HttpClient(slow_retries).fetch(f"{hostile.url}/silent/index.yaml")
    assert time.monotonic() - started < DEADLINE + GRACE


def test_a_webhook_post_is_not_retried(hostile: HostileServer) -> None:
    answer = HttpClient(SETTINGS).request("POST", f"{hostile.url}/status-500/hook", json={"a": 1})
    assert answer.status == 500
    assert hostile.hits == ["/status-500/hook"]


def test_credentials_never_reach_the_message(hostile: HostileServer) -> None:
    url = hostile.url.replace("http://", "http://robot:s3cret@") + "/status-404/index.yaml"
    with pytest.raises(FetchError) as err:
        HttpClient(SETTINGS).fetch(url)
    assert "s3cret" not in str(err.value)


# ---------------------------------------------------------------------- the CLI
HOSTILE_REPOS = [m for m in MODES if m != "gzip-chunked"]


@pytest.fixture
def http_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASER_HTTP_DEADLINE", str(DEADLINE))
    monkeypatch.setenv("RELEASER_HTTP_TIMEOUT", "10")
    monkeypatch.setenv("RELEASER_HTTP_RETRIES", "1")
    monkeypatch.setenv("RELEASER_HTTP_BACKOFF", "0.1")
    monkeypatch.setenv("RELEASER_HTTP_MAX_BYTES", str(MAX_BYTES))


def _kit(root: Path, server: HostileServer, modes: list[str]) -> Path:
    base: dict[str, Any] = {"healthy": component(f"{server.url}/ok", "sealed-secrets", "2.10.0")}
    base["chunked"] = component(f"{server.url}/gzip-chunked", "sealed-secrets", "2.10.0")
    for mode in modes:
        base[mode] = component(f"{server.url}/{mode}", "sealed-secrets", "2.10.0")
    return make_kit_repo(root, components=kit_components(base=base))


def _run(kit: Path, *args: str) -> tuple[Any, float]:
    started = time.monotonic()
    result = CliRunner().invoke(app, ["--kit", str(kit), *args])
    return result, time.monotonic() - started


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@pytest.mark.usefixtures("http_env")
def test_check_reports_healthy_components_and_fails_the_hostile_ones(
    hostile: HostileServer, tmp_path: Path
) -> None:
    result, took = _run(_kit(tmp_path / "kit", hostile, HOSTILE_REPOS), "--json", "check")
    _no_traceback(result)
    assert result.exit_code == 4, result.stderr
    assert took < DEADLINE + GRACE
    got = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    for healthy in ("healthy", "chunked"):
        assert got[healthy]["error"] is None
        assert got[healthy]["latest"]["minor"]["version"].startswith("2.")
    for mode in HOSTILE_REPOS:
        error = got[mode]["error"]
        assert error and "\n" not in error, (mode, error)
        assert error.startswith(f"repository {hostile.url}/{mode}: "), error
    assert f"{len(HOSTILE_REPOS)} of {len(HOSTILE_REPOS) + 2} components" in result.stderr


@pytest.mark.usefixtures("http_env")
def test_compat_exits_4_within_the_deadline(hostile: HostileServer, tmp_path: Path) -> None:
    kit = _kit(tmp_path / "kit", hostile, ["slow-body", "gzip-bomb", "index-list", "reset"])
    result, took = _run(kit, "compat", "--no-render")
    _no_traceback(result)
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert took < DEADLINE + GRACE
    assert "slow-body" in result.stdout + result.stderr


@pytest.mark.usefixtures("http_env")
@pytest.mark.parametrize(
    "mode", ["silent", "slow-headers", "gzip-bomb", "bad-gzip", "html", "entries-not-mapping"]
)
def test_bump_latest_exits_4_within_the_deadline(
    hostile: HostileServer, tmp_path: Path, mode: str
) -> None:
    kit = _kit(tmp_path / "kit", hostile, [mode])
    result, took = _run(kit, "bump", mode, "--latest")
    _no_traceback(result)
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert took < DEADLINE + GRACE
    assert f"{hostile.url}/{mode}" in result.stderr

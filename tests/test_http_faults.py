"""Every way an upstream repository can fail, against a real server on 127.0.0.1.

Each fault hits one component (sealed-secrets); the other (external-dns) must still be
reported, the failing one carries a one-line error naming its upstream repository, and the
command exits 4.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from releaser.adapters.http import FetchError, HttpClient, fetch
from releaser.domain.redaction import redact
from releaser.settings import HttpSettings
from tests.helmrepos import component, kit_components, run_check, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import Fault, FileServer

SEALED = "https://bitnami-labs.github.io/sealed-secrets"
DNS = "https://kubernetes-sigs.github.io/external-dns/"
PATH = "/sealed-secrets/index.yaml"
RETRIES = 2


@pytest.fixture(autouse=True)
def _fast_http(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASER_HTTP_TIMEOUT", "0.5")
    monkeypatch.setenv("RELEASER_HTTP_RETRIES", str(RETRIES))
    monkeypatch.setenv("RELEASER_HTTP_BACKOFF", "0.01")


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    return make_kit_repo(tmp_path / "kit", components=kit_components(base={
        "sealed-secrets": component(SEALED, "sealed-secrets", "2.10.0"),
        "external-dns": component(DNS, "external-dns", "1.19.0"),
    }))


def _check_fails(kit: Path, mirrors: Path, reason: str, repo: str = SEALED) -> dict:
    result = run_check(kit, mirrors)
    assert result.exit_code == 4, (result.stdout, result.stderr)
    got = {c["name"]: c for c in json.loads(result.stdout)["components"]}
    assert got["external-dns"]["error"] is None
    assert got["external-dns"]["latest"]["minor"]["version"] == "1.21.1"
    error = got["sealed-secrets"]["error"]
    assert error.startswith(f"repository {repo}: ") and "\n" not in error
    assert reason in error, error
    assert "127.0.0.1" not in error  # the mirror is never shown
    assert "1 of 2 components could not be checked" in result.stderr
    assert got["sealed-secrets"]["latest"] == {"patch": None, "minor": None, "major": None}
    return got


def test_timeout(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(delay=1.5))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "no answer within 0.5s")
    assert helm_server.hits(PATH) == 0 or helm_server.hits(PATH) <= RETRIES + 1


def test_connection_refused(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nobody listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    mirrors = write_mirrors(tmp_path / "m.yaml", helm_server, {SEALED: f"http://127.0.0.1:{port}/x"})
    _check_fails(kit, mirrors, "connection refused")


def test_connection_reset(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(reset=True))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "connection reset")
    assert helm_server.hits(PATH) == RETRIES + 1


def test_not_found(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(status=404))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "HTTP 404 Not Found")
    assert helm_server.hits(PATH) == 1  # a 404 is not retried


def test_server_error_is_retried_then_reported(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(status=503))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), f"HTTP 503 Service Unavailable (after {RETRIES} retries)")
    assert helm_server.hits(PATH) == RETRIES + 1


def test_transient_server_error_recovers(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(status=502, times=1))
    result = run_check(kit, write_mirrors(tmp_path / "m.yaml", helm_server))
    assert result.exit_code == 0, result.stdout
    assert helm_server.statuses(PATH) == [502, 200]


def test_truncated_body(kit: Path, tmp_path: Path, helm_server: FileServer, upstream: Path) -> None:
    size = (upstream / "helm-repos/sealed-secrets.index.yaml").stat().st_size
    helm_server.fault(PATH, Fault(truncate=1000))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), f"response truncated: received 1000 of {size} bytes")


def test_malformed_yaml(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    broken = b"apiVersion: v1\nentries:\n  sealed-secrets:\n  - version: 2.11.0\n    urls: [a, b\n  - version: 2.12.0\n"
    helm_server.fault(PATH, Fault(body=broken))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "malformed index.yaml at line")


def test_not_an_index(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(body=b"<html>login page</html>\n"))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "not a Helm repository index")


def test_body_over_the_size_limit(kit: Path, tmp_path: Path, helm_server: FileServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASER_HTTP_MAX_BYTES", "50000")  # sealed-secrets 65 KB, external-dns 48 KB
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "exceeds the limit of 50000")


def test_size_limit_is_enforced_while_streaming(helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(no_length=True))  # no Content-Length to refuse up front
    client = HttpClient(HttpSettings(retries=0, max_bytes=20_000))
    with pytest.raises(FetchError, match="response exceeds the limit of 20000 bytes"):
        fetch(client, helm_server.url + PATH)
    assert len(fetch(client, helm_server.url + PATH, max_bytes=10**6).content) > 20_000


def test_redirect_loop(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(redirect=PATH))
    _check_fails(kit, write_mirrors(tmp_path / "m.yaml", helm_server), "too many redirects (more than 5)")
    assert helm_server.hits(PATH) == 6


def test_redirect_is_followed(kit: Path, tmp_path: Path, helm_server: FileServer, upstream: Path) -> None:
    helm_server.route("/moved/index.yaml", upstream / "helm-repos/sealed-secrets.index.yaml")
    helm_server.fault(PATH, Fault(redirect="/moved/index.yaml"))
    result = run_check(kit, write_mirrors(tmp_path / "m.yaml", helm_server))
    assert result.exit_code == 0
    assert helm_server.hits("/moved/index.yaml") == 1


SECRET_REPO = "https://robot:s3cr3t-token@charts.example.com/private"


def test_credentials_never_appear_in_any_output(tmp_path: Path, helm_server: FileServer, upstream: Path) -> None:
    kit = make_kit_repo(tmp_path / "kit", components=kit_components(base={
        "private": component(SECRET_REPO, "sealed-secrets", "2.10.0"),
        "broken": component("https://bob:hunter2@broken.example.com/charts", "x", "1.0.0"),
    }))
    helm_server.route("/private/index.yaml", upstream / "helm-repos/sealed-secrets.index.yaml")
    helm_server.fault("/broken/index.yaml", Fault(status=401))
    mirrors = write_mirrors(tmp_path / "m.yaml", helm_server, {
        "https://charts.example.com/private": f"http://mirror:m1rr0r-pass@127.0.0.1:{helm_server.port}/private",
        "https://broken.example.com/charts": f"http://mirror:m1rr0r-pass@127.0.0.1:{helm_server.port}/broken",
    })
    outputs = []
    for args, as_json in (((), True), ((), False), (("--format", "md"), False), (("--offline",), True)):
        result = run_check(kit, mirrors, *args, json_output=as_json)
        assert result.exit_code == 4
        outputs.append(result.stdout + result.stderr)
    for text in outputs:
        for secret in ("s3cr3t-token", "hunter2", "m1rr0r-pass", "robot:", "bob:"):
            assert secret not in text
    assert "https://***@charts.example.com/private" in outputs[0]
    assert "repository https://***@broken.example.com/charts: HTTP 401" in outputs[0]
    # The credentials were used, just never shown.
    assert any(r.headers.get("authorization", "").startswith("Basic ") for r in helm_server.log)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://u:p@h.io/x", "https://***@h.io/x"),
        ("oci://token@registry.io/charts", "oci://***@registry.io/charts"),
        ("GET http://a:b@127.0.0.1:80/i failed; see https://c.io", "GET http://***@127.0.0.1:80/i failed; see https://c.io"),
        ("git@github.com:org/repo", "git@github.com:org/repo"),
        ("https://h.io/a@b", "https://h.io/a@b"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_table_output_reports_the_failure_and_the_rest(kit: Path, tmp_path: Path, helm_server: FileServer) -> None:
    helm_server.fault(PATH, Fault(status=404))
    result = run_check(kit, write_mirrors(tmp_path / "m.yaml", helm_server), json_output=False)
    assert result.exit_code == 4
    assert f"error: sealed-secrets: repository {SEALED}: HTTP 404 Not Found" in result.stdout
    assert "1.21.1" in result.stdout  # external-dns still reported
    assert "1 of 2 components could not be checked (errors above)" in result.stderr

"""The GET client for indexes and chart archives (urllib3), against real servers on 127.0.0.1:
proxies from the environment, credentials in URLs, TLS with the CA bundle requests would
use, and the headers every request carries. The faults are in test_http_faults.py."""

from __future__ import annotations

import json
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from releaser.adapters.http import FetchError, HttpClient, fetch
from releaser.settings import HttpSettings, Settings
from tests.helmrepos import component, kit_components, run_check
from tests.kitrepo import make_kit_repo
from tests.servers import Fault, FileServer

SEALED_INDEX = "helm-repos/sealed-secrets.index.yaml"
FAR_AWAY = "http://charts.example.test/sealed"  # never resolved: only a proxy can reach it


@pytest.fixture(autouse=True)
def _no_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("RELEASER_HTTP_RETRIES", "0")


def _kit(tmp_path: Path, repo_url: str) -> Path:
    sealed = component(repo_url, "sealed-secrets", "2.10.0")
    return make_kit_repo(tmp_path / "kit", components=kit_components(base={"sealed": sealed}))


def _only(stdout: str) -> dict:
    (item,) = json.loads(stdout)["components"]
    return item


def test_http_proxy_from_the_environment(
    tmp_path: Path, upstream: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FileServer() as proxy:
        proxy.route(f"{FAR_AWAY}/index.yaml", upstream / SEALED_INDEX)
        monkeypatch.setenv("HTTP_PROXY", f"http://relay:pr0xy-pass@127.0.0.1:{proxy.port}")
        result = run_check(_kit(tmp_path, FAR_AWAY), None)
        assert result.exit_code == 0, result.stdout
        got = _only(result.stdout)
        assert got["error"] is None and got["latest"]["minor"]["version"].startswith("2.")
        (request,) = proxy.log
        assert request.path == f"{FAR_AWAY}/index.yaml"  # absolute form: a proxied request
        assert request.headers["proxy-authorization"].startswith("Basic ")
        assert "pr0xy-pass" not in result.stdout + result.stderr


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "example.test, 127.0.0.0/8", "*"])
def test_no_proxy_goes_direct(
    tmp_path: Path, upstream: Path, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    with FileServer() as server:
        server.route("/sealed/index.yaml", upstream / SEALED_INDEX)
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nobody listens there
        monkeypatch.setenv("NO_PROXY", no_proxy)
        assert run_check(_kit(tmp_path, server.url + "/sealed"), None).exit_code == 0
        monkeypatch.delenv("NO_PROXY")
        monkeypatch.setenv("RELEASER_STALE_MAX", "0")  # the first run's copy may not stand in
        refused = run_check(_kit(tmp_path / "again", server.url + "/sealed"), None)
        assert refused.exit_code == 4
        assert "connection refused" in _only(refused.stdout)["error"]


def test_credentials_in_the_url_become_basic_auth(tmp_path: Path, upstream: Path) -> None:
    with FileServer() as server:
        server.route("/private/index.yaml", upstream / SEALED_INDEX)
        client = HttpClient()
        url = f"http://robot:s%40cret@127.0.0.1:{server.port}/private/index.yaml"
        assert fetch(client, url).status == 200
        (request,) = server.log
        assert request.headers["authorization"] == "Basic cm9ib3Q6c0BjcmV0"  # robot:s@cret
        assert request.path == "/private/index.yaml"


def test_every_request_names_releaser_and_accepts_compression(upstream: Path) -> None:
    with FileServer() as server:
        server.route("/index.yaml", upstream / SEALED_INDEX)
        fetch(HttpClient(), server.url + "/index.yaml")
        (request,) = server.log
        assert request.headers["user-agent"].startswith("releaser/")
        assert "gzip" in request.headers["accept-encoding"]


def test_answer_headers_are_case_insensitive(upstream: Path) -> None:
    with FileServer() as server:
        server.route("/index.yaml", upstream / SEALED_INDEX)
        answer = fetch(HttpClient(), server.url + "/index.yaml")
        assert answer.headers["etag"] == answer.headers["ETag"]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made by openssl."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


@pytest.fixture
def https_server(certificate: tuple[Path, Path], upstream: Path) -> Iterator[FileServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    with FileServer(tls=context) as server:
        server.route("/index.yaml", upstream / SEALED_INDEX)
        yield server


def test_tls_is_verified_by_default(
    https_server: FileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(FetchError, match=r"TLS error \(.*certificate verify failed"):
        fetch(HttpClient(HttpSettings(retries=0)), https_server.url + "/index.yaml")


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_tls_trusts_the_ca_bundle_requests_would(
    https_server: FileServer,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv(variable, str(certificate[0]))
    answer = fetch(HttpClient(Settings.from_env().http), https_server.url + "/index.yaml")
    assert answer.status == 200 and answer.content.startswith(b"apiVersion")


def test_credentials_are_not_sent_on_to_another_host(upstream: Path) -> None:
    with FileServer() as first, FileServer() as other:
        other.route("/moved/index.yaml", upstream / SEALED_INDEX)
        first.fault("/private/index.yaml", Fault(redirect=f"{other.url}/moved/index.yaml"))
        url = f"http://robot:secret@127.0.0.1:{first.port}/private/index.yaml"
        assert fetch(HttpClient(), url).content.startswith(b"apiVersion")
        assert first.log[0].headers["authorization"].startswith("Basic ")
        (moved,) = other.log
        assert "authorization" not in moved.headers

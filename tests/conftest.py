"""Shared test setup. No test may reach the internet: CI runs the suite in a network
namespace that has only loopback (see .ci/run), and this guard refuses any non-loopback
connection for runs outside it."""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from tests.argocd_server import ArgoCdEmulator
from tests.helmrepos import serve_repos, write_mirrors
from tests.servers import FileServer
from tests.upstream import UPSTREAM

# Property and fuzz tests: hypothesis' usual 100 examples each locally, 1,250 each in CI
# (HYPOTHESIS_PROFILE=ci): the four YAML fuzz tests then try 5,000 hostile files.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=1250, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

_real_connect = socket.socket.connect


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):  # unix sockets
        return True
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"tests may not reach {address!r}: only loopback is allowed")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_internet() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Caches and git identity never touch the developer's home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Test")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Test")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "test@example.com")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # Kits in tests name real upstream URLs that are unreachable here: fail at once instead
    # of retrying with backoff (tests of retries set their own values).
    monkeypatch.setenv("RELEASER_HTTP_RETRIES", "0")
    monkeypatch.setenv("RELEASER_HTTP_BACKOFF", "0")
    for var in (
        "RELEASER_FLEET", "RELEASER_MIRRORS", "RELEASER_TODAY", "RELEASER_CACHE_DIR",
        "RELEASER_STALE_MAX",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def upstream() -> Path:
    """The real upstream data, decompressed from the repository (tests/upstream.py)."""
    return UPSTREAM


@pytest.fixture
def helm_server(upstream: Path) -> Iterator[FileServer]:
    """The real index files on 127.0.0.1, each repository under its own prefix (helmrepos.REPOS)."""
    with FileServer() as server:
        serve_repos(server, upstream / "helm-repos")
        yield server


@pytest.fixture
def readable_upstreams(
    helm_server: FileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Every repository the test kits name answers (the real indexes on 127.0.0.1, through
    RELEASER_MIRRORS): the compatibility engine judges each component instead of failing
    closed on an unreadable upstream (tests/test_fail_closed.py covers that)."""
    mirrors = write_mirrors(tmp_path / "readable-mirrors.yaml", helm_server)
    monkeypatch.setenv("RELEASER_MIRRORS", str(mirrors))
    return mirrors


@pytest.fixture
def outside_the_kit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run from an empty checkout, so a rollout reads no core/compatibility.yaml from this
    project: the fleet fixtures pin versions the published support matrices exclude, and
    the tests using this are about the other preflight rules."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    subprocess.run(["git", "init", "-q", str(cwd)], check=True)
    monkeypatch.chdir(cwd)
    return cwd


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bare kit repository with release branches (tests/customerrepo.py), shared by a module."""
    from tests.customerrepo import make_kit_remote

    return make_kit_remote(tmp_path_factory.mktemp("kit"))


@pytest.fixture
def argocd() -> Iterator[ArgoCdEmulator]:
    """The emulated Argo CD API (tests/argocd_server.py), answering the fleet's TOKEN."""
    from tests.argocd_server import running_argocd
    from tests.customerrepo import TOKEN

    with running_argocd(TOKEN) as emulator:
        yield emulator

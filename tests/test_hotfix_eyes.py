"""A hotfix with eyes: `hotfix --push` tells the fleet's webhook which customers receive it;
`--wait` gates each receiving customer that has Argo CD (emulated: tests/argocd_server.py),
reports and logs each outcome, and checks every token before anything is pushed."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from releaser.app.cut import CutRequest, cut
from releaser.cli.main import app
from tests.argocd_server import ArgoCdEmulator, app_json, running_argocd
from tests.customerrepo import TOKEN, FleetBed, make_fleet
from tests.kitrepo import git, make_bare_remote, make_kit_repo
from tests.release_helpers import deps_for, refs, snapshot

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

APPS = ("core-base", "core-aws", "core-addons")
CUSTOMERS = [
    {"name": "kuvaq", "version": "2024.1", "kubernetes": "1.30"},
    {"name": "menetekel", "version": "2024.1", "kubernetes": "1.30"},
    {"name": "nora", "version": "2023.4", "kubernetes": "1.30"},  # not on the branch
]
ENV = {"KUVAQ_ARGOCD_TOKEN": TOKEN, "MENETEKEL_ARGOCD_TOKEN": TOKEN, "NORA_ARGOCD_TOKEN": TOKEN}
WAIT = ["--push", "--wait", "--poll-interval", "0.05s", "--timeout", "20s"]


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    repo = make_kit_repo(tmp_path / "kit")
    make_bare_remote(tmp_path / "remote.git", repo)
    cut(CutRequest("2024.1", push=True), deps_for(repo))
    return repo


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[str]]]:
    received: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length))["text"])
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/secret-path", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def two_argocds() -> Iterator[tuple[ArgoCdEmulator, ArgoCdEmulator]]:
    with running_argocd(TOKEN) as first, running_argocd(TOKEN) as second:
        yield first, second


def fleet_for(kit: Path, tmp_path: Path, urls: tuple[str, str], notify: str | None) -> FleetBed:
    """kuvaq on the first Argo CD, menetekel on the second, nora on an older release."""
    bed = make_fleet(tmp_path / "fleet", CUSTOMERS, argocd_url=urls[0],
                     kit_remote=kit.parent / "remote.git", notify=notify)  # fmt: skip
    data = yaml.safe_load(bed.fleet.read_text())
    data["customers"][1]["argocd"]["url"] = urls[1]
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    return bed


def run(kit: Path, bed: FleetBed, *args: str, env: dict[str, str] | None = None) -> Any:
    full = {"RELEASER_TODAY": "2024-10-15", **(env or {})}
    return CliRunner().invoke(app, ["--kit", str(kit), "--fleet", str(bed.fleet), *args], env=full)


def on_release(kit: Path) -> str:
    return git(kit.parent / "remote.git", "rev-parse", "refs/heads/release/2024.1")


def script(argocd: ArgoCdEmulator, kit: Path, health: str) -> None:
    """Every app syncs the release branch as it is on the remote, then reports `health`."""
    for name in APPS:
        argocd.script(
            name,
            lambda name=name: app_json(name, on_release(kit), sync="OutOfSync", phase="Running"),
            lambda name=name: app_json(name, on_release(kit), health=health),
        )


def test_a_pushed_hotfix_is_announced_gated_per_customer_and_logged(
    kit: Path,
    tmp_path: Path,
    two_argocds: tuple[ArgoCdEmulator, ArgoCdEmulator],
    webhook: tuple[str, list[str]],
) -> None:
    url, messages = webhook
    kuvaq_cd, menetekel_cd = two_argocds
    bed = fleet_for(kit, tmp_path, (kuvaq_cd.url, menetekel_cd.url), url)
    script(kuvaq_cd, kit, "Healthy")
    script(menetekel_cd, kit, "Degraded")

    result = run(kit, bed, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3", *WAIT, env=ENV)

    assert result.exit_code == 1, result.stdout + result.stderr  # menetekel degraded
    commit = on_release(kit)
    assert "2 customer(s) receive it through release/2024.1: kuvaq, menetekel" in result.stdout
    assert "  kuvaq: healthy" in result.stdout
    assert "  menetekel: degraded; core-base: health Degraded after the sync to " in result.stdout
    assert messages[0] == (
        f"releaser: hotfix 2024.1.1 pushed to release/2024.1 (commit {commit[:12]})\n"
        "• cert-manager v1.20.2 -> v1.20.3\nreceived by: kuvaq, menetekel"
    )
    assert messages[1].splitlines()[1:] == ["• kuvaq: healthy", messages[1].splitlines()[2]]
    assert messages[1].splitlines()[2].startswith("• menetekel: degraded (core-base: ")
    log = [json.loads(line) for line in (bed.fleet.parent / ".releaser/rollouts.jsonl").open()]
    assert sorted((r["kind"], r["customer"], r["from"], r["to"], r["outcome"]) for r in log) == [
        ("hotfix", "kuvaq", "2024.1", "2024.1.1", "healthy"),
        ("hotfix", "menetekel", "2024.1", "2024.1.1", "degraded"),
    ]
    assert all(r["commit"] == commit and r["pushedAt"] and r["verdictAt"] for r in log)
    assert next(r for r in log if r["customer"] == "kuvaq")["syncedAt"]
    assert all("secret-path" not in r["command"] for r in log)


def test_a_refused_token_stops_the_hotfix_before_anything_is_written(
    kit: Path, tmp_path: Path, two_argocds: tuple[ArgoCdEmulator, ArgoCdEmulator]
) -> None:
    bed = fleet_for(kit, tmp_path, (two_argocds[0].url, two_argocds[1].url), None)
    for argocd in two_argocds:
        script(argocd, kit, "Healthy")
    before = snapshot(kit, kit.parent / "remote.git")
    env = {**ENV, "MENETEKEL_ARGOCD_TOKEN": "wrong-token"}
    result = run(kit, bed, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3", *WAIT, env=env)
    assert result.exit_code == 1
    assert "the health gate could not reach every receiving customer; nothing was pushed" in result.stderr
    assert "menetekel: Argo CD refused the token" in result.stderr
    assert "kuvaq" not in result.stderr.split("pushed:")[1]
    assert snapshot(kit, kit.parent / "remote.git") == before
    assert "wrong-token" not in result.stdout + result.stderr


def test_a_push_without_wait_announces_and_gates_nobody(
    kit: Path, tmp_path: Path, webhook: tuple[str, list[str]]
) -> None:
    url, messages = webhook
    bed = fleet_for(kit, tmp_path, ("http://127.0.0.1:9", "http://127.0.0.1:9"), url)
    result = run(kit, bed, "--json", "hotfix", "2024.1", "--set", "cert-manager=v1.20.3", "--push")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["customers"] == ["kuvaq", "menetekel"] and data["gates"] == []
    assert len(messages) == 1 and messages[0].endswith("received by: kuvaq, menetekel")
    assert refs(kit.parent / "remote.git")["refs/heads/release/2024.1"] == on_release(kit)


@pytest.mark.parametrize(
    ("args", "fleet", "message"),
    [
        (["--wait"], True, "--wait needs --push"),
        (["--push", "--wait"], False, "--wait gates the fleet's customers: pass --fleet"),
    ],
)
def test_wait_needs_push_and_a_fleet(
    kit: Path, tmp_path: Path, args: list[str], fleet: bool, message: str
) -> None:
    bed = fleet_for(kit, tmp_path, ("http://127.0.0.1:9", "http://127.0.0.1:9"), None)
    options = ["--fleet", str(bed.fleet)] if fleet else []
    result = CliRunner().invoke(
        app, ["--kit", str(kit), *options, "hotfix", "2024.1", "--set", "cert-manager=v1.20.3", *args]
    )
    assert result.exit_code == 2
    assert message in result.stderr

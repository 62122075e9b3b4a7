"""Fail closed (SPEC §8): a command whose answer depends on an upstream it could not read
prints what it could judge, names the upstream on stderr and exits 4; `cut` then writes
nothing unless --allow-unverified, which the changelog records.

One kit component's repository (ingress-nginx) is unreadable: a closed port on 127.0.0.1,
or a server answering 500. The other repositories serve their real index files.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from releaser.cli.main import app
from releaser.domain.unverified import Unverified, partial_message
from tests.customerrepo import STORY_DATE, has_ref, make_fleet, remote_head
from tests.helmrepos import write_mirrors
from tests.kitrepo import git, make_bare_remote, make_kit_repo
from tests.release_helpers import show, snapshot, tree_files
from tests.servers import Fault, FileServer

BROKEN = "https://kubernetes.github.io/ingress-nginx"
NAMED = f"ingress-nginx ({BROKEN}: "  # how stderr and the changelog name the upstream
HEALTHY = ("cert-manager", "cluster-autoscaler", "external-dns")


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(params=["closed-port", "http-500"])
def unreadable(
    request: pytest.FixtureRequest,
    helm_server: FileServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[str]:
    """RELEASER_MIRRORS maps every kit repository onto the local server, ingress-nginx onto
    one that cannot be read."""
    if request.param == "closed-port":
        broken = f"http://127.0.0.1:{closed_port()}/ingress-nginx"
    else:
        helm_server.fault("/broken/index.yaml", Fault(status=500))
        broken = f"{helm_server.url}/broken"
    mirrors = write_mirrors(tmp_path / "mirrors.yaml", helm_server, {BROKEN: broken})
    monkeypatch.setenv("RELEASER_MIRRORS", str(mirrors))
    monkeypatch.setenv("RELEASER_TODAY", STORY_DATE)
    yield request.param


@dataclass
class Kit:
    path: Path
    remote: Path


@pytest.fixture
def kit(tmp_path: Path, unreadable: str) -> Kit:
    path = make_kit_repo(tmp_path / "kit")
    return Kit(path, make_bare_remote(tmp_path / "remote.git", path))


def run(kit: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--kit", str(kit), *args])


def assert_fails_closed(result: Result) -> None:
    """Exit 4, the unreadable upstream named on stderr, no traceback."""
    assert result.exit_code == 4, (result.stdout, result.stderr)
    assert NAMED in result.stderr, result.stderr
    assert "partial" in result.stderr or "refused" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    )


def test_an_unverified_upstream_never_shows_credentials() -> None:
    url = "https://robot:hunter2@charts.example.com/stable"
    item = Unverified.of("loki", url, f"repository {url}: HTTP 500 on index.yaml?token=abcd1234")
    shown = f"{item} {item.as_dict()} {partial_message([item], 'the plan')}"
    assert "hunter2" not in shown and "abcd1234" not in shown
    assert str(item) == "loki (https://***@charts.example.com/stable: HTTP 500 on index.yaml?token=***)"


# --------------------------------------------------------------------------- read-only commands


def test_check_reports_the_healthy_components_and_exits_4(kit: Kit) -> None:
    result = run(kit.path, "--json", "check")
    assert result.exit_code == 4, result.stderr
    rows = {row["name"]: row for row in json.loads(result.stdout)["components"]}
    assert all(rows[name]["error"] is None for name in HEALTHY)
    assert rows["ingress-nginx"]["error"]
    assert "ingress-nginx" in result.stderr and "Traceback" not in result.stderr


def test_compat_prints_the_judged_cells_and_exits_4(kit: Kit) -> None:
    result = run(kit.path, "--json", "compat", "--no-render")
    assert_fails_closed(result)
    data = json.loads(result.stdout)
    rows = {row["name"]: row for row in data["components"]}
    judged = rows["cert-manager"]["verdicts"]["1.35"]["reasons"]
    assert any(r["source"] == "kubeVersion" for r in judged)
    assert [u["name"] for u in data["unverified"]] == ["ingress-nginx"]
    assert data["unverified"][0]["repoURL"] == BROKEN


def test_plan_lists_the_healthy_proposals_and_exits_4(kit: Kit) -> None:
    result = run(kit.path, "--json", "plan", "--no-render")
    assert_fails_closed(result)
    data = json.loads(result.stdout)
    assert [u["name"] for u in data["unverified"]] == ["ingress-nginx"]
    planned = {p["name"] for p in data["proposals"]} | {h["name"] for h in data["held"]}
    assert "ingress-nginx" not in planned
    assert planned & set(HEALTHY)


def test_plan_apply_writes_nothing_when_partial(kit: Kit) -> None:
    before = tree_files(kit.path)
    result = run(kit.path, "plan", "--apply", "--no-render")
    assert_fails_closed(result)
    assert "--apply wrote nothing" in result.stderr
    assert "not planned (upstream unreadable):" in result.stdout
    assert tree_files(kit.path) == before


@pytest.mark.parametrize("mode", ["--latest", "--latest-compatible"])
def test_bump_of_the_unreadable_component_exits_4_and_writes_nothing(kit: Kit, mode: str) -> None:
    before = tree_files(kit.path)
    result = run(kit.path, "bump", "ingress-nginx", mode)
    assert result.exit_code == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert f"error: repository {BROKEN}: " in result.stderr
    assert tree_files(kit.path) == before


@pytest.mark.parametrize("mode", ["--latest", "--latest-compatible"])
def test_bump_of_a_healthy_component_does_not_depend_on_the_broken_one(
    kit: Kit, mode: str
) -> None:
    result = run(kit.path, "bump", "cert-manager", mode)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("cert-manager: v1.20.2 -> ")


# --------------------------------------------------------------------------- cut


def test_cut_refuses_and_writes_nothing(kit: Kit) -> None:
    before = snapshot(kit.path, kit.remote)
    result = run(kit.path, "cut", "2024.1", "--push")
    assert_fails_closed(result)
    assert "cut 2024.1 refused" in result.stderr and "--allow-unverified" in result.stderr
    assert snapshot(kit.path, kit.remote) == before


def test_cut_dry_run_says_what_it_would_refuse(kit: Kit) -> None:
    before = snapshot(kit.path, kit.remote)
    result = run(kit.path, "cut", "2024.1", "--dry-run")
    assert_fails_closed(result)
    assert "cut 2024.1 would refuse" in result.stderr
    assert snapshot(kit.path, kit.remote) == before


def test_cut_allow_unverified_records_it_in_the_changelog(kit: Kit) -> None:
    result = run(kit.path, "cut", "2024.1", "--allow-unverified")
    assert result.exit_code == 0, result.stderr
    entry = show(kit.path, "release/2024.1", "CHANGELOG.md")
    [line] = [line for line in entry.splitlines() if line.startswith("Released without")]
    assert line.startswith(f"Released without verifying: {NAMED}"), line
    assert "127.0.0.1" not in line  # the upstream is named, never the mirror
    assert "released without verifying: ingress-nginx" in result.stderr


# --------------------------------------------------------------------------- fleet: report, rollout

CUSTOMER = {"name": "kuvaq", "version": "2024.2", "kubernetes": "1.31"}


@pytest.fixture
def fleet(tmp_path: Path, unreadable: str):  # type: ignore[no-untyped-def]
    return make_fleet(tmp_path / "fleet", [CUSTOMER])


def run_fleet(bed, *args: str) -> Result:  # type: ignore[no-untyped-def]
    kit = bed.root / "kit"  # the kit checkout the fleet's remote was published from
    return run(kit, "--fleet", str(bed.fleet), *args)


def test_report_prints_the_partial_report_and_exits_4(fleet) -> None:  # type: ignore[no-untyped-def]
    result = run_fleet(fleet, "--json", "report", "2024.3")
    assert_fails_closed(result)
    data = json.loads(result.stdout)
    drift = {row["name"]: row for row in data["drift"]}
    assert all(drift[name]["error"] is None for name in HEALTHY)
    assert [u["name"] for u in data["unverified"]] == ["ingress-nginx"]
    [customer] = data["customers"]
    assert customer["ready"] is False
    assert any(b.startswith(f"unverified: {NAMED}") for b in customer["blocking"])


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry-run", "real"])
def test_rollout_preflight_fails_closed_and_changes_nothing(fleet, dry_run: bool) -> None:  # type: ignore[no-untyped-def]
    bare = fleet.remotes["kuvaq"]
    before = remote_head(bare)
    args = ["rollout", "--customer", "kuvaq", "--to", "2024.3", "--push"]
    result = run_fleet(fleet, *args, *(["--dry-run"] if dry_run else []))
    assert_fails_closed(result)
    assert f"- unverified: {NAMED}" in result.stdout
    assert "the preflight of kuvaq is partial" in result.stderr
    assert remote_head(bare) == before
    assert not has_ref(bare, "refs/heads/releaser/kuvaq-2024.3")
    log = fleet.log()
    assert log == [] if dry_run else log[-1]["outcome"] == "blocked"


def test_kit_checkout_is_unchanged_by_a_refused_cut_of_a_fleet_kit(fleet) -> None:  # type: ignore[no-untyped-def]
    """The same refusal on a kit with release history: refs and files stay as they were."""
    kit = fleet.root / "kit"
    before = snapshot(kit, fleet.kit_remote)
    result = run(kit, "cut", "2024.5")
    assert_fails_closed(result)
    assert snapshot(kit, fleet.kit_remote) == before
    assert git(kit, "status", "--porcelain") == ""

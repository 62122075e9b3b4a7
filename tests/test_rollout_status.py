"""`rollout --status` tells what each customer runs: the version in its release branch's
core/kit.yaml (a hotfix included), its last attempt and outcome, and with `--live` Argo CD's
sync and health now (the emulator in tests/argocd_server.py stands in for Argo CD, which
cannot run here). The report's customer table shows the same version."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from releaser.app.rollout_read import read_status
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import RELEASES, TOKEN, FleetBed, cli, make_fleet, make_kit_remote
from tests.kitrepo import commit_all, git, write_kit

APPS = ("core-base", "core-aws", "core-addons")
CUSTOMERS = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"},
    {"name": "lintu", "version": "2024.3", "kubernetes": "1.31"},
]
ENV = {"KUVAQ_ARGOCD_TOKEN": TOKEN, "MENETEKEL_ARGOCD_TOKEN": TOKEN, "LINTU_ARGOCD_TOKEN": TOKEN}


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Releases 2024.1–2024.4, and a hotfix 2024.2.1 on release/2024.2."""
    base = tmp_path_factory.mktemp("kit")
    bare = make_kit_remote(base)
    work = base / "kit"
    git(work, "checkout", "-q", "release/2024.2")
    write_kit(work, version="2024.2.1", **RELEASES["2024.2"])
    commit_all(work, "Hotfix 2024.2.1")
    git(work, "push", "-q", "origin", "release/2024.2")
    git(work, "checkout", "-q", "main")
    return bare



@pytest.fixture
def bed(tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator) -> FleetBed:
    return make_fleet(tmp_path, CUSTOMERS, argocd_url=argocd.url, kit_remote=kit_remote)


def edit_fleet(bed: FleetBed, change: Any) -> None:
    data = yaml.safe_load(bed.fleet.read_text())
    change(data)
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))


def script_apps(argocd: ArgoCdEmulator, aws_health: str = "Healthy") -> None:
    for app in APPS:
        health = aws_health if app == "core-aws" else "Healthy"
        argocd.script(app, app_json(app, "c0ffee" * 6, health=health))


def rows(result: Any) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in json.loads(result.out)["customers"]}


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_status_shows_the_hotfix_patch_and_the_last_attempt(bed: FleetBed) -> None:
    moved = cli(bed, "rollout", "--customer", "menetekel", "--to", "2024.3", "--push", "--direct")
    assert moved.code == 0, moved.out + moved.err
    result = cli(bed, "--json", "rollout", "--status")
    assert result.code == 0, result.err
    found = rows(result)
    assert {n: (r["version"], r["release"]) for n, r in found.items()} == {
        "kuvaq": ("2024.2.1", "2024.2"),  # its branch carries the hotfix
        "menetekel": ("2024.3", "2024.3"),
        "lintu": ("2024.3", "2024.3"),
    }
    assert found["kuvaq"]["versionSource"] == "kit.yaml"
    assert found["kuvaq"]["last"] is None and found["kuvaq"]["live"] is None
    assert found["menetekel"]["last"]["to"] == "2024.3"
    assert found["menetekel"]["last"]["outcome"] == "pushed"
    head, _, *table = cli(bed, "rollout", "--status").out.splitlines()  # _: the rule
    assert head.split() == ["CUSTOMER", "VERSION", "KUBERNETES", "LAST", "OUTCOME", "AT"]
    assert table[0].split() == ["kuvaq", "2024.2.1", "v1.30.4-eks-a737599", "-", "-", "-"]
    assert table[1].split()[:5] == ["menetekel", "2024.3", "1.31", "2024.3", "pushed"]


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_report_customer_table_shows_the_same_version(bed: FleetBed, kit_remote: Path) -> None:
    kit = kit_remote.parent / "kit"
    result = cli(bed, "--kit", str(kit), "--json", "report", "2024.3", "--against", "2024.2")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    versions = {c["name"]: c["version"] for c in data["customers"]}
    assert versions == {"kuvaq": "2024.2.1", "menetekel": "2024.2.1", "lintu": "2024.3"}
    status = rows(cli(bed, "--json", "rollout", "--status"))
    assert versions == {name: row["version"] for name, row in status.items()}


def test_live_shows_sync_and_health_and_fails_closed_on_an_unreadable_argocd(
    bed: FleetBed, argocd: ArgoCdEmulator
) -> None:
    script_apps(argocd, aws_health="Degraded")
    env = {**ENV, "MENETEKEL_ARGOCD_TOKEN": "wrong-token-77"}
    result = cli(bed, "--json", "rollout", "--status", "--live", env=env)
    assert result.code == 4, result.err
    found = rows(result)  # the whole table is still printed
    kuvaq = found["kuvaq"]["live"]
    assert (kuvaq["sync"], kuvaq["health"], kuvaq["error"]) == ("Synced", "Degraded (core-aws)", None)
    assert [a["name"] for a in kuvaq["apps"]] == list(APPS)
    assert kuvaq["apps"][1] == {"name": "core-aws", "sync": "Synced", "health": "Degraded",
                                "revision": "c0ffee" * 6, "operation": "Succeeded"}  # fmt: skip
    menetekel = found["menetekel"]["live"]
    assert (menetekel["sync"], menetekel["health"]) == ("unknown", "unknown")
    assert "Argo CD refused the token" in menetekel["error"]
    assert found["lintu"]["live"]["health"] == "Degraded (core-aws)"
    assert "the fleet's status is partial: 1 upstream could not be read" in result.err
    assert "Argo CD of menetekel (http://127.0.0.1:" in result.err
    assert "wrong-token-77" not in result.out + result.err
    assert set(argocd.queries) == {""}  # a status read asks Argo CD for no refresh


def test_live_table_has_sync_and_health_columns(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    script_apps(argocd)
    edit_fleet(bed, lambda data: data["customers"][2].pop("argocd"))
    env = {k: v for k, v in ENV.items() if not k.startswith("MENETEKEL")}
    result = cli(bed, "rollout", "--status", "--live", env=env)
    assert result.code == 4
    head, _, *lines = result.out.splitlines()
    assert head.split()[-2:] == ["SYNC", "HEALTH"]
    assert lines[0].split()[-2:] == ["Synced", "Healthy"]
    assert lines[1].split()[-2:] == ["unknown", "unknown"]
    assert lines[2].split()[-2:] == ["-", "-"]  # lintu has no Argo CD settings
    assert "MENETEKEL_ARGOCD_TOKEN is not set" in result.err


def test_live_polls_customers_in_parallel(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    customers = [{"name": f"c{i}", "version": "2024.2", "kubernetes": "1.31"} for i in range(6)]
    bed = make_fleet(tmp_path, customers, argocd_url=argocd.url, kit_remote=kit_remote)
    slow = 0.4  # each answer; one customer after another would take 6 x 3 x 0.4 = 7.2 s

    def answer_slowly(app: str) -> dict[str, Any]:
        time.sleep(slow)
        return app_json(app, "c0ffee")

    for app in APPS:
        argocd.script(app, lambda app=app: answer_slowly(app))
    env = {f"C{i}_ARGOCD_TOKEN": TOKEN for i in range(6)}
    cli(bed, "rollout", "--status", env=env)  # clone the customers first: time the polls only
    started = time.monotonic()
    result = cli(bed, "--json", "rollout", "--status", "--live", env=env)
    elapsed = time.monotonic() - started
    assert result.code == 0, result.err
    assert {r["live"]["health"] for r in rows(result).values()} == {"Healthy"}
    assert elapsed < 6 * len(APPS) * slow / 2, elapsed


def test_read_status_reports_each_customer_as_it_is_read(
    bed: FleetBed, argocd: ArgoCdEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    script_apps(argocd)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    parts = Container(GlobalOptions(fleet=bed.fleet))
    done: list[str] = []
    status = read_status(parts.fleet, parts.rollout_ports(), live=True, on_read=done.append)
    assert sorted(done) == ["kuvaq", "lintu", "menetekel"]
    assert [r.customer.name for r in status.rows] == ["kuvaq", "menetekel", "lintu"]  # fleet order
    assert status.unverified == ()


def test_unreadable_kit_marks_the_version_unsure_and_exits_4(bed: FleetBed) -> None:
    edit_fleet(bed, lambda data: data["kit"].update(remote=(bed.root / "gone.git").as_uri()))
    result = cli(bed, "--json", "rollout", "--status")
    assert result.code == 4
    found = rows(result)
    assert (found["kuvaq"]["version"], found["kuvaq"]["versionSource"]) == ("2024.2", "branch")
    assert "core/kit.yaml on release/2024.2" in result.err
    table = cli(bed, "rollout", "--status")
    assert table.code == 4 and table.out.splitlines()[2].split()[1] == "2024.2?"


def test_live_needs_status(bed: FleetBed) -> None:
    result = cli(bed, "rollout", "--customer", "kuvaq", "--live")
    assert result.code == 2 and "--live goes with --status" in result.err

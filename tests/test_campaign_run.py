"""`campaign run` and its controls over real customer remotes (bare repositories over
file://), the real chart indexes on 127.0.0.1 and, for the health gate, the Argo CD emulator
(tests/argocd_server.py: Argo CD itself needs a cluster and cannot run here).

The campaign's memory is the rollout log: these tests read it as an operator would, and
count commits on the remotes to prove a resumed run makes none twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from releaser.app.campaign_control import control
from releaser.app.campaign_run import RunOptions, run_campaign
from releaser.app.rollout import RolloutPorts
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from releaser.domain.campaign_state import Event
from releaser.domain.versions import KitVersion
from tests.argocd_server import ArgoCdEmulator, app_json, running_argocd
from tests.customerrepo import (
    STORY_DATE,
    TOKEN,
    FleetBed,
    cli,
    commit_count,
    has_ref,
    make_fleet,
    make_kit_remote,
    remote_head,
)

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

TARGET = KitVersion.parse("2024.3")
APPS = ("core-base", "core-aws", "core-addons")
CUSTOMERS = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"},
    {"name": "quill", "version": "2024.2", "kubernetes": "1.30"},
    {"name": "ossa", "version": "2024.2", "kubernetes": "1.31"},
    {"name": "pell", "version": "2024.2", "kubernetes": "1.28"},  # blocked: too old
]


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_kit_remote(tmp_path_factory.mktemp("kit"))


def fleet_with_waves(
    tmp_path: Path,
    kit_remote: Path,
    waves: list[dict[str, Any]],
    argocd_url: str | None = None,
    windows: dict[str, Any] | None = None,
) -> FleetBed:
    bed = make_fleet(tmp_path, CUSTOMERS, argocd_url=argocd_url, kit_remote=kit_remote)
    data = yaml.safe_load(bed.fleet.read_text())
    for entry in data["customers"]:
        if entry["name"] in ("menetekel", "quill"):
            entry["labels"] = {"tier": "gold"}
        if windows and entry["name"] in windows:
            entry["window"] = windows[entry["name"]]
    data["waves"] = waves
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    return bed


THREE_WAVES = [
    {"name": "canary", "select": {"names": ["kuvaq"]}},
    {"name": "gold", "select": {"labels": {"tier": "gold"}}, "maxParallel": 2},
    {"name": "rest", "select": {"all": True}, "maxParallel": 3, "maxFailures": 1},
]
WORK = "releaser/{}-2024.3"


def rolled(bed: FleetBed, name: str) -> bool:
    return has_ref(bed.remotes[name], f"refs/heads/{WORK.format(name)}")


def commits_on_work_branch(bed: FleetBed, name: str) -> int:
    """Commits the campaign added for `name`: its rollout branch beyond `main`."""
    if not rolled(bed, name):
        return 0
    return commit_count(bed.remotes[name], WORK.format(name)) - commit_count(bed.remotes[name])


def events(bed: FleetBed) -> list[tuple[str, str]]:
    return [(r["event"], r.get("wave", "")) for r in bed.log() if r.get("kind") == "campaign"]


def attempts(bed: FleetBed) -> list[tuple[str, str]]:
    return [(r["customer"], r["outcome"]) for r in bed.log() if r.get("kind") == "rollout"]


# --------------------------------------------------------------------------- through the CLI


def test_a_campaign_rolls_wave_by_wave_and_a_second_run_changes_nothing(
    tmp_path: Path, kit_remote: Path
) -> None:
    bed = fleet_with_waves(tmp_path, kit_remote, THREE_WAVES)
    result = cli(bed, "campaign", "run", "2024.3")
    assert result.code == 0, result.out + result.err
    assert "the campaign to 2024.3 finished" in result.out
    assert "  pell: passed-over (blocked)" in result.out
    assert events(bed) == [
        ("started", ""),
        ("wave-started", "canary"), ("wave-finished", "canary"),
        ("wave-started", "gold"), ("wave-finished", "gold"),
        ("wave-started", "rest"), ("wave-finished", "rest"),
        ("finished", ""),
    ]  # fmt: skip
    assert attempts(bed)[0] == ("kuvaq", "pushed")  # the canary first
    assert set(attempts(bed)[1:3]) == {("menetekel", "pushed"), ("quill", "pushed")}
    assert set(attempts(bed)[3:]) == {("ossa", "pushed"), ("pell", "blocked")}
    for name in ("kuvaq", "menetekel", "quill", "ossa"):
        assert commits_on_work_branch(bed, name) == 1, name
    assert not rolled(bed, "pell")
    rest = next(r for r in bed.log() if r.get("event") == "wave-finished" and r["wave"] == "rest")
    assert (rest["rolled"], rest["failed"], rest["passedOver"]) == (["ossa"], [], ["pell"])

    again = cli(bed, "campaign", "run", "2024.3")
    assert again.code == 0, again.err
    assert "wave canary: 0 rolled by this run; 1 settled before" in again.out
    assert "  pell: passed-over (blocked)" in again.out  # a new campaign tries it again
    for name in ("kuvaq", "menetekel", "quill", "ossa"):
        assert commits_on_work_branch(bed, name) == 1, name

    status = cli(bed, "--json", "campaign", "status", "2024.3")
    assert status.code == 0, status.err
    data = status.json
    assert data["status"] == "finished"
    assert [(w["name"], w["state"]) for w in data["waves"]] == [
        ("canary", "finished"), ("gold", "finished"), ("rest", "finished"),
    ]  # fmt: skip
    marks = {c["name"]: c["mark"] for w in data["waves"] for c in w["customers"]}
    assert marks == {"kuvaq": "rolled", "menetekel": "rolled", "quill": "rolled",
                     "ossa": "rolled", "pell": "passed-over"}  # fmt: skip


@pytest.fixture
def argocd() -> Iterator[ArgoCdEmulator]:
    with running_argocd(TOKEN) as emulator:
        yield emulator


def release_commit(bed: FleetBed) -> str:
    return remote_head(bed.kit_remote, "release/2024.3")


def script_gate(argocd: ArgoCdEmulator, bed: FleetBed, degraded: str | None = None) -> None:
    """Every app synced on the kit's release commit (the gate accepts it for any customer
    of the release) and healthy, but `degraded`."""
    revision = release_commit(bed)

    def state(app: str) -> Callable[[], dict[str, Any]]:
        health = "Degraded" if app == degraded else "Healthy"
        return lambda: app_json(app, revision, health=health)

    for app in APPS:
        argocd.script(app, state(app))


def gate_env() -> dict[str, str]:
    return {f"{c['name'].upper()}_ARGOCD_TOKEN": TOKEN for c in CUSTOMERS}


def test_a_failing_canary_stops_the_campaign_before_wave_two(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    bed = fleet_with_waves(tmp_path, kit_remote, THREE_WAVES, argocd_url=argocd.url)
    script_gate(argocd, bed, degraded="core-aws")
    args = ("campaign", "run", "2024.3", "--timeout", "20s", "--poll-interval", "0.05s")
    result = cli(bed, *args, env=gate_env())
    assert result.code == 1, result.out + result.err
    assert "wave canary had 1 failure(s), more than its maxFailures 0" in result.out
    assert "  kuvaq: failed (degraded)" in result.out
    assert attempts(bed) == [("kuvaq", "degraded")]
    assert events(bed)[-2:] == [("wave-finished", "canary"), ("stopped", "canary")]
    assert not any(rolled(bed, n) for n in ("menetekel", "quill", "ossa"))

    refused = cli(bed, *args, env=gate_env())
    assert refused.code == 1
    assert "the campaign to 2024.3 stopped at wave canary: 1 failed (kuvaq)" in refused.err
    assert "campaign resume 2024.3" in refused.err
    status = cli(bed, "campaign", "status", "2024.3")
    assert "campaign to 2024.3: stopped" in status.out
    assert "wave canary: stopped (1 failed)" in status.out
    assert "  kuvaq: failed (degraded)" in status.out
    assert "wave gold: pending (2 pending)" in status.out

    resumed = cli(bed, "campaign", "resume", "2024.3")
    assert resumed.code == 0, resumed.err
    script_gate(argocd, bed)
    go_on = cli(bed, *args, env=gate_env())
    assert go_on.code == 0, go_on.out + go_on.err
    assert {n for n, o in attempts(bed) if o == "healthy"} == {"menetekel", "quill", "ossa"}
    assert commits_on_work_branch(bed, "kuvaq") == 1  # the failed canary is not rolled again

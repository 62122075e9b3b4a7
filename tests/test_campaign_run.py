"""`campaign run` and its controls over real customer remotes (bare repositories over
file://), the real chart indexes on 127.0.0.1 and, for the health gate, the Argo CD emulator
(tests/argocd_server.py: Argo CD itself needs a cluster and cannot run here).

The campaign's memory is the rollout log: these tests read it as an operator would, and
count commits on the remotes to prove a resumed run makes none twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
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
from tests.argocd_server import ArgoCdEmulator, app_json
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


# --------------------------------------------------------------------------- on a story clock


class StoryClock:
    """The campaign's clock, fixed until the run sleeps: a sleep moves it on at once, then
    lets the test act as an operator would at that moment (`on_sleep`)."""

    def __init__(self, start: datetime, on_sleep: Callable[[StoryClock], None] | None = None):
        self.at = start
        self.on_sleep = on_sleep
        self.slept = 0.0

    def now(self) -> str:
        return self.at.isoformat(timespec="seconds")

    def monotonic(self) -> float:
        return self.at.timestamp()

    def sleep(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)
        self.slept += seconds
        if self.on_sleep is not None:
            self.on_sleep(self)


class Operator:
    """Acts on the campaign when a customer's rollout notification names it (the notifier is
    called right after the rollout's log record)."""

    def __init__(self) -> None:
        self.after: dict[str, Callable[[], None]] = {}

    def send(self, text: str) -> None:
        for name, act in list(self.after.items()):
            if f"releaser: {name} " in text:
                del self.after[name]
                act()


MIDNIGHT = datetime(2024, 10, 15, tzinfo=UTC)  # a Tuesday


@dataclasses.dataclass
class Bench:
    bed: FleetBed
    parts: Container
    clock: StoryClock
    operator: Operator

    @property
    def ports(self) -> RolloutPorts:
        return dataclasses.replace(self.parts.rollout_ports(), clock=self.clock,
                                   notifier=self.operator)  # fmt: skip

    def log(self) -> Any:
        from releaser.adapters.rollout_log import JsonlRolloutLog, log_path

        return JsonlRolloutLog(log_path(self.bed.fleet))

    def run(self, **options: Any) -> Any:
        return run_campaign(self.parts.fleet, RunOptions(TARGET, **options), self.ports, self.log())

    def act(self, event: Event, wave: str | None = None) -> str:
        return control(event, self.parts.fleet, TARGET, self.ports, self.log(), "test", wave)


def bench(bed: FleetBed, monkeypatch: pytest.MonkeyPatch) -> Bench:
    monkeypatch.setenv("RELEASER_TODAY", STORY_DATE)
    return Bench(bed, Container(GlobalOptions(fleet=bed.fleet)), StoryClock(MIDNIGHT), Operator())


def started_at(bed: FleetBed, name: str) -> str:
    return next(r["started"] for r in bed.log() if r.get("customer") == name)


def event_at(bed: FleetBed, event: str, wave: str = "") -> datetime:
    found = next(r for r in bed.log() if r.get("event") == event and r.get("wave", "") == wave)
    return datetime.fromisoformat(found["at"])


ONE_WAVE = [{"name": "all", "select": {"all": True}}]


def test_customers_roll_only_inside_their_windows_the_others_first(
    tmp_path: Path, kit_remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    windows = {
        # Tuesday 09:00-13:00 in Berlin: 07:00-11:00 UTC on the story's day
        "kuvaq": {"rrule": "FREQ=WEEKLY;BYDAY=TU,WE;BYHOUR=9", "duration": "4h",
                  "tz": "Europe/Berlin"},
        "quill": {"freezes": [{"from": "2024-10-01", "until": "2024-10-31"}]},
    }  # fmt: skip
    bed = fleet_with_waves(tmp_path, kit_remote, ONE_WAVE, windows=windows)
    run = bench(bed, monkeypatch).run(poll=600.0)
    assert run.ended == "finished", run.message
    assert [name for name, _ in attempts(bed)] == ["menetekel", "ossa", "pell", "kuvaq", "quill"]
    assert started_at(bed, "menetekel") == "2024-10-15T00:00:00+00:00"
    assert started_at(bed, "kuvaq") == "2024-10-15T07:00:00+00:00"  # its window opens
    assert started_at(bed, "quill") == "2024-11-01T00:00:00+00:00"  # the day after its freeze
    assert all(commits_on_work_branch(bed, n) == 1 for n in ("kuvaq", "quill", "menetekel"))


def test_the_next_wave_waits_for_its_approval_and_the_soak_before_it(
    tmp_path: Path, kit_remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    waves = [
        {"name": "canary", "select": {"names": ["kuvaq"]}, "soak": "2h"},
        {"name": "gold", "select": {"labels": {"tier": "gold"}}, "approval": True,
         "maxParallel": 2},
        {"name": "rest", "select": {"all": True}, "approval": True, "maxParallel": 5},
    ]  # fmt: skip
    bed = fleet_with_waves(tmp_path, kit_remote, waves)
    desk = bench(bed, monkeypatch)
    approvals: list[str] = []

    def operator(clock: StoryClock) -> None:
        # An hour into the wait, someone approves gold; `rest` is never approved.
        if clock.slept >= 3600 and not approvals:
            approvals.append(desk.act(Event.APPROVED))
        if clock.slept >= 6 * 3600:
            desk.act(Event.PAUSED)

    desk.clock.on_sleep = operator
    run = desk.run(poll=60.0)
    assert approvals == ["wave gold of the campaign to 2024.3 is approved"]
    canary_done = event_at(bed, "wave-finished", "canary")
    assert event_at(bed, "approved", "gold") == canary_done + timedelta(hours=1)
    assert event_at(bed, "wave-started", "gold") == canary_done + timedelta(hours=2)  # soak
    assert [n for n, _ in attempts(bed)][1:] in (["menetekel", "quill"], ["quill", "menetekel"])
    # `rest` still waits for approval when the operator pauses the campaign
    assert (run.ended, run.message) == ("paused", "the campaign to 2024.3 is paused (before "
                                        "wave rest)")  # fmt: skip
    assert not rolled(bed, "ossa")
    status = cli(bed, "campaign", "status", "2024.3").out
    assert "wave rest: awaiting-approval (2 pending)" in status


def test_pause_resume_and_abort_act_at_the_next_customer(
    tmp_path: Path, kit_remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bed = fleet_with_waves(tmp_path, kit_remote, ONE_WAVE)
    desk = bench(bed, monkeypatch)
    desk.operator.after["kuvaq"] = lambda: print(desk.act(Event.PAUSED))
    paused = desk.run()
    assert (paused.ended, attempts(bed)) == ("paused", [("kuvaq", "pushed")])
    refused = cli(bed, "campaign", "run", "2024.3")
    assert refused.code == 1 and "the campaign to 2024.3 is paused" in refused.err
    assert "releaser campaign resume 2024.3" in refused.err
    again = cli(bed, "campaign", "pause", "2024.3")
    assert again.code == 1 and "is paused: nothing to pause" in again.err
    assert cli(bed, "campaign", "status", "2024.3").out.startswith("campaign to 2024.3: paused")

    resumed = cli(bed, "campaign", "resume", "2024.3")
    assert (resumed.code, resumed.err.strip()) == (0, "the campaign to 2024.3 is resumed")
    desk.operator.after["menetekel"] = lambda: print(desk.act(Event.ABORTED))
    aborted = desk.run()
    assert aborted.ended == "aborted"
    assert [n for n, _ in attempts(bed)] == ["kuvaq", "menetekel"]  # the next customer, once
    nothing = cli(bed, "campaign", "resume", "2024.3")
    assert nothing.code == 1 and "is aborted: nothing to resume" in nothing.err

    fresh = desk.run()  # after an abort, a new campaign: the rolled customers stay rolled
    assert fresh.ended == "finished", fresh.message
    assert [n for n, _ in attempts(bed)] == ["kuvaq", "menetekel", "quill", "ossa", "pell"]
    assert events(bed) == [
        ("started", ""), ("wave-started", "all"), ("paused", ""), ("resumed", ""),
        ("aborted", ""), ("started", ""), ("wave-started", "all"), ("wave-finished", "all"),
        ("finished", ""),
    ]  # fmt: skip
    assert fresh.waves[0].skipped == 2


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["approve", "2024.3", "--wave", "gould"], 2, "'gould'\n  hint: did you mean 'gold'?"),
        (["approve", "2024.3", "--wave", "canary"], 2, "wave canary needs no approval"),
        (["approve", "2024.3"], 1, "no wave of the campaign to 2024.3 waits for approval"),
        (["run", "2024.3", "--wave", "rest"], 1, "wave rest comes after canary, gold"),
        (["run", "2024.3", "--wave", "gould"], 2, "unknown wave 'gould'"),
        (["abort", "2024.3"], 1, "the campaign to 2024.3 is not-started: nothing to abort"),
        (["run", "24.3"], 2, "24.3"),
        (["run", "2024.3", "--pr", "--direct"], 2, "--pr and --direct exclude each other"),
        (["run", "2024.3", "--pr"], 2, "--pr needs review: settings; none for kuvaq"),
    ],
)
def test_control_errors_exit_with_their_codes(
    tmp_path: Path, kit_remote: Path, args: list[str], code: int, message: str
) -> None:
    bed = fleet_with_waves(tmp_path, kit_remote, THREE_WAVES)
    result = cli(bed, "campaign", *args)
    assert result.code == code, result.out + result.err
    assert message in result.err
    assert attempts(bed) == []


def test_one_wave_at_a_time_with_wave(tmp_path: Path, kit_remote: Path) -> None:
    bed = fleet_with_waves(tmp_path, kit_remote, THREE_WAVES)
    first = cli(bed, "campaign", "run", "2024.3", "--wave", "canary")
    assert first.code == 0, first.err
    assert first.out.rstrip().endswith("wave canary finished")
    assert [n for n, _ in attempts(bed)] == ["kuvaq"]
    second = cli(bed, "campaign", "run", "2024.3", "--wave", "gold", "--parallel", "1")
    assert second.code == 0, second.err
    assert [n for n, _ in attempts(bed)] == ["kuvaq", "menetekel", "quill"]
    status = cli(bed, "campaign", "status", "2024.3").out
    assert "campaign to 2024.3: running" in status
    assert "wave rest: pending (2 pending)" in status

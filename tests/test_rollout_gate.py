"""The health gate against an emulated Argo CD.

Argo CD itself cannot run here (it needs a cluster), so tests/argocd_server.py serves its REST
API from 127.0.0.1 and plays scripted sequences of `Application` documents. The fields and
their meaning are Argo CD's own, from pkg/apis/application/v1alpha1/types.go
(github.com/argoproj/argo-cd, read at commit 37ee0097cf851bc2dd7665fc081bbce61a7e836e):

- `SyncStatus.Revision` / `Revisions`: "the revision(s) the comparison has been performed
  to", one per source for multi-source apps: which commit Argo CD is looking at;
- `OperationState.Phase` (gitops-engine's OperationPhase: Running, Terminating, Failed, Error,
  Succeeded), `StartedAt`, `FinishedAt`, and `SyncResult.Revision` / `Revisions`: "the
  revision this sync operation was performed to";
- `ApplicationStatus.ReconciledAt`: "when the application state was reconciled using the
  latest git version", i.e. when `Health` was last computed;
- `AppHealthStatus.Status` (gitops-engine's HealthStatusCode: Healthy, Suspended,
  Progressing, Missing, Degraded, Unknown).

So a Healthy whose `reconciledAt` is not later than the operation's `finishedAt` was computed
from the objects before the sync: the stale-status trap the gate must not fall into.

The table below (CASES) is the contract: each sequence, what the gate concludes, and the
condition its outcome names. Two apps are watched; core-base is healthy on the new revision
throughout and core-aws plays the sequence, so one app decides for all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from releaser.adapters.argocd import ArgoCdClient
from releaser.adapters.http import HttpClient
from releaser.app.rollout_gate import GateSettings, wait_healthy
from releaser.domain.gate import (
    AppState,
    GateTarget,
    Operation,
    Verdict,
    judge,
    overall_health,
    overall_sync,
    parse_application,
)
from releaser.domain.rollout import GateUnreachable, Outcome
from releaser.settings import HttpSettings
from tests.argocd_server import MISSING, ArgoCdEmulator, app_json
from tests.customerrepo import (
    TOKEN,
    FleetBed,
    cli,
    has_ref,
    make_fleet,
    remote_head,
)

OLD, NEW = "a1" * 20, "b2" * 20
PUSH = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)  # when the rollout pushed NEW


def at(seconds: float) -> datetime:
    return PUSH + timedelta(seconds=seconds)


Step = Callable[[str], dict[str, Any]]


def old(health: str = "Healthy", phase: str = "Succeeded") -> Step:
    """The app before the push: compared and last synced at OLD an hour ago."""
    return lambda name: app_json(name, OLD, health=health, phase=phase, started=at(-3600),
                                 finished=at(-3590), reconciled=at(-60))  # fmt: skip


def new(
    health: str = "Healthy",
    sync: str = "Synced",
    phase: str | None = "Succeeded",
    op_revision: str = NEW,
    started: float = 5,
    reconciled: float = 30,
    message: str | None = None,
) -> Step:
    """The app compared at NEW, its last operation on `op_revision` started `started` s after
    the push and finished 20 s later; health reconciled at `reconciled` s after the push."""
    return lambda name: app_json(
        name, NEW, sync=sync, health=health, phase=phase, op_revision=op_revision,
        started=at(started), finished=at(started + 20), reconciled=at(reconciled),
        message=message,
    )  # fmt: skip


def stale(health: str = "Healthy") -> Step:
    """Succeeded on NEW, but the health was reconciled before the operation finished."""
    return new(health=health, started=5, reconciled=20)


@dataclass(frozen=True)
class Case:
    id: str
    aws: list[Step | int]  # core-aws per poll (an int: Argo CD answers that HTTP status)
    outcome: Outcome
    says: str  # a fragment the outcome's reasons must contain
    soak: float = 0.0
    polls: int | None = None  # exactly this many polls of core-aws, when it matters


POLL, TIMEOUT = 1.0, 10.0  # seconds of the step clock below: each poll advances it by POLL

CASES = [
    Case("old revision Synced+Healthy: waits, then times out", [old()], Outcome.TIMEOUT,
         "core-aws: not on the pushed revision yet (sync Synced at a1a1a1a1a1a1"),
    Case("OutOfSync+Healthy on the new revision, no operation on it yet", [
        new(sync="OutOfSync", op_revision=OLD, started=-3600)], Outcome.TIMEOUT,
         "core-aws: no sync operation on the pushed revision yet"),
    Case("operation Running", [new(phase="Running", health="Progressing")], Outcome.TIMEOUT,
         "core-aws: sync operation Running"),
    Case("stale Healthy (reconciledAt before finishedAt) is never a pass", [stale()],
         Outcome.TIMEOUT, "core-aws: health Healthy is stale: reconciled at "
         "2026-03-03T10:00:20Z, not after the sync finished at 2026-03-03T10:00:25Z"),
    Case("stale Healthy, then Degraded: fails, never passes", [stale(), stale(), new("Degraded")],
         Outcome.DEGRADED, "core-aws: health Degraded after the sync to b2b2b2b2b2b2", polls=3),
    Case("Healthy, then Degraded during the soak: fails", [new(), new(), new("Degraded")],
         Outcome.DEGRADED, "core-aws: health Degraded", soak=5, polls=3),
    Case("Healthy, then Progressing during the soak: the soak restarts, then passes",
         [new(), new("Progressing"), new()], Outcome.HEALTHY,
         "for the whole soak (3s): core-base, core-aws", soak=3, polls=6),
    Case("Healthy, then no answer during the soak: the soak restarts, then passes",
         [new(), 503, new()], Outcome.HEALTHY, "for the whole soak (2s)", soak=2, polls=5),
    Case("Degraded before the push, then Healthy on the new revision: passes",
         [old("Degraded"), old("Degraded"), new("Progressing"), new()], Outcome.HEALTHY,
         "Healthy on the pushed revision (no soak): core-base, core-aws", polls=4),
    Case("a Failed operation before the push counts neither way",
         [old("Degraded", phase="Failed"), new()], Outcome.HEALTHY, "no soak", polls=2),
    Case("operation Failed on the new revision: fails at once",
         [new(phase="Failed", health="Missing", sync="OutOfSync",
              message="one or more objects failed to apply")],
         Outcome.FAILED, "core-aws: sync operation Failed on b2b2b2b2b2b2: one or more objects "
         "failed to apply", polls=1),
    Case("operation Error on the new revision: fails at once", [new(phase="Error")],
         Outcome.FAILED, "sync operation Error", polls=1),
    Case("an operation on the new revision from before the push does not count",
         [new(started=-3600, reconciled=-3000)], Outcome.TIMEOUT,
         "the last sync operation on the pushed revision started before the push"),
    Case("app missing: fails at once", [MISSING], Outcome.FAILED,
         "core-aws: Argo CD has no application at", polls=1),
    Case("app deleted while waiting: fails", [new("Progressing"), MISSING],
         Outcome.FAILED, "no application", polls=2),
]  # fmt: skip


class StepClock:
    """Time that moves only when the gate sleeps, so sequences and soaks are exact."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> str:
        return PUSH.isoformat()

    def monotonic(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds



def play(
    argocd: ArgoCdEmulator, aws: list[Step | int], soak: float
) -> tuple[Outcome, list[str], list[str]]:
    argocd.script("core-base", new()("core-base"))
    argocd.script("core-aws", *[s if isinstance(s, int) else s("core-aws") for s in aws])
    client = ArgoCdClient(HttpClient(HttpSettings(retries=0)), argocd.url, TOKEN)
    settings = GateSettings(("core-base", "core-aws"), TIMEOUT, POLL, soak)
    progress: list[str] = []
    outcome, reasons = wait_healthy(client, settings, frozenset({NEW}), StepClock(),
                                    progress.append, PUSH.isoformat())  # fmt: skip
    return outcome, reasons, progress


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gate_sequence(argocd: ArgoCdEmulator, case: Case) -> None:
    outcome, reasons, progress = play(argocd, case.aws, case.soak)
    assert outcome is case.outcome, reasons
    assert any(case.says in r for r in reasons), reasons
    if case.polls is not None:
        assert argocd.calls["core-aws"] == case.polls
    if outcome is Outcome.TIMEOUT:
        assert reasons[0] == "not done after 10s"
        assert argocd.calls["core-aws"] == 1 + TIMEOUT / POLL  # polled to the end, no pass
    if "restarts" in case.id:
        assert any("soak restarted" in line for line in progress), progress
    assert set(argocd.queries) == {"refresh=normal"}  # each poll asks for a fresh comparison


def test_soak_zero_passes_on_the_first_healthy_poll(argocd: ArgoCdEmulator) -> None:
    outcome, _, _ = play(argocd, [new()], soak=0)
    assert outcome is Outcome.HEALTHY and argocd.calls["core-aws"] == 1


def test_a_soak_longer_than_the_timeout_still_runs_to_its_end(argocd: ArgoCdEmulator) -> None:
    outcome, reasons, _ = play(argocd, [old()] * 8 + [new()], soak=30)
    assert outcome is Outcome.HEALTHY, reasons
    assert argocd.calls["core-aws"] == 8 + 31  # healthy from t=8 s, held until t=38 s


# --------------------------------------------------------------------------- one snapshot


def snapshot(step: Step, name: str = "core-aws") -> AppState:
    return parse_application(name, step(name))


TARGET = GateTarget(frozenset({NEW}), PUSH)


@pytest.mark.parametrize(
    ("state", "target", "verdict"),
    [
        (snapshot(new()), TARGET, Verdict.PASS),
        (snapshot(new()), GateTarget(frozenset({NEW.upper()}), PUSH), Verdict.PASS),
        (snapshot(new(reconciled=25)), TARGET, Verdict.WAIT),  # same second as finishedAt
        (snapshot(new(reconciled=26)), TARGET, Verdict.PASS),
        (snapshot(new(started=-9)), TARGET, Verdict.PASS),  # within Argo CD's clock slack
        (snapshot(new(started=-3600, reconciled=-3000)), GateTarget(frozenset({NEW})), Verdict.PASS),
        (snapshot(new("Suspended")), TARGET, Verdict.WAIT),
        (snapshot(new("Missing")), TARGET, Verdict.WAIT),
        (snapshot(stale("Degraded")), TARGET, Verdict.WAIT),  # old objects' health
        (snapshot(old("Degraded")), TARGET, Verdict.WAIT),
        (snapshot(new("Degraded", sync="OutOfSync")), TARGET, Verdict.DEGRADED),
        (snapshot(new(phase="Terminating")), TARGET, Verdict.WAIT),
        (snapshot(new(phase=None)), TARGET, Verdict.WAIT),
        (snapshot(new(phase="Failed", op_revision=OLD)), TARGET, Verdict.WAIT),
        (parse_application("x", {}), TARGET, Verdict.WAIT),
    ],
)
def test_judge_one_snapshot(state: AppState, target: GateTarget, verdict: Verdict) -> None:
    assert judge(state, target).verdict is verdict


def test_multi_source_apps_are_judged_on_their_revisions() -> None:
    data = app_json("multi", revisions=["kit000", NEW], started=at(5), finished=at(25),
                    reconciled=at(30))  # fmt: skip
    state = parse_application("multi", data)
    assert state.synced_to == ("kit000", NEW)
    assert state.operation is not None and state.operation.revisions == ("kit000", NEW)
    assert judge(state, TARGET).verdict is Verdict.PASS
    assert judge(state, GateTarget(frozenset({"c3" * 20}), PUSH)).verdict is Verdict.WAIT


def test_the_requested_revision_stands_in_for_a_missing_sync_result() -> None:
    data = app_json("x", NEW, phase="Running", started=at(5))
    del data["status"]["operationState"]["syncResult"]
    op = parse_application("x", data).operation
    assert op == Operation("Running", (NEW,), at(5), None, None)


def test_parse_application_tolerates_missing_and_malformed_fields() -> None:
    assert parse_application("x", {"metadata": {"name": "x"}}).health is None
    assert parse_application("x", []).name == "x"
    odd = {"status": {"reconciledAt": "yesterday", "operationState": {"startedAt": 5}}}
    state = parse_application("x", odd)
    assert state.reconciled_at is None and state.operation == Operation()


def test_overall_sync_and_health_name_the_odd_apps() -> None:
    apps = [AppState("a", "Synced", health="Healthy"), AppState("b", "OutOfSync", health="Degraded"),
            AppState("c", "Synced", health="Progressing")]  # fmt: skip
    assert (overall_sync(apps), overall_health(apps)) == ("OutOfSync (b)", "Degraded (b)")
    assert overall_health(apps[:1]) == "Healthy" and overall_sync(apps[:1]) == "Synced"
    assert overall_health([AppState("a", health="Missing")] * 2) == "Missing"
    assert (overall_sync([]), overall_health([])) == ("Unknown", "Unknown")


# --------------------------------------------------------------------------- the client


def test_unknown_app_is_a_permanent_error(argocd: ArgoCdEmulator) -> None:
    with pytest.raises(GateUnreachable, match="no application") as err:
        ArgoCdClient(HttpClient(), argocd.url, TOKEN).state("nope")
    assert err.value.permanent


def test_unreachable_server_is_retryable() -> None:
    client = ArgoCdClient(HttpClient(HttpSettings(retries=0, deadline=2)), "http://127.0.0.1:9", TOKEN)
    with pytest.raises(GateUnreachable, match="did not answer") as err:
        client.state("core-base")
    assert not err.value.permanent


def test_a_read_without_refresh_sends_no_query(argocd: ArgoCdEmulator) -> None:
    argocd.script("core-base", app_json("core-base", NEW))
    ArgoCdClient(HttpClient(), argocd.url, TOKEN).state("core-base", refresh=False)
    assert argocd.queries == [""]


# --------------------------------------------------------------------------- through the CLI

APPS = ("core-base", "core-aws", "core-addons")
BRANCH = "refs/heads/releaser/kuvaq-2024.3"
ENV = {"KUVAQ_ARGOCD_TOKEN": TOKEN}



@pytest.fixture
def bed(tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator) -> FleetBed:
    customers = [{"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}]
    return make_fleet(tmp_path, customers, argocd_url=argocd.url, kit_remote=kit_remote)


def pushed(bed: FleetBed) -> Callable[[], str]:
    """The commit on the rollout branch once pushed (the old tip before)."""
    bare = bed.remotes["kuvaq"]
    return lambda: (
        remote_head(bare, "releaser/kuvaq-2024.3") if has_ref(bare, BRANCH) else remote_head(bare)
    )


def live(name: str, revision: Callable[[], str], **kw: Any) -> Callable[[], dict[str, Any]]:
    """The app at request time: fresh timestamps, on whatever `revision()` is then."""
    return lambda: app_json(name, revision(), **kw)


def rollout(bed: FleetBed, *extra: str, env: dict[str, str] | None = None, json: bool = False):  # type: ignore[no-untyped-def]
    args = ["--json"] * json + ["rollout", "--customer", "kuvaq", "--to", "2024.3", "--push",
                                "--wait", "--poll-interval", "0.05s"]  # fmt: skip
    return cli(bed, *args, *extra, env=env or ENV)


def set_fleet_soak(bed: FleetBed, soak: str) -> None:
    text = re.sub(r"    soak: .*\n", "", bed.fleet.read_text())
    bed.fleet.write_text(text.replace("    apps:\n", f"    soak: {soak}\n    apps:\n"))


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_cli_passes_after_a_soak_of_health(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new_ = pushed(bed)
    old_ = remote_head(bed.remotes["kuvaq"])
    for app in APPS:
        argocd.script(
            app,
            app_json(app, old_, health="Degraded"),  # still on the old commit, in an incident
            live(app, new_, sync="OutOfSync", phase="Running", health="Progressing"),
            live(app, new_, health="Progressing"),
            live(app, new_),
        )
    started = time.monotonic()
    result = rollout(bed, "--soak", "1s")
    assert result.code == 0, result.out + result.err
    assert time.monotonic() - started >= 1
    lines = result.out.splitlines()
    assert lines[0] == "kuvaq: 2024.2 → 2024.3: healthy"
    assert ("  gate: Synced, operation Succeeded and Healthy on the pushed revision for the "
            "whole soak (1s): core-base, core-aws, core-addons") in lines  # fmt: skip
    assert "soaking 1s" in result.err
    record = bed.log()[-1]
    assert (record["outcome"], record["commit"]) == ("healthy", new_())
    assert set(argocd.auth_headers) == {f"Bearer {TOKEN}"}
    log_text = bed.fleet.parent.joinpath(".releaser/rollouts.jsonl").read_text()
    assert TOKEN not in result.out + result.err + log_text


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_cli_fails_when_an_app_degrades_during_the_soak(
    bed: FleetBed, argocd: ArgoCdEmulator
) -> None:
    new_ = pushed(bed)
    for app in APPS:
        argocd.script(app, live(app, new_))
    argocd.script("core-aws", live("core-aws", new_), live("core-aws", new_),
                  live("core-aws", new_, health="Degraded"))  # fmt: skip
    result = rollout(bed, "--soak", "1m", "--timeout", "10m")
    assert result.code == 1
    assert result.out.splitlines()[0] == "kuvaq: 2024.2 → 2024.3: degraded"
    assert "gate: core-aws: health Degraded after the sync to" in result.out
    assert bed.log()[-1]["outcome"] == "degraded"


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_cli_soak_defaults_to_the_fleet_and_the_option_wins(
    bed: FleetBed, argocd: ArgoCdEmulator
) -> None:
    new_ = pushed(bed)
    for app in APPS:
        argocd.script(app, live(app, new_))
    set_fleet_soak(bed, "0.3s")
    result = rollout(bed, json=True)
    assert result.code == 0, result.err
    assert "for the whole soak (0.3s)" in result.json["gate"][0]
    set_fleet_soak(bed, "1h")  # the option overrides it
    again = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--wait",
                "--soak", "0", "--poll-interval", "0.05s", env=ENV)  # fmt: skip
    assert again.code == 0, again.out + again.err
    assert "(no soak)" in again.out


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_cli_times_out_on_the_old_revision_naming_the_condition(
    bed: FleetBed, argocd: ArgoCdEmulator
) -> None:
    old_ = remote_head(bed.remotes["kuvaq"])
    for app in APPS:
        argocd.script(app, app_json(app, old_))
    started = time.monotonic()
    result = rollout(bed, "--timeout", "0.5s", json=True)
    assert result.code == 1
    assert time.monotonic() - started >= 0.5
    data = result.json
    assert data["outcome"] == "timeout" and data["pushed"] == "releaser/kuvaq-2024.3"
    assert data["gate"][0] == "not done after 0.5s"
    assert f"core-base: not on the pushed revision yet (sync Synced at {old_[:12]}" in data["gate"][1]
    assert "kuvaq: 2024.2 → 2024.3: timeout" in result.err  # the summary goes to stderr
    assert bed.log()[-1]["outcome"] == "timeout"


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_cli_failed_operation_fails_at_once(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new_ = pushed(bed)
    for app in APPS:
        argocd.script(app, live(app, new_))
    argocd.script("core-addons", live("core-addons", new_, sync="OutOfSync", health="Missing",
                  phase="Failed", message="one or more objects failed to apply"))  # fmt: skip
    started = time.monotonic()
    result = rollout(bed, "--timeout", "10m", "--soak", "10m")
    assert time.monotonic() - started < 60
    assert result.code == 1
    assert result.out.splitlines()[0] == "kuvaq: 2024.2 → 2024.3: failed"
    assert "core-addons: sync operation Failed on" in result.out
    assert "one or more objects failed to apply" in result.out
    assert bed.log()[-1]["outcome"] == "failed"


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_cli_missing_app_fails(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new_ = pushed(bed)
    for app in APPS[:2]:
        argocd.script(app, live(app, new_))
    result = rollout(bed, "--timeout", "10m")
    assert result.code == 1
    assert "core-addons: Argo CD has no application at" in result.out
    assert bed.log()[-1]["outcome"] == "failed"


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_wrong_token_fails_without_showing_it(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    for app in APPS:
        argocd.script(app, app_json(app, "x"))
    result = rollout(bed, env={"KUVAQ_ARGOCD_TOKEN": "wrong-token-123"})
    assert result.code == 1
    assert "Argo CD refused the token" in result.out
    assert "wrong-token-123" not in result.out + result.err
    assert bed.log()[-1]["outcome"] == "blocked"  # refused before anything was pushed


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_missing_token_is_a_usage_error_before_any_change(bed: FleetBed) -> None:
    before = remote_head(bed.remotes["kuvaq"])
    result = rollout(bed, env={"OTHER": "1"})
    assert result.code == 2
    assert "KUVAQ_ARGOCD_TOKEN is not set" in result.err
    assert remote_head(bed.remotes["kuvaq"]) == before
    assert not has_ref(bed.remotes["kuvaq"], BRANCH)


@pytest.mark.parametrize(("soak", "code"), [("soon", 2), ("-1s", 2)])
def test_bad_soak_option_is_a_usage_error(bed: FleetBed, soak: str, code: int) -> None:
    result = rollout(bed, "--soak", soak)
    assert result.code == code and "invalid duration" in result.err


def test_bad_fleet_soak_names_the_file_and_line(bed: FleetBed) -> None:
    set_fleet_soak(bed, "a while")
    result = cli(bed, "rollout", "--status")
    assert result.code == 3
    assert "fleet.yaml:" in result.err and "customers[0].argocd.soak: invalid duration" in result.err

"""The health gate against an emulated Argo CD (see tests/argocd_server.py: Argo CD itself
cannot run here, so its documented REST API is served from 127.0.0.1)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from releaser.adapters.argocd import ArgoCdClient, parse_application
from releaser.adapters.http import HttpClient
from releaser.domain.rollout import GateUnreachable
from releaser.settings import HttpSettings
from tests.argocd_server import ArgoCdEmulator, app_json, running_argocd
from tests.customerrepo import (
    TOKEN,
    FleetBed,
    cli,
    has_ref,
    make_fleet,
    make_kit_remote,
    remote_head,
)

APPS = ("core-base", "core-aws", "core-addons")
BRANCH = "refs/heads/releaser/kuvaq-2024.3"
ENV = {"KUVAQ_ARGOCD_TOKEN": TOKEN}

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_kit_remote(tmp_path_factory.mktemp("kit"))


@pytest.fixture
def argocd() -> Iterator[ArgoCdEmulator]:
    with running_argocd(TOKEN) as emulator:
        yield emulator


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


def state(name: str, revision: Callable[[], str], **kw: Any) -> Callable[[], dict[str, Any]]:
    return lambda: app_json(name, revision(), **kw)


def rollout(bed: FleetBed, *extra: str, env: dict[str, str] | None = None, json: bool = False):  # type: ignore[no-untyped-def]
    args = ["--json"] * json + [
        "rollout",
        "--customer",
        "kuvaq",
        "--to",
        "2024.3",
        "--push",
        "--wait",
    ]
    return cli(bed, *args, "--poll-interval", "0.05s", *extra, env=env or ENV)


def test_progressing_then_healthy_passes_the_gate(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new = pushed(bed)
    old = remote_head(bed.remotes["kuvaq"])
    for app in APPS:
        argocd.script(
            app,
            app_json(app, old),  # still on the old commit
            state(app, new, sync="OutOfSync", health="Healthy", phase="Running"),
            state(app, new, health="Progressing", phase="Running"),
            state(app, new),
        )
    result = rollout(bed)
    assert result.code == 0, result.out + result.err
    assert "kuvaq: 2024.2 → 2024.3: healthy" in result.out
    record = bed.log()[-1]
    assert record["outcome"] == "healthy"
    assert record["commit"] == new()
    assert record["pushed"] == "releaser/kuvaq-2024.3"
    assert all(argocd.calls[app] >= 4 for app in APPS)
    assert set(argocd.queries) == {"refresh=normal"}
    assert set(argocd.auth_headers) == {f"Bearer {TOKEN}"}
    assert (
        TOKEN
        not in result.out
        + result.err
        + bed.fleet.parent.joinpath(".releaser/rollouts.jsonl").read_text()
    )


def test_healthy_on_the_old_revision_is_not_done(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    old = remote_head(bed.remotes["kuvaq"])
    for app in APPS:
        argocd.script(app, app_json(app, old))
    started = time.monotonic()
    result = rollout(bed, "--timeout", "0.5s")
    assert result.code == 1
    assert time.monotonic() - started >= 0.5
    assert "kuvaq: 2024.2 → 2024.3: timeout" in result.out
    assert "gate: not done after 0.5s" in result.out
    assert f"core-base: sync Synced at {old[:12]}, health Healthy" in result.out
    assert bed.log()[-1]["outcome"] == "timeout"


def test_degraded_fails_the_gate_at_once(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new = pushed(bed)
    for app in APPS:
        argocd.script(app, state(app, new, health="Progressing", phase="Running"))
    argocd.script("core-aws", state("core-aws", new, health="Progressing", phase="Running"),
                  state("core-aws", new, health="Degraded", phase="Succeeded"))  # fmt: skip
    started = time.monotonic()
    result = rollout(bed, "--timeout", "10m")
    assert time.monotonic() - started < 30
    assert result.code == 1
    assert "kuvaq: 2024.2 → 2024.3: degraded" in result.out
    assert "gate: core-aws: sync Synced" in result.out and "health Degraded" in result.out
    assert bed.log()[-1]["outcome"] == "degraded"


def test_failed_operation_fails_the_gate(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new = pushed(bed)
    for app in APPS:
        argocd.script(app, state(app, new))
    argocd.script("core-addons", state("core-addons", new, sync="OutOfSync", health="Missing",
                                       phase="Failed", message="one or more objects failed to apply"))  # fmt: skip
    result = rollout(bed, "--timeout", "10m")
    assert result.code == 1
    assert "failed" in result.out.splitlines()[0]
    assert "one or more objects failed to apply" in result.out
    assert bed.log()[-1]["outcome"] == "failed"


def test_never_finishing_times_out(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    new = pushed(bed)
    for app in APPS:
        argocd.script(app, state(app, new, sync="Synced", health="Progressing", phase="Running"))
    result = rollout(bed, "--timeout", "0.4s", json=True)
    assert result.code == 1
    data = result.json
    assert data["outcome"] == "timeout"
    assert data["commit"] == new() and data["created"] is True
    assert data["pushed"] == "releaser/kuvaq-2024.3"
    assert "kuvaq: 2024.2 → 2024.3: timeout" in result.err  # diagnostics on stderr with --json
    assert bed.log()[-1]["outcome"] == "timeout"
    assert "health Progressing" in " ".join(bed.log()[-1]["reasons"])


def test_wrong_token_fails_without_showing_it(bed: FleetBed, argocd: ArgoCdEmulator) -> None:
    for app in APPS:
        argocd.script(app, app_json(app, "x"))
    result = rollout(bed, env={"KUVAQ_ARGOCD_TOKEN": "wrong-token-123"})
    assert result.code == 1
    assert "Argo CD refused the token" in result.out
    assert "wrong-token-123" not in result.out + result.err
    assert bed.log()[-1]["outcome"] == "blocked"  # refused before anything was pushed


def test_missing_token_is_a_usage_error_before_any_change(bed: FleetBed) -> None:
    before = remote_head(bed.remotes["kuvaq"])
    result = rollout(bed, env={"OTHER": "1"})
    assert result.code == 2
    assert "KUVAQ_ARGOCD_TOKEN is not set" in result.err
    assert remote_head(bed.remotes["kuvaq"]) == before
    assert not has_ref(bed.remotes["kuvaq"], BRANCH)


def test_multi_source_apps_report_revisions(argocd: ArgoCdEmulator) -> None:
    argocd.script("multi", app_json("multi", revisions=["aaa111", "bbb222"]))
    state_ = ArgoCdClient(HttpClient(), argocd.url, TOKEN).state("multi")
    assert state_.revisions == ("aaa111", "bbb222")
    assert state_.on_revision(frozenset({"BBB222"}))
    assert not state_.on_revision(frozenset({"ccc333"}))


def test_unknown_app_is_a_permanent_error(argocd: ArgoCdEmulator) -> None:
    with pytest.raises(GateUnreachable, match="no application") as err:
        ArgoCdClient(HttpClient(), argocd.url, TOKEN).state("nope")
    assert err.value.permanent


def test_unreachable_server_is_retryable() -> None:
    with pytest.raises(GateUnreachable, match="did not answer") as err:
        ArgoCdClient(HttpClient(HttpSettings(retries=0, deadline=2)), "http://127.0.0.1:9", TOKEN).state("core-base")
    assert not err.value.permanent


def test_parse_application_tolerates_missing_fields() -> None:
    assert parse_application("x", {"metadata": {"name": "x"}}).health is None
    assert parse_application("x", []).name == "x"

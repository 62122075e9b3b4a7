"""`campaign plan`: a wave plan over labels and windows on a fixed clock, with each customer's
real preflight (bare customer remotes over file://, the real chart indexes on 127.0.0.1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from releaser.app.campaign import CampaignPorts, customer_plan
from releaser.domain.fleet import read_fleet
from releaser.domain.report import CustomerRow
from releaser.domain.versions import KitVersion
from releaser.domain.waves import STEP_SECONDS, SYNC_SECONDS, step_estimate, wave_estimate
from tests.customerrepo import FleetBed, cli, make_fleet

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

CUSTOMERS = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"},
    {"name": "ossa", "version": "2024.3", "kubernetes": "1.31"},
    {"name": "pell", "version": "2024.2", "kubernetes": "1.28"},
    {"name": "quill", "version": "2024.2", "kubernetes": "1.30"},
]
WAVES = [
    {"name": "canary", "select": {"names": ["kuvaq"]}, "soak": "30m"},
    {"name": "gold", "select": {"labels": {"tier": "gold"}}, "maxParallel": 2,
     "maxFailures": 1, "approval": True},
    {"name": "rest", "select": {"all": True}, "maxParallel": 10, "maxFailures": 2},
]  # fmt: skip



def campaign_fleet(tmp_path: Path, kit_remote: Path, argocd_url: str | None = None) -> FleetBed:
    """kuvaq (Berlin window, canary), menetekel and quill (gold), ossa already on 2024.3,
    pell on Kubernetes 1.28 (blocked by the target's range)."""
    bed = make_fleet(tmp_path, CUSTOMERS, argocd_url=argocd_url, kit_remote=kit_remote)
    data = yaml.safe_load(bed.fleet.read_text())
    kuvaq, menetekel, _, _, quill = data["customers"]
    kuvaq["window"] = {"rrule": "FREQ=WEEKLY;BYDAY=TU,WE;BYHOUR=9", "duration": "4h",
                       "tz": "Europe/Berlin"}  # fmt: skip
    menetekel["labels"] = {"tier": "gold"}
    quill["labels"] = {"tier": "gold"}
    quill["window"] = {"freezes": [{"from": "2024-10-01", "until": "2024-10-31"}]}
    data["waves"] = WAVES
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    return bed


def plan_json(bed: FleetBed, *args: str) -> dict[str, Any]:
    result = cli(bed, "--json", "campaign", "plan", "2024.3", *args)
    assert result.code == 0, result.out + result.err
    return dict(result.json)


def test_plan_over_labels_and_windows_on_a_fixed_clock(kit_remote: Path, tmp_path: Path) -> None:
    plan = plan_json(campaign_fleet(tmp_path, kit_remote))
    assert plan["version"] == "2024.3"
    assert plan["at"] == "2024-10-15T00:00:00+00:00"  # RELEASER_TODAY, at midnight UTC
    waves = {w["name"]: w for w in plan["waves"]}
    assert list(waves) == ["canary", "gold", "rest"]
    assert [(c["name"], c["status"]) for w in plan["waves"] for c in w["customers"]] == [
        ("kuvaq", "ready"),
        ("menetekel", "ready"),
        ("quill", "ready"),
        ("ossa", "on-target"),
        ("pell", "blocked"),
    ]
    kuvaq = waves["canary"]["customers"][0]
    assert kuvaq["version"] == "2024.2" and kuvaq["hold"] is None and kuvaq["gate"] is False
    assert kuvaq["window"] == {
        "tz": "Europe/Berlin",
        "open": False,
        "opens": "2024-10-15T07:00:00+00:00",
        "closes": "2024-10-15T11:00:00+00:00",
    }
    quill = waves["gold"]["customers"][1]
    assert quill["window"]["opens"] == "2024-11-01T00:00:00+00:00"  # after the freeze
    assert quill["window"]["closes"] is None
    assert waves["rest"]["customers"][0]["window"] is None
    pell = waves["rest"]["customers"][1]
    assert any("outside the target's supported range" in b for b in pell["blocking"])
    # No Argo CD gate: one git step each; canary + its 30m soak, gold 2 at a time.
    assert waves["canary"]["estimate"] == STEP_SECONDS + 1800
    assert waves["gold"]["estimate"] == STEP_SECONDS
    assert waves["rest"]["estimate"] == 0  # nobody there moves
    assert plan["estimate"] == 2 * STEP_SECONDS + 1800
    assert (waves["gold"]["maxParallel"], waves["gold"]["maxFailures"]) == (2, 1)
    assert waves["gold"]["approval"] is True and waves["gold"]["select"] == "labels tier=gold"


def test_at_moves_the_clock_and_parallel_changes_nothing_else(
    kit_remote: Path, tmp_path: Path
) -> None:
    bed = campaign_fleet(tmp_path, kit_remote)
    inside = plan_json(bed, "--at", "2024-10-15T10:30+02:00", "--parallel", "1")
    window = inside["waves"][0]["customers"][0]["window"]
    assert window["open"] is True and window["closes"] == "2024-10-15T11:00:00+00:00"
    at_midnight = plan_json(bed, "--parallel", "1")
    assert plan_json(bed, "--parallel", "4") == at_midnight


def test_text_and_markdown_show_waves_windows_and_reasons(
    kit_remote: Path, tmp_path: Path
) -> None:
    bed = campaign_fleet(tmp_path, kit_remote, argocd_url="https://argocd.example.com")
    text = cli(bed, "campaign", "plan", "2024.3")
    assert text.code == 0, text.err
    lines = text.out.splitlines()
    assert lines[0] == "campaign to 2024.3, planned at 2024-10-15 00:00 UTC"
    assert lines[1].startswith("estimated 38m of rollout work (1 blocked, 1 on-target, 3 ready)")
    assert (
        "wave 1/3 canary (names kuvaq): one at a time, stops at the first failure, "
        "soak 30m after; about 34m" in lines
    )
    assert "wave 2/3 gold (labels tier=gold): 2 at a time, tolerates 1 failure, starts once approved; about 4m" in lines
    assert any(
        line.startswith("kuvaq ") and "opens Tue 2024-10-15 09:00 CEST until Tue 2024-10-15 13:00 CEST" in line
        for line in lines
    )
    assert any(line.startswith("  pell: kubernetes: cluster runs 1.28") for line in lines)
    markdown = cli(bed, "campaign", "plan", "2024.3", "--format", "md").out
    assert markdown.startswith("## Campaign to 2024.3\n")
    assert "### Wave 2 of 3: gold" in markdown
    assert "| Customer | Runs | Kubernetes | Preflight | Hold | Window | Estimate |" in markdown
    assert "| ossa | 2024.3 | 1.31 | on-target | \\- | any time | \\- |" in markdown
    assert "- **pell**: kubernetes: cluster runs 1.28" in markdown


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "next tuesday"], "invalid time 'next tuesday'"),
        (["--format", "html"], "unknown format 'html'"),
        (["--parallel", "0"], "Invalid value for '--parallel'"),
    ],
)
def test_usage_errors_exit_2(
    kit_remote: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    bed = campaign_fleet(tmp_path, kit_remote)
    result = cli(bed, "campaign", "plan", "2024.3", *args)
    assert result.code == 2, result.out + result.err
    assert message in result.err


def test_a_bad_version_exits_2_and_a_fleet_with_an_unplaced_customer_exits_3(
    kit_remote: Path, tmp_path: Path
) -> None:
    bed = campaign_fleet(tmp_path, kit_remote)
    assert cli(bed, "campaign", "plan", "24.3").code == 2
    bed.fleet.write_text(bed.fleet.read_text().replace("all: true", "names: [ossa]"))
    result = cli(bed, "campaign", "plan", "2024.3")
    assert result.code == 3
    assert "waves: no wave selects pell: add them to a wave" in result.err
    assert f"{bed.fleet}:" in result.err


def test_an_unreadable_customer_is_blocked_with_the_git_error(
    kit_remote: Path, tmp_path: Path
) -> None:
    bed = campaign_fleet(tmp_path, kit_remote)
    bed.fleet.write_text(bed.fleet.read_text().replace(bed.remotes["pell"].as_uri(),
                                                       (tmp_path / "gone.git").as_uri()))  # fmt: skip
    plan = plan_json(bed)
    pell = plan["waves"][2]["customers"][1]
    assert pell["status"] == "blocked" and pell["version"] is None
    assert "cannot fetch pell's repository" in pell["blocking"][0]


# --------------------------------------------------------------------------- pure parts

GATED_FLEET = """\
kit: {repoURL: https://github.com/example/core-kit.git}
customers:
  - name: kuvaq
    repo: file:///srv/kuvaq.git
    kubernetes: '1.30'
    argocd: {url: https://argocd.example.com, tokenEnv: T, apps: [a], soak: 2m}
"""


def test_the_hold_hook_and_the_status_order() -> None:
    from releaser.adapters.yaml import parse_document

    customer = read_fleet(parse_document(GATED_FLEET, "fleet.yaml")).customers[0]
    now = datetime(2024, 10, 15, tzinfo=UTC)
    target = KitVersion.parse("2024.3")
    ready = CustomerRow("kuvaq", "2024.2", "1.30", True)
    held = CampaignPorts(None, now, hold=lambda c, t: f"{c.name} frozen for {t}")  # type: ignore[arg-type]
    plan = customer_plan(customer, ready, target, held)
    assert (plan.status, plan.hold, plan.estimate) == ("held", "kuvaq frozen for 2024.3", 0.0)
    free = CampaignPorts(None, now)  # type: ignore[arg-type]
    plan = customer_plan(customer, ready, target, free)
    assert (plan.status, plan.gated) == ("ready", True)
    assert plan.estimate == STEP_SECONDS + SYNC_SECONDS + 120
    on_target = CustomerRow("kuvaq", "2024.3.1", "1.30", True)  # a hotfix of the target
    assert customer_plan(customer, on_target, target, held).status == "on-target"
    blocked = CustomerRow("kuvaq", "2024.2", "1.30", False, ("kubernetes: too old",))
    assert customer_plan(customer, blocked, target, free).status == "blocked"


@pytest.mark.parametrize(
    ("steps", "parallel", "soak", "expected"),
    [
        ([], 3, 600.0, 0.0),
        ([60.0], 1, 600.0, 660.0),
        ([60.0, 60.0, 60.0], 1, 0.0, 180.0),
        ([60.0, 60.0, 60.0], 2, 0.0, 120.0),
        ([300.0, 60.0, 60.0, 60.0], 2, 0.0, 300.0),
        ([60.0] * 5, 10, 30.0, 90.0),
    ],
)
def test_wave_estimate_schedules_customers_on_free_slots(
    steps: list[float], parallel: int, soak: float, expected: float
) -> None:
    assert wave_estimate(steps, parallel, soak) == expected
    assert step_estimate(False, 120.0) == STEP_SECONDS


def test_plan_json_is_stable_data(kit_remote: Path, tmp_path: Path) -> None:
    plan = plan_json(campaign_fleet(tmp_path, kit_remote))
    assert json.loads(json.dumps(plan)) == plan
    assert set(plan["waves"][0]["customers"][0]) == {
        "name", "version", "kubernetes", "status", "blocking", "hold", "window", "gate",
        "estimate",
    }  # fmt: skip

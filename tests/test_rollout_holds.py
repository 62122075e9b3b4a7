"""Holds and skips: `rollout --next` passes held and blocked customers over (logging them) and
moves the next one that can move; `--customer` refuses a held customer unless `--force`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.customerrepo import FleetBed, cli, has_ref, make_fleet, remote_head

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

FLEET = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.29"},  # below 2024.3's range
    {"name": "nora", "version": "2024.2", "kubernetes": "1.31"},
]
FREEZE = {"reason": "customer freeze"}



def set_key(bed: FleetBed, customer: str, key: str, value: Any) -> None:
    data = yaml.safe_load(bed.fleet.read_text())
    entry = next(c for c in data["customers"] if c["name"] == customer)
    entry[key] = value
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))


def untouched(bed: FleetBed, customer: str, before: str) -> bool:
    bare = bed.remotes[customer]
    return remote_head(bare) == before and not has_ref(bare, f"refs/heads/releaser/{customer}-2024.3")


def test_next_passes_held_and_blocked_customers_over_and_moves_the_next(
    tmp_path: Path, kit_remote: Path
) -> None:
    bed = make_fleet(tmp_path, FLEET, kit_remote=kit_remote)
    set_key(bed, "kuvaq", "hold", FREEZE)
    heads = {name: remote_head(bare) for name, bare in bed.remotes.items()}

    result = cli(bed, "rollout", "--next", "--to", "2024.3", "--push")

    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "nora: 2024.2 → 2024.3: pushed"
    assert "passed over kuvaq: hold: held (every version): customer freeze (pass --force" in result.err
    assert "passed over menetekel: kubernetes: cluster runs 1.29" in result.err
    assert [(r["customer"], r["outcome"]) for r in bed.log()] == [
        ("kuvaq", "blocked"),
        ("menetekel", "blocked"),
        ("nora", "pushed"),
    ]
    assert bed.log()[0]["reasons"] == [
        "hold: held (every version): customer freeze (pass --force to accept)"
    ]
    assert untouched(bed, "kuvaq", heads["kuvaq"]) and untouched(bed, "menetekel", heads["menetekel"])
    assert has_ref(bed.remotes["nora"], "refs/heads/releaser/nora-2024.3")
    # the lease of each customer rolled is given back
    assert not any(has_ref(b, "refs/releaser/lock/nora") for b in bed.remotes.values())

    again = cli(bed, "--json", "rollout", "--next", "--to", "2024.3", "--push", "--force")
    assert again.code == 1, again.err
    assert "no customer could move to 2024.3" in again.err
    data = again.json
    assert data["moved"] is None and data["target"] == "2024.3"
    assert [p["customer"] for p in data["passedOver"]] == ["kuvaq", "menetekel"]  # nora: done


def test_a_held_customer_refuses_until_forced_and_the_waiver_is_logged(
    tmp_path: Path, kit_remote: Path
) -> None:
    bed = make_fleet(tmp_path, FLEET[:1], kit_remote=kit_remote)
    set_key(bed, "kuvaq", "hold", {"version": "2024.3", "until": "2024-10-31", **FREEZE})
    before = remote_head(bed.remotes["kuvaq"])

    refused = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
    assert refused.code == 1
    assert refused.out.splitlines() == [
        "kuvaq: 2024.2 → 2024.3: blocked",
        "  - hold: held (version 2024.3 until 2024-10-31): customer freeze (pass --force to accept)",
    ]
    assert untouched(bed, "kuvaq", before)

    forced = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--force")
    assert forced.code == 0, forced.err
    assert "accepted by --force" in forced.out
    record = bed.log()[-1]
    assert record["outcome"] == "pushed" and record["reasons"] == []
    assert record["waivers"] == [
        {"rule": "hold", "option": "--force",
         "what": ["held (version 2024.3 until 2024-10-31): customer freeze"]},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("hold", "today"),
    [
        ({"until": "2024-10-14", **FREEZE}, "2024-10-15"),  # lapsed yesterday
        ({"version": "2024.4", **FREEZE}, "2024-10-15"),  # holds another version
    ],
)
def test_a_hold_that_does_not_apply_lets_the_customer_move(
    tmp_path: Path, kit_remote: Path, hold: dict[str, str], today: str
) -> None:
    bed = make_fleet(tmp_path, FLEET[:1], kit_remote=kit_remote)
    set_key(bed, "kuvaq", "hold", hold)
    result = cli(
        bed, "rollout", "--next", "--to", "2024.3", "--dry-run", env={"RELEASER_TODAY": today}
    )
    assert result.code == 0, result.err
    assert result.out.startswith("kuvaq: 2024.2 → 2024.3: dry run, preflight passed")


def test_next_dry_run_passes_over_without_logging(tmp_path: Path, kit_remote: Path) -> None:
    bed = make_fleet(tmp_path, FLEET[1:], kit_remote=kit_remote)
    result = cli(bed, "rollout", "--next", "--to", "2024.3", "--dry-run")
    assert result.code == 0, result.err
    assert result.out.startswith("nora: 2024.2 → 2024.3: dry run, preflight passed")
    assert "passed over menetekel" in result.err
    assert bed.log() == []


def test_an_invalid_hold_exits_3_naming_file_and_line(tmp_path: Path, kit_remote: Path) -> None:
    bed = make_fleet(tmp_path, FLEET[:1], kit_remote=kit_remote)
    set_key(bed, "kuvaq", "hold", {"until": "soon", **FREEZE})
    result = cli(bed, "rollout", "--next")
    assert result.code == 3
    assert f"{bed.fleet}:" in result.err and "customers[0].hold.until: expected a date" in result.err

"""Pure rules over the rollout log and the lease: what --next moves past, which customers a
target reached, where a revert goes, waivers, holds, and the lease's own message."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from releaser.domain.customer import CustomerState
from releaser.domain.errors import ProblemsFound
from releaser.domain.fleet import Hold
from releaser.domain.kit import Kit, KubernetesRange
from releaser.domain.lease import CustomerBusy, LeaseHolder
from releaser.domain.rollout import Block, PreflightInput, blocking, hold_blocks, preflight
from releaser.domain.rollout_history import (
    Operator,
    Waiver,
    reached,
    revert_target,
    rollout_to_revert,
    unsettled,
    waivers_of,
)
from releaser.domain.versions import KitVersion, KubeVersion

V = KitVersion.parse


def rec(customer: str, frm: str, to: str, outcome: str = "healthy", **kw: Any) -> dict[str, Any]:
    pushed = kw.pop("pushed", f"releaser/{customer}-{to}")
    return {"customer": customer, "from": frm, "to": to, "outcome": outcome, "pushed": pushed, **kw}


# --------------------------------------------------------------------------- --next


@pytest.mark.parametrize(
    ("outcomes", "refused"),
    [
        ([], None),
        (["healthy"], None),
        (["pushed"], "pushed"),
        (["degraded", "blocked", "blocked"], "degraded"),  # blocked ones do not hide it
        (["degraded", "healthy"], None),
        (["healthy", "timeout"], "timeout"),
    ],
)
def test_unsettled_is_the_last_attempt_that_was_not_blocked(
    outcomes: list[str], refused: str | None
) -> None:
    records = [rec(f"c{i}", "2024.2", "2024.3", o) for i, o in enumerate(outcomes)]
    last = unsettled(records)
    assert (last["outcome"] if last else None) == refused


def test_reached_counts_pushed_rollouts_to_the_targets_release_only() -> None:
    records = [
        rec("a", "2024.2", "2024.3", "degraded"),
        rec("b", "2024.2", "2024.3", "blocked", pushed=None),
        rec("c", "2024.2", "2024.3", "committed", pushed=None),
        rec("d", "2024.2", "2024.3.1", "healthy"),  # the exact version, patch included
        rec("e", "2024.2", "2024.3", "healthy", kind="hotfix"),
        rec("f", "2024.1", "2024.2", "healthy"),
    ]
    target = V("2024.3")
    assert [c for c in "abcdef" if reached(records, c, target)] == ["a", "d"]


# --------------------------------------------------------------------------- revert


def test_a_revert_goes_back_to_what_the_last_pushed_rollout_left() -> None:
    records = [
        rec("a", "2024.1", "2024.2"),
        rec("a", "2024.2.1", "2024.3", "degraded"),
        rec("a", "2024.3", "2024.4", "blocked", pushed=None),
        rec("b", "2024.3", "2024.4"),
    ]
    assert revert_target(records, "a", V("2024.3")) == V("2024.2.1")


def test_reverts_stack_like_undo() -> None:
    records = [
        rec("a", "2024.1", "2024.2"),
        rec("a", "2024.2", "2024.3"),
        rec("a", "2024.3", "2024.2", revert=True),
    ]
    assert rollout_to_revert(records, "a") == records[0]
    assert revert_target(records, "a", V("2024.2")) == V("2024.1")
    records.append(rec("a", "2024.2", "2024.1", revert=True))
    assert rollout_to_revert(records, "a") is None


@pytest.mark.parametrize(
    ("records", "runs", "message"),
    [
        ([], V("2024.3"), "no pushed rollout of a to revert"),
        ([rec("a", "2024.2", "2024.3", "blocked", pushed=None)], V("2024.2"), "no pushed rollout"),
        ([rec("a", "2024.2", "2024.3")], V("2024.2"), "a runs 2024.2, not what its last rollout"),
        ([rec("a", "2024.2", "2024.3")], None, "a runs no single kit version"),
        ([rec("a", "mixed (base 2024.1)", "2024.3")], V("2024.3"), "did not leave one kit version"),
    ],
)
def test_a_revert_without_a_rollout_to_undo_is_refused(
    records: list[dict[str, Any]], runs: KitVersion | None, message: str
) -> None:
    with pytest.raises(ProblemsFound, match=message) as err:
        revert_target(records, "a", runs)
    assert err.value.exit_code == 1


def kit(low: str, high: str, version: str = "2024.2") -> Kit:
    return Kit("k", version, KubernetesRange(low, high), (), ())


def test_a_revert_turns_downgrade_range_and_compatibility_into_warnings() -> None:
    given = PreflightInput(
        CustomerState(()),
        KubeVersion.parse("1.32"),
        V("2024.2"),
        kit("1.29", "1.31"),
        verdict_failures=("cert-manager v1.16 fails on 1.32",),
    )
    rules = [b.rule for b in preflight(given)]
    assert "kubernetes" in rules and "compatibility" in rules
    reverted = preflight(PreflightInput(**{**given.__dict__, "revert": True}))
    waived = {b.rule: b for b in reverted if b.waived}
    assert set(waived) == {"kubernetes", "compatibility"}
    assert str(waived["kubernetes"]).endswith("(accepted by --revert)")
    # what a revert does not waive: the customer's references to the kit
    assert [b.rule for b in blocking(reverted)] == ["references"]


# --------------------------------------------------------------------------- holds, waivers


def test_a_hold_blocks_until_forced_and_names_itself() -> None:
    hold = Hold("customer freeze", V("2024.3"), date(2024, 12, 15))
    [block] = hold_blocks(hold, V("2024.3"), date(2024, 12, 1), forced=False)
    assert str(block) == (
        "hold: held (version 2024.3 until 2024-12-15): customer freeze (pass --force to accept)"
    )
    [forced] = hold_blocks(hold, V("2024.3"), date(2024, 12, 1), forced=True)
    assert forced.waived and not blocking([forced])
    assert hold_blocks(hold, V("2024.4"), date(2024, 12, 1), forced=False) == []
    assert hold_blocks(hold, V("2024.3"), date(2024, 12, 16), forced=False) == []
    assert hold_blocks(None, V("2024.3"), date(2024, 12, 1), forced=False) == []


def test_waivers_group_what_each_option_accepted() -> None:
    blocks = [
        Block("dropped-key", "base: a.b (set in x) is gone", "--accept-dropped-keys", True, "base: a.b"),
        Block("dropped-key", "aws: c (set in y) is gone", "--accept-dropped-keys", True, "aws: c"),
        Block("kubernetes", "outside the range"),
        Block("downgrade", "runs 2024.4", "--allow-downgrade", True, "2024.4 -> 2024.3"),
    ]  # fmt: skip
    assert waivers_of(blocks) == [
        Waiver("dropped-key", "--accept-dropped-keys", ("base: a.b", "aws: c")),
        Waiver("downgrade", "--allow-downgrade", ("2024.4 -> 2024.3",)),
    ]


# --------------------------------------------------------------------------- the lease


OPERATOR = Operator("sre@example.com", "bastion-1", 4242, "0.1.0")


def test_a_lease_message_round_trips_and_lapses() -> None:
    holder = LeaseHolder.start(OPERATOR, "releaser rollout --next", "2024-10-15T09:00:00+00:00", 5400)
    assert holder.until == "2024-10-15T10:30:00+00:00"
    text = holder.message("kuvaq")
    assert text.startswith("releaser lease on kuvaq\n\nactor: sre@example.com\nhost: bastion-1\n")
    assert LeaseHolder.parse(text) == holder
    assert not holder.expired("2024-10-15T10:30:00+00:00")
    assert holder.expired("2024-10-15T10:30:01+00:00")
    assert LeaseHolder.parse("some commit\n\nsince: yesterday\n") is None
    naive = text.replace("+00:00", "")
    assert LeaseHolder.parse(naive) is None


def test_a_taken_lease_names_its_holder_and_exits_5() -> None:
    holder = LeaseHolder.start(OPERATOR, "", "2024-10-15T09:00:00+00:00", 3600)
    err = CustomerBusy("kuvaq", holder)
    assert err.exit_code == 5
    assert err.message == (
        "kuvaq is being rolled out by sre@example.com on bastion-1 (pid 4242) since "
        "2024-10-15T09:00:00+00:00: the lease refs/releaser/lock/kuvaq on its repository is "
        "taken (it holds until 2024-10-15T10:00:00+00:00)"
    )
    assert "--break-lock" in str(err)


def test_an_unreadable_lease_is_named_as_such() -> None:
    err = CustomerBusy("kuvaq", None)
    assert err.message == (
        "kuvaq is being rolled out by a lease releaser cannot read: the lease "
        "refs/releaser/lock/kuvaq on its repository is taken"
    )

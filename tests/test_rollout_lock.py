"""One operator per customer: the lease `refs/releaser/lock/<customer>` on the customer's
remote, refused while another run holds it, taken over when it lapsed, its holder is gone or
`--break-lock` says so, and given back however the rollout ends. Two `rollout --next`
processes at once never take the same customer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from releaser.adapters.customer_lock import GitCustomerLocks
from releaser.adapters.yaml import parse_document
from releaser.domain.fleet import Customer, read_fleet
from releaser.domain.lease import LeaseHolder
from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import (
    TOKEN,
    FleetBed,
    cli,
    commit_count,
    git,
    has_ref,
    make_fleet,
    remote_head,
)

ROOT = Path(__file__).resolve().parents[1]
LOCK = "refs/releaser/lock/kuvaq"
KUVAQ = {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}
MENETEKEL = {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"}

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")




def customer(bed: FleetBed, name: str = "kuvaq") -> Customer:
    fleet = read_fleet(parse_document(bed.fleet.read_text(), str(bed.fleet)))
    return fleet.customer(name)


def other_run(minutes: float, host: str = "bastion-2", pid: int = 4242) -> LeaseHolder:
    """A lease written by another run, lapsing `minutes` from now (negative: lapsed)."""
    since = datetime.now(UTC) - timedelta(hours=2)
    until = datetime.now(UTC) + timedelta(minutes=minutes)
    return LeaseHolder("ops@example.com", host, pid, since.isoformat(timespec="seconds"),
                       until.isoformat(timespec="seconds"), "releaser rollout --next")  # fmt: skip


def lease_of(bed: FleetBed, holder: LeaseHolder) -> str:
    commit = GitCustomerLocks().take(customer(bed), holder.message("kuvaq"), None)
    assert commit is not None and has_ref(bed.remotes["kuvaq"], LOCK)
    return commit


def test_a_held_lease_refuses_with_exit_5_naming_its_holder(
    tmp_path: Path, kit_remote: Path
) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    holder = other_run(minutes=30)
    lease = lease_of(bed, holder)
    before = remote_head(bed.remotes["kuvaq"])

    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")

    assert result.code == 5
    assert (
        f"kuvaq is being rolled out by ops@example.com on bastion-2 (pid 4242) since "
        f"{holder.since}: the lease {LOCK} on its repository is taken (it holds until "
        f"{holder.until})" in result.err
    )
    assert "--break-lock" in result.err
    assert remote_head(bed.remotes["kuvaq"]) == before
    assert git(bed.remotes["kuvaq"], "rev-parse", LOCK) == lease  # not ours to give back
    assert bed.log() == []


@pytest.mark.parametrize(
    ("holder", "args", "accepted"),
    [
        (other_run(minutes=-1), [], "its expiry"),
        (other_run(minutes=30), ["--break-lock"], "--break-lock"),
        (other_run(minutes=30, host=socket.gethostname(), pid=2**22 + 7), [], "its holder's exit"),
    ],
)
def test_a_lapsed_broken_or_orphaned_lease_is_taken_over_and_logged(
    tmp_path: Path, kit_remote: Path, holder: LeaseHolder, args: list[str], accepted: str
) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    lease_of(bed, holder)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", *args)
    assert result.code == 0, result.err
    assert f"  - lease: took over the lease of {holder.describe()}" in result.out
    assert f"(accepted by {accepted})" in result.out
    assert not has_ref(bed.remotes["kuvaq"], LOCK)  # ours, given back
    record = bed.log()[-1]
    assert record["outcome"] == "pushed"
    assert record["waivers"] == [
        {"rule": "lease", "option": accepted, "what": [holder.describe()]}
    ]


def test_the_lease_is_held_while_the_gate_waits_and_given_back_after(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], argocd_url=argocd.url, kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    seen: list[str] = []

    def state(app: str) -> dict[str, object]:
        if has_ref(bare, LOCK):
            seen.append(git(bare, "log", "-1", "--format=%B", LOCK))
        return app_json(app, remote_head(bare), health="Degraded")

    for app in ("core-base", "core-aws", "core-addons"):
        argocd.script(app, lambda app=app: state(app))
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--direct",
                 "--wait", "--poll-interval", "0.05s", env={"KUVAQ_ARGOCD_TOKEN": TOKEN})  # fmt: skip
    assert result.code == 1 and "degraded" in result.out  # a failed gate still gives it back
    assert seen, "the lease was not on the remote during the gate"
    holder = LeaseHolder.parse(seen[0])
    assert holder is not None
    assert (holder.host, holder.pid) == (socket.gethostname(), os.getpid())
    assert holder.command.startswith("releaser --fleet ") and " rollout --customer kuvaq" in holder.command
    assert not has_ref(bare, LOCK)


def test_the_lease_is_given_back_when_the_push_fails(tmp_path: Path, kit_remote: Path) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    hook = bare / "hooks/pre-receive"
    hook.write_text(  # branches are refused; the lease ref is not
        '#!/bin/sh\nwhile read old new ref; do case "$ref" in refs/heads/*) exit 1;; esac; done\n'
    )
    hook.chmod(0o755)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
    assert result.code == 5 and "push of" in result.err
    assert not has_ref(bare, LOCK)
    assert bed.log()[-1]["outcome"] == "error"


def test_two_concurrent_next_runs_never_take_the_same_customer(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    """Two processes start together; the gate keeps each busy for a while, so the second
    finds the first's lease (or, later, its log record) and moves the other customer."""
    bed = make_fleet(tmp_path, [KUVAQ, MENETEKEL], argocd_url=argocd.url, kit_remote=kit_remote)
    release = git(kit_remote, "rev-parse", "refs/heads/release/2024.3")
    for app in ("core-base", "core-aws", "core-addons"):
        busy = [app_json(app, release, health="Progressing", phase="Running")] * 12
        argocd.script(app, *busy, app_json(app, release))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RELEASER_TODAY": "2024-10-15",
           "KUVAQ_ARGOCD_TOKEN": TOKEN, "MENETEKEL_ARGOCD_TOKEN": TOKEN}  # fmt: skip
    args = [sys.executable, "-m", "releaser", "--fleet", str(bed.fleet), "rollout", "--next",
            "--to", "2024.3", "--push", "--wait", "--poll-interval", "0.1s", "--force"]  # fmt: skip
    runs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]  # fmt: skip
    outputs = [run.communicate(timeout=240) for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    moved = sorted(r["customer"] for r in bed.log() if r["outcome"] != "blocked")
    assert moved == ["kuvaq", "menetekel"], bed.log()
    for name, bare in bed.remotes.items():
        work = f"releaser/{name}-2024.3"
        assert commit_count(bare, work) == commit_count(bare) + 1
        assert not has_ref(bare, f"refs/releaser/lock/{name}")


def test_the_lease_ref_is_a_compare_and_swap(tmp_path: Path, kit_remote: Path) -> None:
    """Created only when absent, replaced or deleted only from the commit expected."""
    from releaser.domain.errors import GitError

    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    locks, kuvaq, holder = GitCustomerLocks(), customer(bed), other_run(30)
    first = locks.take(kuvaq, holder.message("kuvaq"), None)
    assert first is not None
    assert locks.take(kuvaq, other_run(30, pid=1).message("kuvaq"), None) is None
    current = locks.current(kuvaq)
    assert current is not None and current[0] == first
    assert LeaseHolder.parse(current[1]) == holder
    second = locks.take(kuvaq, other_run(30, pid=2).message("kuvaq"), first)
    assert second is not None and second != first
    assert locks.take(kuvaq, other_run(30, pid=3).message("kuvaq"), first) is None  # stale view
    with pytest.raises(GitError):
        locks.give_back(kuvaq, first)  # not ours any more: left alone
    assert git(bed.remotes["kuvaq"], "rev-parse", LOCK) == second
    locks.give_back(kuvaq, second)
    assert locks.current(kuvaq) is None

"""kill -9 of `campaign run` mid-wave, then the same command again: the campaign resumes at
the exact next customer and no customer gets a second commit.

The kill comes from outside the product: a `git` wrapper on PATH (tests/gitwrap.py) SIGKILLs
releaser while git pushes the second customer's rollout branch; git runs on, orphaned, as
after a real `kill -9`. The dead run's lease on that customer is taken over by the next run
(its process is gone), and the commit it pushed is reused.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.customerrepo import STORY_DATE, FleetBed, commit_count, has_ref, make_fleet
from tests.gitwrap import GitCall, GitWrap, install

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

ROOT = Path(__file__).resolve().parents[1]
CUSTOMERS = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "1.30"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"},
    {"name": "quill", "version": "2024.2", "kubernetes": "1.30"},
]
ORDER = [c["name"] for c in CUSTOMERS]


def one_wave_fleet(base: Path) -> FleetBed:
    bed = make_fleet(base, CUSTOMERS)
    data = yaml.safe_load(bed.fleet.read_text())
    data["waves"] = [{"name": "all", "select": {"all": True}, "maxParallel": 1}]
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    return bed


def campaign_run(bed: FleetBed, wrap: GitWrap, cache: Path, kill: str | None = None) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RELEASER_TODAY": STORY_DATE,
           "XDG_CACHE_HOME": str(cache), **wrap.env(kill)}  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "--fleet", str(bed.fleet), "campaign", "run", "2024.3"],
        cwd=Path.cwd(), env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode in (0, -9), done.stdout + done.stderr
    return done.returncode


def branch_push(calls: list[GitCall], customer: str) -> int:
    """The call number of the push of `customer`'s rollout branch."""
    return next(
        c.n for c in calls
        if c.sub == "push" and any(f"releaser/{customer}-2024.3" in a for a in c.argv)
    )  # fmt: skip


def work_commits(bed: FleetBed, name: str) -> int:
    branch = f"releaser/{name}-2024.3"
    if not has_ref(bed.remotes[name], f"refs/heads/{branch}"):
        return 0
    return commit_count(bed.remotes[name], branch) - commit_count(bed.remotes[name])


def test_killed_mid_wave_the_campaign_resumes_at_the_next_customer(tmp_path: Path) -> None:
    # A clean run tells which git call pushes menetekel's branch (the calls are the same
    # for the same fleet from an empty cache).
    clean = one_wave_fleet(tmp_path / "clean")
    probe = install(tmp_path / "probe")
    assert campaign_run(clean, probe, tmp_path / "cache-clean") == 0
    point = branch_push(probe.calls(), "menetekel")

    bed = one_wave_fleet(tmp_path / "bed")
    wrap = install(tmp_path / "wrap")
    cache = tmp_path / "cache"
    assert campaign_run(bed, wrap, cache, kill=f"during:{point}") == -9
    rolled_before = [r["customer"] for r in bed.log() if r.get("kind") == "rollout"]
    assert rolled_before == ["kuvaq"]  # menetekel was mid-push: no record
    assert has_ref(bed.remotes["menetekel"], "refs/releaser/lock/menetekel")  # the dead run's

    assert campaign_run(bed, install(tmp_path / "again"), cache) == 0
    records = [r for r in bed.log() if r.get("kind") == "rollout"]
    assert [r["customer"] for r in records] == ORDER  # each once, from the exact next one
    menetekel = records[1]
    assert menetekel["created"] is False  # the pushed commit was found and reused
    assert menetekel["waivers"][0]["option"] == "its holder's exit"
    assert all(work_commits(bed, name) == 1 for name in ORDER)
    assert not any(has_ref(bed.remotes[n], f"refs/releaser/lock/{n}") for n in ORDER)
    events = [r["event"] for r in bed.log() if r.get("kind") == "campaign"]
    assert events == ["started", "wave-started", "wave-finished", "finished"]

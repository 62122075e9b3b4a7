"""kill -9 of releaser before and during its git calls, injected by a `git` wrapper on PATH.

For `cut --push`, `hotfix --push` and `rollout --push`: a clean run records every git call;
then, from a fresh start each time, releaser is killed before and during each git call (CI,
GIT_KILL_EVERY_CALL=1) or a sample of them (locally, see `kill_points`), and the same command
is run again. It must complete; the end state must equal the clean run's exactly (commit dates are
pinned, so commits are byte-identical); no lock or half clone survives; no push is forced.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from releaser.adapters.git_cache import CacheRepo
from releaser.app.cut import CutRequest, cut
from tests.customerrepo import STORY_DATE, FleetBed, git_files, make_fleet, make_kit_remote
from tests.gitwrap import GitCall, GitWrap, forced_pushes, install
from tests.kitrepo import git, make_bare_remote, make_kit_repo
from tests.release_helpers import deps_for, refs, tree_files

# The gates of cut and rollout judge every component: serve their repositories locally.
pytestmark = pytest.mark.usefixtures("readable_upstreams")

ROOT = Path(__file__).resolve().parents[1]
PINNED_DATE = f"{STORY_DATE}T10:00:00+00:00"
WRITES = ("init", "fetch", "hash-object", "commit-tree", "update-ref", "checkout", "push")
KUVAQ = {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}
WORK = "releaser/kuvaq-2024.3"
ROLLOUT = ("rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
HOTFIX = ("hotfix", "2024.1", "--set", "cert-manager=v1.20.3", "--push")

State = tuple[object, ...]


@pytest.fixture(autouse=True)
def _pinned_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Same inputs, same dates: every commit of every run is byte-identical."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", PINNED_DATE)
    monkeypatch.setenv("GIT_COMMITTER_DATE", PINNED_DATE)
    monkeypatch.setenv("RELEASER_TODAY", STORY_DATE)


def run(cwd: Path, wrap: GitWrap, args: tuple[str, ...], kill: str | None = None) -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **wrap.env(kill)}
    done = subprocess.run(
        [sys.executable, "-m", "releaser", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode in (0, -9), done.stderr
    return done.returncode


def leftovers(*roots: Path) -> list[str]:
    """Lock files and temporary packs anywhere below `roots`."""
    found = []
    for root in roots:
        for path in root.rglob("*"):
            if path.name.endswith(".lock") or path.name.startswith("tmp_"):
                found.append(str(path))
    return found


def kill_then_rerun(
    tmp_path: Path,
    prepare: Callable[[Path], Path],
    args: tuple[str, ...],
    state: Callable[[Path], State],
) -> None:
    """The clean run, then one killed run and its rerun from a fresh start per kill point."""
    clean_dir = tmp_path / "clean"
    wrap = install(clean_dir)
    cwd = prepare(clean_dir)
    assert run(cwd, wrap, args) == 0
    expected, calls = state(cwd), wrap.calls()
    assert forced_pushes(calls) == []
    points = kill_points(calls)
    assert points, [c.text for c in calls]
    print(f"{' '.join(args)}: {len(calls)} git calls, {len(points)} kill points")
    for index, point in enumerate(points):
        base = tmp_path / f"k{index}"
        wrap = install(base)
        cwd = prepare(base)
        assert run(cwd, wrap, args, kill=point) == -9, point
        assert run(cwd, wrap, args) == 0, point
        assert state(cwd) == expected, point
        assert leftovers(base) == [], point
        assert forced_pushes(wrap.calls()) == [], point


def kill_points(calls: list[GitCall]) -> list[str]:
    """Every git call, before and during, with GIT_KILL_EVERY_CALL=1 (CI sets it); else a
    sample: before the first call of each write-type subcommand, each ref move and the last
    commit written; during the last fetch and the last push (whatever runs on after)."""
    if os.environ.get("GIT_KILL_EVERY_CALL") == "1":
        numbers = [c.n for c in calls]
        return [f"before:{n}" for n in numbers] + [f"during:{n}" for n in numbers]
    kinds = [(_kind(c), c.n) for c in calls]
    firsts: dict[str, int] = {}
    lasts: dict[str, int] = {}
    for kind, number in kinds:
        if kind in WRITES:
            firsts.setdefault(kind, number)
            lasts[kind] = number
    before = {*firsts.values(), *(n for k, n in kinds if k == "update-ref")}
    before |= {lasts[k] for k in ("commit-tree",) if k in lasts}
    during = {lasts[k] for k in ("fetch", "push") if k in lasts}
    return [f"before:{n}" for n in sorted(before)] + [f"during:{n}" for n in sorted(during)]


def _kind(call: GitCall) -> str:
    """A checkout update (`read-tree -u`) writes; a temporary index (`read-tree`) does not."""
    if call.sub == "read-tree":
        return "checkout" if "-u" in call.argv else "index"
    return call.sub


# --------------------------------------------------------------------------- cut and hotfix


def new_kit(base: Path) -> Path:
    kit = make_kit_repo(base / "kit")
    make_bare_remote(base / "remote.git", kit)
    return kit


def released_kit(base: Path) -> Path:
    kit = new_kit(base)
    cut(CutRequest("2024.1", push=True), deps_for(kit))
    return kit


def kit_state(kit: Path) -> State:
    heads = {k: v for k, v in refs(kit).items() if k.startswith("refs/heads/")}
    status = git(kit, "status", "--porcelain")
    return heads, refs(kit.parent / "remote.git"), tree_files(kit), status


def test_cut_killed_at_any_git_call_is_finished_by_the_same_command(tmp_path: Path) -> None:
    args = ("cut", "2024.1", "--push")
    kill_then_rerun(tmp_path, new_kit, args, kit_state)


def test_hotfix_killed_at_any_git_call_is_finished_by_the_same_command(tmp_path: Path) -> None:
    kill_then_rerun(tmp_path, released_kit, HOTFIX, kit_state)


# --------------------------------------------------------------------------- rollout


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_AUTHOR_DATE", PINNED_DATE)
        patch.setenv("GIT_COMMITTER_DATE", PINNED_DATE)
        yield make_kit_remote(tmp_path_factory.mktemp("kit"))


def test_rollout_killed_at_any_git_call_is_finished_by_the_same_command(
    tmp_path: Path, kit_remote: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    beds: dict[Path, FleetBed] = {}

    def prepare(base: Path) -> Path:
        monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
        bed = make_fleet(base, [KUVAQ], kit_remote=kit_remote)
        beds[bed.root] = bed
        return bed.root

    def state(cwd: Path) -> State:
        bed = beds[cwd]
        caches = [p for kind in ("customers", "kits") for p in _clones(bed.root, kind)]
        assert all(CacheRepo(p).intact() for p in caches), caches
        bare, record = bed.remotes["kuvaq"], bed.log()[-1]
        assert record["commit"] == git(bare, "rev-parse", WORK)
        files = {
            k: v.replace(bare.as_uri().encode(), b"URL") for k, v in git_files(bare, WORK).items()
        }
        history = git(bare, "log", "--format=%s%n%b", WORK)
        return sorted(refs(bare)), files, history, record["outcome"], len(caches)

    checkout = kit_remote.parent / "kit"  # the compatibility gate reads the kit's settings
    args = ("--kit", str(checkout), "--fleet", "ops/fleet.yaml", *ROLLOUT)
    kill_then_rerun(tmp_path, prepare, args, state)


def _clones(base: Path, kind: str) -> list[Path]:
    folder = base / "cache" / "releaser" / kind
    return sorted(folder.iterdir()) if folder.is_dir() else []

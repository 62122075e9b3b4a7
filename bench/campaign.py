"""Benchmark: campaigns at fleet scale, in one run.

- `campaign plan` over 1,000 customers whose repositories are local bare remotes (file://),
  cold (empty clone cache) and warm (every clone checked against its remote, unchanged), each
  in a fresh `releaser` process; target for warm: <= 10 s.
- the same plan over 5,000 synthetic customers (in-process, repositories served from memory:
  what the plan itself costs without git); baseline: the 1,000 warm figure per customer.
- `rollout --status` over the 1,000 customers, warm; target <= 10 s.
- a dry-run preflight (`campaign plan`) of 200 customers, serial (`--parallel 1`) against
  parallel (`--parallel 8`); target: parallel >= 3x faster. Timed as whole processes, then
  as the preflight phase alone (in this process, warm: no start-up, kit or engine loading),
  with the CPU seconds releaser and its git children used: work that is all CPU cannot run
  faster than its CPU time over the cores.

The customer remotes share the objects of three template repositories (one per kit version)
through `objects/info/alternates`: each is a few small files, so 1,000 take a second to make.
The chart indexes are the real upstream files served on 127.0.0.1 (RELEASER_MIRRORS).

    python bench/campaign.py [--customers 1000] [--synthetic 5000] [--preflight 200]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from releaser.domain.fleet import Customer  # noqa: E402
from tests.customerrepo import KIT_URL, STORY_DATE, make_kit_remote, write_customer  # noqa: E402
from tests.helmrepos import serve_repos, write_mirrors  # noqa: E402
from tests.kitrepo import commit_all, git, init_repo  # noqa: E402
from tests.servers import FileServer  # noqa: E402
from tests.upstream import UPSTREAM  # noqa: E402

VERSIONS = ("2024.1", "2024.2", "2024.3")
KUBERNETES = ("1.29", "1.30", "1.31")


# --------------------------------------------------------------------------- the fleet


def templates(base: Path) -> dict[str, tuple[Path, str]]:
    """One bare repository per kit version: (its path, the commit of main)."""
    made = {}
    for version in VERSIONS:
        work = init_repo(base / f"template-{version}-src")
        bare = base / f"template-{version}.git"
        write_customer(work, "customer", version, bare.as_uri())
        commit_all(work, f"manifests on {version}")
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
        made[version] = (bare, git(bare, "rev-parse", "refs/heads/main"))
    return made


def shared_remote(path: Path, template: Path, commit: str) -> None:
    """A bare repository borrowing every object from `template` (git's alternates)."""
    for folder in ("objects/info", "refs/heads", "refs/tags"):
        (path / folder).mkdir(parents=True)
    (path / "HEAD").write_text("ref: refs/heads/main\n")
    (path / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
    (path / "objects/info/alternates").write_text(f"{template / 'objects'}\n")
    (path / "refs/heads/main").write_text(f"{commit}\n")


def fleet_file(base: Path, kit: Path, count: int, repo_of: dict[int, str], name: str) -> Path:
    lines = ["kit:", f"  repoURL: {KIT_URL}", f"  remote: {kit.as_uri()}", "customers:"]
    for index in range(count):
        lines += [
            f"  - name: customer-{index:04d}",
            f"    repo: {repo_of.get(index, f'file:///nonexistent/customer-{index}.git')}",
            "    path: argocd",
            f"    kubernetes: '{KUBERNETES[index % 3]}'",
            f"    labels: {{ring: r{index % 4}}}",
        ]
    lines += [
        "waves:",
        "  - {name: canary, select: {names: [customer-0000]}, soak: 30m}",
        "  - {name: early, select: {labels: {ring: r1}}, maxParallel: 10, maxFailures: 2}",
        "  - {name: rest, select: {all: true}, maxParallel: 25, maxFailures: 5}",
    ]
    path = base / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_fleet(base: Path, kit: Path, count: int) -> Path:
    made = templates(base)
    repos = {}
    for index in range(count):
        template, commit = made[VERSIONS[index % 3]]
        remote = base / "remotes" / f"customer-{index:04d}.git"
        shared_remote(remote, template, commit)
        repos[index] = remote.as_uri()
    return fleet_file(base, kit, count, repos, f"fleet-{count}.yaml")


# --------------------------------------------------------------------------- timing


def timed(args: list[str], fleet: Path, env: dict[str, str], cwd: Path) -> float:
    return timed_cpu(args, fleet, env, cwd)[0]


def timed_cpu(
    args: list[str], fleet: Path, env: dict[str, str], cwd: Path
) -> tuple[float, float]:
    """Wall seconds of one `releaser` process, and the CPU seconds it and its git children
    used (the floor of what any parallelism can reach is that CPU time over the cores)."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "--fleet", str(fleet), "--json", *args],
        env=env, cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 4):  # 4: an upstream the kit names is not mirrored here
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    after = os.times()
    return elapsed, after.children_user - before.children_user + after.children_system - (
        before.children_system
    )


def synthetic_plan(base: Path, kit: Path, count: int, env: dict[str, str]) -> float:
    """`campaign plan` in this process over `count` customers served from memory."""
    os.environ.update(env)
    from releaser.app.campaign import CampaignPorts, plan_campaign
    from releaser.cli.container import Container
    from releaser.cli.context import GlobalOptions
    from releaser.domain.versions import KitVersion

    fleet_path = fleet_file(base, kit, count, {}, f"fleet-{count}.yaml")
    parts = Container(GlobalOptions(fleet=fleet_path))
    manifests = _manifests(base / "synthetic")
    ports = replace(parts.rollout_ports(), repos=MemoryRepos(manifests))
    now = datetime(2024, 10, 15, tzinfo=UTC)
    started = time.perf_counter()
    plan = plan_campaign(parts.fleet, KitVersion.parse("2024.3"), CampaignPorts(ports, now))
    elapsed = time.perf_counter() - started
    assert sum(len(w.customers) for w in plan.waves) == count
    return elapsed


def preflight_phase(fleet: Path, cwd: Path, workers: int) -> tuple[float, float, float]:
    """`campaign plan`'s preflight of every customer in this process, `workers` threads,
    after a warm-up run: wall seconds, then this process's and its git children's CPU."""
    from releaser.app.campaign import preflight_all, shared_in_turns
    from releaser.cli.container import Container
    from releaser.cli.context import GlobalOptions
    from releaser.domain.progress import NoProgress
    from releaser.domain.versions import KitVersion

    with contextlib.chdir(cwd):
        parts = Container(GlobalOptions(fleet=fleet))
        ports = shared_in_turns(parts.rollout_ports())
        target = KitVersion.parse("2024.3")

        def run() -> None:
            preflight_all(parts.fleet, target, ports, workers, NoProgress())

        run()  # the kit, the compatibility engine and every clone are ready after this
        return _measured(run)


def _measured(work: Callable[[], None]) -> tuple[float, float, float]:
    def cpu(who: int) -> float:
        used = resource.getrusage(who)
        return used.ru_utime + used.ru_stime

    own, children = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started
    return elapsed, cpu(resource.RUSAGE_SELF) - own, cpu(resource.RUSAGE_CHILDREN) - children


def _manifests(base: Path) -> dict[str, dict[str, bytes]]:
    out = {}
    for version in VERSIONS:
        folder = base / version
        write_customer(folder, "customer", version, "file:///synthetic.git")
        out[version] = {
            p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
        }
    return out


class MemorySnapshot:
    def __init__(self, files: dict[str, bytes], commit: str) -> None:
        self._files, self.commit, self.parent = files, commit, None

    def files(self, under: str) -> list[str]:
        prefix = under.rstrip("/") + "/" if under else ""
        return [p for p in self._files if p.startswith(prefix)]

    def read(self, paths: list[str]) -> dict[str, bytes]:
        return {p: self._files[p] for p in paths}


class MemoryRepo:
    def __init__(self, snapshot: MemorySnapshot) -> None:
        self._snapshot = snapshot

    def base(self) -> MemorySnapshot:
        return self._snapshot

    def remote_work(self) -> None:
        return None

    def local_work(self) -> None:
        return None

    def commit(self, base: str, files: object, message: str) -> str:
        raise NotImplementedError("a plan never commits")

    def push(self, commit: str, branch: str) -> None:
        raise NotImplementedError("a plan never pushes")


class MemoryRepos:
    def __init__(self, manifests: dict[str, dict[str, bytes]]) -> None:
        self._snapshots = {v: MemorySnapshot(f, f"{i:040x}") for i, (v, f) in
                           enumerate(manifests.items())}  # fmt: skip

    def open(self, customer: Customer, work_branch: str | None = None) -> MemoryRepo:
        index = int(customer.name.rsplit("-", 1)[1])
        return MemoryRepo(self._snapshots[VERSIONS[index % 3]])


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--synthetic", type=int, default=5000)
    parser.add_argument("--preflight", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="releaser-bench-") as tmp, FileServer() as server:
        base = Path(tmp)
        serve_repos(server, UPSTREAM / "helm-repos")
        cwd = base / "cwd"  # an empty checkout: no core/compatibility.yaml of this project
        cwd.mkdir()
        subprocess.run(["git", "init", "-q", str(cwd)], check=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(base / "cache"),
               "RELEASER_TODAY": STORY_DATE, "RELEASER_HTTP_RETRIES": "0",
               "RELEASER_MIRRORS": str(write_mirrors(base / "mirrors.yaml", server))}  # fmt: skip
        for key in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
            env.setdefault(key, "bench")
        for key in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
            env.setdefault(key, "bench@example.com")
        os.environ.update({k: v for k, v in env.items() if k.startswith("GIT_")})
        started = time.perf_counter()
        kit = make_kit_remote(base)
        fleet = build_fleet(base, kit, args.customers)
        small = build_fleet(base / "small", kit, args.preflight)
        print(f"built {args.customers} + {args.preflight} customer remotes "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        n = args.customers
        plan = ["campaign", "plan", "2024.3", "--parallel", "8"]
        cold = timed(plan, fleet, env, cwd)
        print(f"campaign plan, {n} customers, cold cache: {cold:.1f} s")
        warm = timed(plan, fleet, env, cwd)
        print(f"campaign plan, {n} customers, warm cache: {warm:.1f} s (target <= 10 s)")
        synthetic = synthetic_plan(base, kit, args.synthetic, env)
        per = warm / n * args.synthetic
        print(f"campaign plan, {args.synthetic} synthetic customers (no git): {synthetic:.1f} s "
              f"(baseline: {per:.1f} s, the warm plan's time per customer x {args.synthetic})")  # fmt: skip
        status = timed(["rollout", "--status"], fleet, env, cwd)
        print(f"rollout --status, {n} customers, warm cache: {status:.1f} s (target <= 10 s)")
        timed(plan, small, env, cwd)  # warm the small fleet's clones
        serial, cpu = timed_cpu([*plan[:3], "--parallel", "1"], small, env, cwd)
        parallel = timed(plan, small, env, cwd)
        print(f"dry-run preflight, {args.preflight} customers: serial {serial:.1f} s, "
              f"parallel (8) {parallel:.1f} s, {serial / parallel:.1f}x (target >= 3x)")  # fmt: skip
        cores, load = os.cpu_count() or 1, os.getloadavg()[0]
        print(f"  the serial run used {cpu:.1f} CPU s (releaser and git) on {cores} cores at "
              f"load {load:.1f}: no parallelism beats {cpu / cores:.1f} s here, "
              f"{serial / max(cpu / cores, 0.01):.1f}x at best")  # fmt: skip
        one, own, git_cpu = preflight_phase(small, cwd, 1)
        eight, own8, git8 = preflight_phase(small, cwd, 8)
        floor = max((own + git_cpu) / cores, own)  # releaser's own share holds one GIL
        load = os.getloadavg()[0]
        print(f"  the preflight phase alone (in-process, warm): serial {one:.2f} s, parallel (8) "
              f"{eight:.2f} s, {one / eight:.1f}x; serial CPU {own:.2f} s releaser + "
              f"{git_cpu:.2f} s git (parallel {own8:.2f} + {git8:.2f}); at load {load:.1f} "
              f"on {cores} cores no parallelism beats {floor:.2f} s, "
              f"{one / max(floor, 0.01):.1f}x at best")  # fmt: skip


if __name__ == "__main__":
    main()

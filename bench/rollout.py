"""Benchmark: `releaser rollout --status` over a fleet of 200 customers whose repositories
are local bare git remotes (file://). Prints the wall time of a cold run (empty clone cache)
and of warm runs (every clone checked against its unchanged remote), each in a fresh
`releaser` process.

    python bench/rollout.py [--customers 200] [--runs 3]

Target (issue 6): <= 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.customerrepo import KIT_URL, make_kit_remote, write_customer  # noqa: E402
from tests.kitrepo import commit_all, init_repo  # noqa: E402


def build_fleet(base: Path, count: int) -> Path:
    kit = make_kit_remote(base)  # status reads each release's core/kit.yaml version
    lines = ["kit:", f"  repoURL: {KIT_URL}", f"  remote: {kit.as_uri()}", "customers:"]
    for index in range(count):
        name = f"customer-{index:03d}"
        bare = base / f"{name}.git"
        work = init_repo(base / f"{name}-src")
        write_customer(work, name, f"2024.{1 + index % 3}", bare.as_uri())
        commit_all(work, f"{name}: manifests")
        subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
        lines += [
            f"  - name: {name}",
            f"    repo: {bare.as_uri()}",
            "    path: argocd",
            f"    kubernetes: v1.3{index % 3}.4-eks-a737599",
        ]
    fleet = base / "fleet.yaml"
    fleet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return fleet


def timed_status(fleet: Path, env: dict[str, str]) -> tuple[float, list[dict[str, object]]]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "--fleet", str(fleet), "--json", "rollout", "--status"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"rollout --status failed ({done.returncode}): {done.stderr}")
    return elapsed, json.loads(done.stdout)["customers"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="releaser-bench-") as tmp:
        base = Path(tmp)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(base / "cache")}
        env.setdefault("GIT_AUTHOR_NAME", "bench")
        env.setdefault("GIT_AUTHOR_EMAIL", "bench@example.com")
        env.setdefault("GIT_COMMITTER_NAME", "bench")
        env.setdefault("GIT_COMMITTER_EMAIL", "bench@example.com")
        os.environ.update({k: env[k] for k in env if k.startswith("GIT_")})
        started = time.perf_counter()
        fleet = build_fleet(base, args.customers)
        print(f"built {args.customers} customer repositories in {time.perf_counter() - started:.1f} s")
        cold, rows = timed_status(fleet, env)
        versions = sorted({str(r["version"]) for r in rows})
        print(f"rollout --status, cold cache: {cold:.2f} s ({len(rows)} customers, versions {versions})")
        warm = [timed_status(fleet, env)[0] for _ in range(args.runs)]
        print(f"rollout --status, warm cache: best {min(warm):.2f} s, worst {max(warm):.2f} s "
              f"over {args.runs} runs (target <= 5 s)")  # fmt: skip


if __name__ == "__main__":
    main()

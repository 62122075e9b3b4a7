"""`releaser demo` as a newcomer runs it: a real process, offline, every step succeeding."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_demo_walks_through_the_release_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "sandbox"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "demo", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    for step in (
        "$ releaser check",
        "$ releaser plan --apply",
        "$ releaser cut 2026.4 --push",
        "$ releaser rollout --customer kuvaq --to 2026.4 --push",
        "$ releaser report 2026.4 --format md",
    ):
        assert step in out
    assert "kuvaq: 2026.3 → 2026.4: pushed" in out
    assert "menetekel" in out and "Done in" in out
    html = (target / "report-2026.4.html").read_text(encoding="utf-8")
    assert 'id="compat-matrix"' in html
    branches = subprocess.run(
        ["git", "branch", "--list", "releaser/*"],
        cwd=target / "remotes/kuvaq-gitops.git",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "releaser/kuvaq-2026.4" in branches
    kit_branches = subprocess.run(
        ["git", "branch", "--list", "release/*"],
        cwd=target / "remotes/core-kit.git",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "release/2026.4" in kit_branches
    # The local Helm repository server is gone with the demo.
    mirror = next(iter(yaml.safe_load((target / "mirrors.yaml").read_text()).values()))
    port = int(mirror.split(":")[2].split("/")[0])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_demo_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "demo", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "is not empty" in done.stderr

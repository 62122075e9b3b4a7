"""A fleet whose customers roll out through pull/merge requests, for tests/test_rollout_pr*.py:
the kit remote with a changelog on its release branches, `review:` blocks pointing at the
emulators of tests/review_server.py, and the Argo CD emulator following the customer's
branch (what Argo CD watches), so the gate sees what the merge landed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import TOKEN, FleetBed, cli, make_kit_remote, remote_head
from tests.kitrepo import commit_all, git

REVIEW_TOKEN = "rvw-s3cr3t-code-host-token"
APPS = ("core-base", "core-aws", "core-addons")
BRANCH = "releaser/kuvaq-2024.3"

# Upstream-looking text in the kit changelog: it must reach the description inert.
CHANGELOG = """\
# Changelog

## 2024.3

- cert-manager v1.20.0 → v1.21.0 ([notes](https://github.com/cert-manager/cert-manager/releases))
- <img src=x onerror=alert(1)> [click](javascript:alert(1))

## 2024.2.1

- ingress-nginx 4.11.2 → 4.11.3 (hotfix)

## 2024.2

- first release on Kubernetes 1.31

## 2024.1

- the beginning
"""


def kit_with_changelog(base: Path) -> Path:
    """The test kit remote with CHANGELOG.md entries on release/2024.3."""
    bare = make_kit_remote(base)
    work = base / "kit"
    git(work, "checkout", "-q", "release/2024.3")
    (work / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    commit_all(work, "Changelog of 2024.3")
    git(work, "push", "-q", str(bare), "release/2024.3")
    return bare


def env(**extra: str) -> dict[str, str]:
    return {"KUVAQ_ARGOCD_TOKEN": TOKEN, "KUVAQ_REVIEW_TOKEN": REVIEW_TOKEN, **extra}


def set_review(bed: FleetBed, customer: str, review: dict[str, Any]) -> None:
    data = yaml.safe_load(bed.fleet.read_text())
    for entry in data["customers"]:
        if entry["name"] == customer:
            entry["review"] = review
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def follow_branch(argocd: ArgoCdEmulator, bare: Path, branch: str = "main") -> None:
    """Every app healthy on whatever the customer's branch points at when asked."""
    for app in APPS:
        argocd.script(app, lambda app=app: app_json(app, remote_head(bare, branch)))


def rollout_pr(bed: FleetBed, *extra: str, environment: dict[str, str] | None = None) -> Any:
    args = ["--json", "rollout", "--customer", "kuvaq", "--to", "2024.3", "--pr",
            "--poll-interval", "0.05s"]  # fmt: skip
    return cli(bed, *args, *extra, env=environment or env())

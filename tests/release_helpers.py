"""Helpers for the cut / hotfix / releases tests: real repositories, in-test ports, snapshots."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from releaser.adapters.git_repo import GitRepo
from releaser.adapters.yaml import parse_document
from releaser.app.release_context import ReleaseDeps
from releaser.domain.charts import ChartChange
from releaser.domain.kit import Component, Kit
from releaser.domain.unverified import Unverified
from releaser.render.changelog import ChangelogTemplate
from tests.kitrepo import git

ROOT = Path(__file__).resolve().parents[1]
FIXED_DAY = date(2024, 9, 12)


@dataclass
class FixedClock:
    day: date = FIXED_DAY

    def today(self) -> date:
        return self.day


@dataclass
class RuleGate:
    """A real (if tiny) compatibility gate: a component fails when its version is listed."""

    failing: dict[str, str] = field(default_factory=dict)  # component -> version that fails
    warns: list[str] = field(default_factory=list)
    unread: list[Unverified] = field(default_factory=list)  # components it cannot judge

    def failures(self, kit: Kit) -> list[str]:
        return [
            f"{c.name} {c.version}: excluded on Kubernetes {kit.kubernetes.max} by its kubeVersion"
            for c in kit
            if self.failing.get(c.name) == c.version
        ]

    def warnings(self, kit: Kit) -> list[str]:
        return list(self.warns)

    def unverified(self, kit: Kit) -> list[Unverified]:
        return [u for u in self.unread if kit.component(u.component) is not None]

    def summary(self, kit: Kit) -> str:
        return f"compatibility gate: Kubernetes {kit.kubernetes} (a rule table)"


@dataclass
class TableChanges:
    """Upstream notes from a table: component -> to_version -> changes."""

    table: dict[str, dict[str, list[ChartChange]]] = field(default_factory=dict)

    def changes(
        self, component: Component, from_version: str, to_version: str
    ) -> list[ChartChange]:
        return list(self.table.get(component.name, {}).get(to_version, []))


def deps_for(
    kit: Path,
    gate: RuleGate | None = None,
    changes: TableChanges | None = None,
    day: date = FIXED_DAY,
) -> ReleaseDeps:
    return ReleaseDeps(
        repo=GitRepo(kit),
        parse=parse_document,
        render=ChangelogTemplate(kit),
        clock=FixedClock(day),
        compat=gate or RuleGate(),
        changes=changes or TableChanges(),
    )


def refs(repo: Path) -> dict[str, str]:
    out = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    return dict(line.split(" ", 1) for line in out.splitlines())


def tree_files(root: Path) -> dict[str, str]:
    """Every file of a checkout (outside .git) with a hash of its bytes."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] != ".git":
            found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def objects(repo: Path) -> str:
    return git(repo, "count-objects", "-v")


def snapshot(kit: Path, remote: Path | None = None) -> tuple[object, ...]:
    parts: tuple[object, ...] = (
        refs(kit),
        tree_files(kit),
        objects(kit),
        git(kit, "status", "--porcelain"),
    )
    return parts + ((refs(remote), objects(remote)) if remote else ())


def show(repo: Path, ref: str, path: str) -> str:
    return subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def run_cli(
    kit: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m releaser` in a subprocess (for the kill tests: a real process dies)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "releaser", "--kit", str(kit), *args],
        cwd=kit,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


INDEX_FILES = {
    "ingress-nginx": "ingress-nginx.index.yaml",
    "external-dns": "external-dns.index.yaml",
    "argo-cd": "argo.index.yaml",
    "aws-ebs-csi-driver": "aws-ebs-csi-driver.index.yaml",
}


def _change(item: object) -> ChartChange:
    if isinstance(item, dict):
        links = tuple(
            str(link.get("url")) for link in item.get("links") or [] if isinstance(link, dict)
        )
        return ChartChange(str(item.get("kind") or ""), str(item.get("description") or ""), links)
    return ChartChange("", str(item))


@dataclass
class IndexChanges:
    """`artifacthub.io/changes` read from the real Helm index files (tests/upstream.py)
    (what the check helper's sources will provide): every release after `from` up to `to`."""

    helm_repos: Path

    def changes(
        self, component: Component, from_version: str, to_version: str
    ) -> list[ChartChange]:
        import yaml

        from releaser.domain.versions import ChartVersion

        file = INDEX_FILES.get(component.chart)
        if file is None:
            return []
        index = yaml.load((self.helm_repos / file).read_text(), Loader=yaml.CSafeLoader)
        low, high = ChartVersion.parse(from_version), ChartVersion.parse(to_version)
        entries = sorted(
            (
                e
                for e in index["entries"][component.chart]
                if low < ChartVersion.parse(e["version"]) <= high
            ),
            key=lambda e: ChartVersion.parse(e["version"]),
        )
        found: list[ChartChange] = []
        for entry in entries:
            raw = (entry.get("annotations") or {}).get("artifacthub.io/changes")
            found += [_change(item) for item in yaml.safe_load(raw) or []] if raw else []
        return found


@dataclass
class Fleet:
    """`CustomerVersions` with fixed answers: customer -> the kit branch it references."""

    refs: dict[str, str]

    def versions(self) -> dict[str, str]:
        return dict(self.refs)

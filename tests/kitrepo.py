"""Tiny helpers that build real kit repositories (and bare remotes) in temporary dirs."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

DEFAULT_COMPONENTS: dict[str, dict[str, dict[str, Any]]] = {
    "base": {
        "cert-manager": {
            "repoURL": "https://charts.jetstack.io",
            "chart": "cert-manager",
            "version": "v1.20.2",
            "namespace": "cert-manager",
            "values": {"crds": {"enabled": True}},
        },
        "ingress-nginx": {
            "repoURL": "https://kubernetes.github.io/ingress-nginx",
            "chart": "ingress-nginx",
            "version": "4.14.1",
            "namespace": "ingress-nginx",
            "values": {"controller": {"replicaCount": 2}},
        },
    },
    "aws": {
        "cluster-autoscaler": {
            "repoURL": "https://kubernetes.github.io/autoscaler",
            "chart": "cluster-autoscaler",
            "version": "9.50.0",
            "namespace": "kube-system",
            "values": {},
        },
    },
    "gcp": {},
    "addons": {
        "external-dns": {
            "repoURL": "https://kubernetes-sigs.github.io/external-dns/",
            "chart": "external-dns",
            "version": "1.19.0",
            "namespace": "external-dns",
            "values": {"txtOwnerId": "kit"},
        },
    },
}


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def write_kit(
    root: Path,
    components: dict[str, dict[str, dict[str, Any]]] | None = None,
    kubernetes: tuple[str, str] = ("1.35", "1.36"),
    version: str | None = None,
    app_enabled: list[str] | None = None,
) -> None:
    """Write a minimal but complete kit under `root/core`."""
    kit: dict[str, Any] = {"name": "test-kit"}
    if version:
        kit["version"] = version
    kit["kubernetes"] = {"min": kubernetes[0], "max": kubernetes[1]}
    kit["providers"] = ["aws", "gcp"]
    write_yaml(root / "core/kit.yaml", kit)
    for section, items in (components or DEFAULT_COMPONENTS).items():
        values: dict[str, Any] = {"global": {"domain": "example.com"}, "components": items}
        if section == "addons":
            values["appEnabled"] = app_enabled or []
        write_yaml(root / f"core/{section}/values.yaml", values)
        write_yaml(
            root / f"core/{section}/Chart.yaml",
            {"apiVersion": "v2", "name": f"core-{section}", "version": "0.1.0"},
        )
    changelog = root / "CHANGELOG.md"
    if not changelog.exists():
        changelog.write_text("# Changelog\n", encoding="utf-8")


def init_repo(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    return root


def commit_all(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


def make_kit_repo(root: Path, **kit: Any) -> Path:
    """A git repository holding a kit, with one commit on main."""
    init_repo(root)
    write_kit(root, **kit)
    commit_all(root, "initial kit")
    return root


def make_bare_remote(path: Path, source: Path, name: str = "origin") -> Path:
    """A bare clone of `source`, wired as its remote `name` (over file://)."""
    subprocess.run(["git", "clone", "-q", "--bare", str(source), str(path)], check=True)
    git(source, "remote", "add", name, path.as_uri())
    git(source, "fetch", "-q", name)
    return path

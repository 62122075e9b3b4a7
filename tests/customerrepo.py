"""Customer GitOps repositories for tests: messy real-world-looking Argo CD manifests in a real
git repository, published as a bare remote over file://."""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.kitrepo import (
    DEFAULT_COMPONENTS,
    commit_all,
    git,
    init_repo,
    make_bare_remote,
    make_kit_repo,
    write_kit,
)

KIT_URL = "https://github.com/example/core-kit.git"

# An app-of-apps style file: comments everywhere, odd quoting, a flow mapping, a CRLF-free
# but non-ASCII comment, a non-kit Application in between, keys in unusual order.
APPS = """\
# Core kit for {name} — managed by the platform team (do not edit by hand ✋)
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: core-base
  namespace: argocd
  annotations: {{argocd.argoproj.io/sync-wave: "-1"}}
spec:
  project: default
  source:
    targetRevision: {q}release/{version}{q}    # the kit version
    repoURL: git@GitHub.com:example/core-kit   # ssh spelling of the same repo
    path: core/base
    helm:
      valuesObject:
        global:
          domain: {name}.example.com
        components:
          ingress-nginx:
            values:
              controller: {{replicaCount: 3}}
  destination: {{server: "https://kubernetes.default.svc", namespace: argocd}}
---
# not the kit: must stay untouched
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: grafana-dashboards}}
spec:
  source:
    repoURL: https://github.com/example/dashboards.git
    targetRevision: release/{version}
    path: .
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: core-aws
spec:
  sources:
    - repoURL: 'https://github.com/example/core-kit.git/'
      path: 'core/aws'
      targetRevision: "release/{version}"
      helm:
        valueFiles:
          - $values/values/aws.yaml
    - repoURL: {repo}
      targetRevision: main
      ref: values
    - chart: extra
      repoURL: https://charts.example.com
      targetRevision: 1.2.3
"""

ADDONS = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: core-addons
spec:
  generators:
    - list:
        elements: [{{cluster: in-cluster}}]
  template:
    metadata:
      name: 'core-addons-{{{{cluster}}}}'
    spec:
      project: default
      source:
        repoURL: HTTPS://GITHUB.COM/example/core-kit.git
        path: core/addons
        targetRevision: release/{version}
        helm:
          values: |
            appEnabled: [{addons}]
            components:
              external-dns:
                values:
                  txtOwnerId: {name}
      destination:
        server: https://kubernetes.default.svc
        namespace: argocd
"""

AWS_VALUES = """\
# customer overrides for the aws section
components:
  cluster-autoscaler:
    values:
      autoDiscovery: {{clusterName: {name}}}
"""


def write_customer(
    root: Path,
    name: str,
    version: str,
    repo_url: str,
    addons: str = "external-dns",
    quote: str = "",
    sub: str = "argocd",
) -> None:
    folder = root / sub if sub else root
    (folder / "values").mkdir(parents=True, exist_ok=True)
    apps = APPS.format(name=name, version=version, q=quote, repo=repo_url)
    (folder / "apps.yaml").write_text(apps, encoding="utf-8")
    (folder / "addons.yml").write_text(
        ADDONS.format(name=name, version=version, addons=addons), encoding="utf-8"
    )
    (root / "values").mkdir(exist_ok=True)
    (root / "values/aws.yaml").write_text(AWS_VALUES.format(name=name), encoding="utf-8")
    (root / "README.md").write_text(f"# {name} gitops\n", encoding="utf-8")


def make_customer_remote(base: Path, name: str, version: str, **kw: str) -> Path:
    """A bare remote `base/<name>.git` holding the customer's manifests on `main`."""
    bare = base / f"{name}.git"
    work = init_repo(base / f"{name}-src")
    write_customer(work, name, version, bare.as_uri(), **kw)
    commit_all(work, f"{name}: initial manifests")
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    return bare


def remote_head(bare: Path, branch: str = "main") -> str:
    return git(bare, "rev-parse", f"refs/heads/{branch}")


def commit_count(bare: Path, ref: str = "main") -> int:
    return int(git(bare, "rev-list", "--count", ref))


def show(bare: Path, ref: str, path: str) -> bytes:
    result = subprocess.run(
        ["git", "show", f"{ref}:{path}"], cwd=bare, check=True, capture_output=True
    )
    return result.stdout


# --------------------------------------------------------------------------- a whole fleet


TOKEN = "s3cr3t-argocd-token-value"


def _renamed_components() -> dict[str, dict[str, dict[str, Any]]]:
    """2024.4: ingress-nginx's controller.replicaCount renamed, external-dns dropped."""
    components = copy.deepcopy(DEFAULT_COMPONENTS)
    components["base"]["ingress-nginx"]["values"] = {"controller": {"replicas": 2}}
    components["addons"] = {
        "sealed-secrets": {
            "repoURL": "https://bitnami-labs.github.io/sealed-secrets",
            "chart": "sealed-secrets",
            "version": "2.17.0",
            "namespace": "kube-system",
        }
    }
    return components


def _bumped_components() -> dict[str, dict[str, dict[str, Any]]]:
    components = copy.deepcopy(DEFAULT_COMPONENTS)
    components["base"]["cert-manager"]["version"] = "v1.21.0"
    return components


RELEASES: dict[str, dict[str, Any]] = {
    "2024.1": {"kubernetes": ("1.28", "1.30")},
    "2024.2": {"kubernetes": ("1.29", "1.31")},
    "2024.3": {"kubernetes": ("1.30", "1.32"), "components": _bumped_components()},
    "2024.4": {"kubernetes": ("1.30", "1.32"), "components": _renamed_components()},
}


def make_kit_remote(base: Path, releases: dict[str, dict[str, Any]] | None = None) -> Path:
    """A kit repository with `release/*` branches, published as a bare remote."""
    work = make_kit_repo(base / "kit")
    for version, spec in (releases or RELEASES).items():
        git(work, "checkout", "-q", "-b", f"release/{version}", "main")
        write_kit(work, version=version, **spec)
        commit_all(work, f"Release {version}")
    git(work, "checkout", "-q", "main")
    return make_bare_remote(base / "kit.git", work)


@dataclass
class FleetBed:
    """A fleet file, its kit remote and one bare remote per customer, under one directory."""

    root: Path
    kit_remote: Path
    fleet: Path
    remotes: dict[str, Path] = field(default_factory=dict)

    def log(self) -> list[dict[str, Any]]:
        path = self.fleet.parent / ".releaser/rollouts.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line]


def make_fleet(
    base: Path,
    customers: list[dict[str, Any]],
    argocd_url: str | None = None,
    kit_remote: Path | None = None,
    notify: str | None = None,
) -> FleetBed:
    """Each customer: {name, version, kubernetes, [addons], [quote], [deploy]}; remotes under
    base."""
    kit = kit_remote or make_kit_remote(base)
    bed = FleetBed(base, kit, base / "ops/fleet.yaml")
    entries = []
    for spec in customers:
        extra = {k: spec[k] for k in ("addons", "quote") if k in spec}
        bare = make_customer_remote(base, spec["name"], spec["version"], **extra)
        bed.remotes[spec["name"]] = bare
        entry: dict[str, Any] = {
            "name": spec["name"], "repo": bare.as_uri(), "branch": "main", "path": "argocd",
            "provider": "aws", "kubernetes": spec["kubernetes"],
        }  # fmt: skip
        if "deploy" in spec:
            entry["deploy"] = spec["deploy"]
        if argocd_url:
            entry["argocd"] = {
                "url": argocd_url,
                "tokenEnv": f"{spec['name'].upper()}_ARGOCD_TOKEN",
                "apps": ["core-base", "core-aws", "core-addons"],
            }
        entries.append(entry)
    fleet: dict[str, Any] = {"kit": {"repoURL": KIT_URL, "remote": kit.as_uri()}}
    if notify:
        fleet["notify"] = notify
    fleet["customers"] = entries
    bed.fleet.parent.mkdir(parents=True, exist_ok=True)
    bed.fleet.write_text(yaml.safe_dump(fleet, sort_keys=False), encoding="utf-8")
    return bed


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


# The fleets here run Kubernetes 1.30/1.31 on kit 2024.x: the story is set in autumn 2024,
# when those minors were supported (on today's date the real lifecycle data blocks them).
STORY_DATE = "2024-10-15"


def cli(bed: FleetBed, *args: str, env: dict[str, str] | None = None) -> CliResult:
    """`releaser --fleet <bed> ARGS` in-process."""
    from typer.testing import CliRunner

    from releaser.cli.main import app

    env = {"RELEASER_TODAY": STORY_DATE, **(env or {})}
    result = CliRunner().invoke(app, ["--fleet", str(bed.fleet), *args], env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def git_files(bare: Path, ref: str) -> dict[str, bytes]:
    names = git(bare, "ls-tree", "-r", "--name-only", ref).splitlines()
    return {name: show(bare, ref, name) for name in names}


def has_ref(bare: Path, ref: str) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "-q", ref], cwd=bare, capture_output=True
    )
    return done.returncode == 0

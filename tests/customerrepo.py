"""Customer GitOps repositories for tests: messy real-world-looking Argo CD manifests in a real
git repository, published as a bare remote over file://."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.kitrepo import commit_all, git, init_repo

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

"""Build the demo's sandbox: a kit repository with a release history, customer GitOps
repositories on different releases, a fleet file and a mirrors file. Real git throughout."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from releaser.adapters.demo_argocd import EmulatedInstance, serve_argocd
from releaser.adapters.demo_history import History, Snapshot, write_history
from releaser.adapters.git import run_git
from releaser.adapters.local_helm_repo import serve_demo_charts
from releaser.adapters.yaml.dump import dump
from releaser.domain.demo import ARGOCD_TOKEN_ENV, Sandbox, data_date

KIT_URL = "https://git.example.com/platform/core-kit.git"
GITOPS_BRANCH = "main"  # what each customer's Argo CD deploys from
CUSTOMERS_SINCE = "2026-09-01"  # when the customers' repositories were last changed
SECTIONS = ("base", "aws", "gcp", "addons")


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    provider: str
    release: str
    kubernetes: str
    add_ons: tuple[str, ...]

    @property
    def apps(self) -> tuple[str, ...]:
        """Its kit Applications, which its Argo CD deploys and the health gate watches."""
        return tuple(f"core-{section}" for section in ("base", self.provider, "addons"))


# In rollout order: the first two can take the next release, the last one's cluster cannot.
CUSTOMERS = (
    DemoCustomer("kuvaq", "aws", "2026.3", "v1.35.4-eks-3025e55", ("external-dns",)),
    DemoCustomer(
        "lintu", "aws", "2026.3", "v1.36.2-eks-1a2b3c4", ("external-dns", "postgres-operator")
    ),
    DemoCustomer("menetekel", "gcp", "2026.2", "1.34.6-gke.1021000", ("external-secrets",)),
)


def history() -> dict[str, Any]:
    text = resources.files("releaser.data").joinpath("demo/releases.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def git(cwd: Path, *args: str) -> str:
    return run_git(cwd, *args).decode().strip()


def _write_yaml(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(data), encoding="utf-8")


def kit_state(data: dict[str, Any], state: dict[str, Any], version: str | None) -> dict[str, str]:
    """core/ at one point in history: pins from `state`, defaults from the shipped kit."""
    header: dict[str, Any] = {"name": "core-kit"}
    if version:
        header["version"] = version
    header |= {"kubernetes": state["kubernetes"], "providers": ["aws", "gcp"]}
    demo = resources.files("releaser.data").joinpath("demo")
    files = {
        "core/kit.yaml": dump(header),
        "core/compatibility.yaml": demo.joinpath("compatibility.yaml").read_text(),
    }
    templates = list(demo.joinpath("templates").iterdir())
    for section in SECTIONS:
        values = json.loads(json.dumps(data["defaults"][section]))
        for name, component in values["components"].items():
            info = data["components"][name]
            pins = {
                "repoURL": info["repoURL"],
                "chart": info["chart"],
                "version": state["versions"][name],
            }
            values["components"][name] = pins | component
        chart = {"apiVersion": "v2", "name": f"core-{section}", "version": "0.1.0"}
        files[f"core/{section}/values.yaml"] = dump(values)
        files[f"core/{section}/Chart.yaml"] = dump(chart | {"type": "application"})
        for template in templates:
            files[f"core/{section}/templates/{template.name}"] = template.read_text()
    return files


def changelog_entry(release: dict[str, Any]) -> str:
    k = release["kubernetes"]
    lines = [
        f"## {release['version']} — {release['date']}",
        "",
        f"Kubernetes {k['min']}–{k['max']}.",
        "",
    ]
    lines += [f"- {name} {version}" for name, version in release["versions"].items()]
    return "\n".join(lines) + "\n"


CHANGELOG_HEAD = "# Changelog\n\nOne section per kit version, newest first.\n\n"


def prepend_changelog(changelog: str, entry: str) -> str:
    old = changelog.removeprefix(CHANGELOG_HEAD)
    return CHANGELOG_HEAD + entry + ("\n" + old if old else "")


def _with_changelog(files: dict[str, str], changelog: str) -> dict[str, str]:
    return files | {"CHANGELOG.md": changelog} if changelog else files


def _cut(commits: History, data: dict[str, Any], release: dict[str, Any], changelog: str) -> str:
    """What `releaser cut` does, backdated: the branch with its version, the entry on both;
    returns the changelog with the entry."""
    version, day = release["version"], release["date"]
    before = kit_state(data, release, None)
    prepare = Snapshot("main", f"Prepare {version}", day, _with_changelog(before, changelog))
    commits.commit(prepare)
    changelog = prepend_changelog(changelog, changelog_entry(release))
    released = _with_changelog(kit_state(data, release, version), changelog)
    commits.commit(Snapshot(f"release/{version}", f"Release {version}", day, released), "main")
    after = _with_changelog(before, changelog)
    commits.commit(Snapshot("main", f"Changelog: {version}", day, after))
    return changelog


def build_kit(root: Path, data: dict[str, Any]) -> tuple[Path, Path]:
    """Main plus one release branch per past release; main ends at today's kit."""
    commits, changelog = History(), ""
    for release in data["releases"]:
        changelog = _cut(commits, data, release, changelog)
    today = _with_changelog(kit_state(data, data["main"], None), changelog)
    message = "Kubernetes 1.35–1.36 and this autumn's versions"
    commits.commit(Snapshot("main", message, str(data_date(data)), today))
    kit = root / "kit"
    write_history(kit, commits)
    remote = root / "remotes" / "core-kit.git"
    remote.parent.mkdir(parents=True, exist_ok=True)
    git(root, "clone", "-q", "--bare", str(kit), str(remote))
    git(kit, "remote", "add", "origin", remote.as_uri())
    git(kit, "fetch", "-q", "origin")
    git(kit, "branch", "-q", "--set-upstream-to=origin/main", "main")
    return kit, remote


APPLICATION = """\
# Managed with the core kit: only targetRevision moves on a kit rollout.
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: core-{section}
  namespace: argocd
spec:
  project: default
  source:
    repoURL: {kit_url}
    path: core/{section}
    targetRevision: release/{release}   # kit version
    helm:
      valuesObject:
        global:
          domain: {name}.example.com
          clusterName: {name}-prod
{extra}  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
"""

OWN_APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: shop
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://git.example.com/{name}/shop.git
    path: deploy
    targetRevision: main
  destination:
    server: https://kubernetes.default.svc
    namespace: shop
"""


def _addons_overrides(customer: DemoCustomer) -> str:
    lines = [f"        appEnabled: [{', '.join(customer.add_ons)}]"]
    if "external-dns" in customer.add_ons:
        lines += [
            "        components:",
            "          external-dns:",
            "            values:",
            f"              txtOwnerId: {customer.name}",
        ]
    return "\n".join(lines) + "\n"


def customer_remote(root: Path, name: str) -> Path:
    return root / "remotes" / f"{name}-gitops.git"


def build_customer(root: Path, customer: DemoCustomer) -> Path:
    """A customer's GitOps repository (bare, as a remote) with its kit Applications."""
    files = {}
    for section in ("base", customer.provider, "addons"):
        extra = _addons_overrides(customer) if section == "addons" else ""
        files[f"argocd/core-{section}.yaml"] = APPLICATION.format(
            section=section,
            kit_url=KIT_URL,
            release=customer.release,
            name=customer.name,
            extra=extra,
        )
    files["argocd/shop.yaml"] = OWN_APP.format(name=customer.name)
    commits = History()
    message = f"Run core kit {customer.release}"
    commits.commit(Snapshot(GITOPS_BRANCH, message, CUSTOMERS_SINCE, files))
    bare = customer_remote(root, customer.name)
    write_history(bare, commits, bare=True)
    return bare


def write_fleet(root: Path, remote: Path, customers: dict[str, Path], argocd_url: str) -> Path:
    fleet = {
        "kit": {"repoURL": KIT_URL, "remote": remote.as_uri()},
        "customers": [
            {
                "name": c.name,
                "repo": customers[c.name].as_uri(),
                "branch": GITOPS_BRANCH,
                "path": "argocd",
                "provider": c.provider,
                "kubernetes": c.kubernetes,
                "argocd": {
                    "url": f"{argocd_url}/{c.name}",
                    "tokenEnv": ARGOCD_TOKEN_ENV,
                    "apps": list(c.apps),
                },
            }
            for c in CUSTOMERS
        ],
    }
    path = root / "fleet.yaml"
    _write_yaml(path, fleet)
    return path


def build_sandbox(root: Path, mirrors: Mapping[str, str], argocd_url: str) -> Sandbox:
    """Everything the demo needs under `root`; `mirrors` maps upstream URLs to local ones,
    `argocd_url` is where each customer's Argo CD answers (under /<customer>)."""
    data = history()
    kit, remote = build_kit(root, data)
    bares = {c.name: build_customer(root, c) for c in CUSTOMERS}
    fleet = write_fleet(root, remote, bares, argocd_url)
    return Sandbox(root, kit, fleet, write_mirrors(root, mirrors), argocd_url)


def write_mirrors(root: Path, mirrors: Mapping[str, str]) -> Path:
    path = root / "mirrors.yaml"
    _write_yaml(path, dict(mirrors))
    return path


def _argocd_instance(root: Path, customer: DemoCustomer) -> EmulatedInstance:
    return EmulatedInstance(customer_remote(root, customer.name), GITOPS_BRANCH, customer.apps)


@contextmanager
def open_sandbox(root: Path, today: date) -> Iterator[Sandbox]:
    """The sandbox, with its Helm repositories and Argo CD emulator running on 127.0.0.1."""
    with serve_demo_charts(today) as mirrors, serve_argocd() as argocd:
        sandbox = build_sandbox(root, mirrors, argocd.url)
        argocd.follow({c.name: _argocd_instance(root, c) for c in CUSTOMERS})
        yield replace(sandbox, env={ARGOCD_TOKEN_ENV: argocd.token})

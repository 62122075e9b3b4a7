"""The cut gate: one line per fact (in its messages and the changelog's "Needs attention"),
and the fleet's exact clusters: each customer in the kit's range judged on its
real cluster version with its own deploy path (`deploy:`, else the kit's), through the real
CLI, real index files and chart archives served on 127.0.0.1 (the fixtures of
tests/test_compat_cli.py) and a real kit repository.

The demo chart `legacy` 2.0.0 declares `kubeVersion: >=1.23.0`: `helm install` (and Helm
<= 3.18 everywhere) rejects every EKS/GKE build for its vendor suffix, Argo CD >= 3.4 strips
the suffix and passes. The minor column only warns; the fleet's clusters decide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kitrepo import git
from tests.test_compat_cli import (
    _env,  # noqa: F401 - fixtures of the compat end-to-end tests
    core_kit,
    demo_kit,
    mirrors,  # noqa: F401
    run,
    server,  # noqa: F401
)

EKS = "v1.35.2-eks-a737599"
GKE = "1.35.5-gke.1014001"


@pytest.fixture(autouse=True)
def _date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASER_TODAY", "2026-10-20")  # 1.35 and 1.36 well inside support


def fleet_file(path: Path, customers: list[dict[str, Any]]) -> Path:
    entries = [
        {"name": c["name"], "repo": f"https://git.example.test/{c['name']}.git",
         "branch": "main", "path": "argocd", "provider": c["provider"],
         "kubernetes": c["kubernetes"], **({"deploy": c["deploy"]} if "deploy" in c else {})}
        for c in customers
    ]  # fmt: skip
    doc = {"kit": {"repoURL": "https://git.example.test/kit.git"}, "customers": entries}
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


ON_HELM = {"name": "acme", "provider": "aws", "kubernetes": EKS, "deploy": {"helm": "3.17.2"}}
ON_ARGO = {"name": "bravo", "provider": "gcp", "kubernetes": GKE, "deploy": {"argocd": "v3.4.4"}}
OUT_OF_RANGE = {"name": "old", "provider": "aws", "kubernetes": "v1.30.4-eks-a737599"}


def test_a_chart_rejecting_the_fleets_eks_builds_is_refused_naming_customer_and_component(
    tmp_path: Path, mirrors: Path  # noqa: F811
) -> None:
    kit = demo_kit(tmp_path / "kit", "2.0.0")
    fleet = fleet_file(tmp_path / "fleet.yaml", [ON_HELM, ON_ARGO, OUT_OF_RANGE])
    before = git(kit, "for-each-ref")
    result = run(kit, mirrors, "cut", "2024.1", "--fleet", str(fleet), json_out=False)
    assert result.exit_code == 1, result.stderr
    err = " ".join(result.stderr.split())  # the message wraps on the terminal
    assert f"acme ({EKS}, profile helm-install-3.18): demo 2.0.0: kubeVersion: rejected " \
           "for its vendor suffix only" in err
    assert "bravo" not in err.split("compatibility gate:")[0]  # Argo CD 3.4 strips the suffix
    assert "old (" not in err  # outside the kit's range: the preflight's business
    assert "1 fleet cluster(s) in range as helm-install-3.18: acme" in err
    assert "1 fleet cluster(s) in range as argocd-3.4: bravo" in err
    assert git(kit, "for-each-ref") == before  # nothing written


def test_customers_whose_deploy_path_passes_let_the_cut_through(
    tmp_path: Path, mirrors: Path  # noqa: F811
) -> None:
    kit = demo_kit(tmp_path / "kit", "2.0.0")
    fleet = fleet_file(tmp_path / "fleet.yaml", [ON_ARGO, OUT_OF_RANGE])
    result = run(kit, mirrors, "cut", "2024.1", "--dry-run", "--fleet", str(fleet),
                 json_out=False)
    assert result.exit_code == 0, result.stderr
    assert "compatibility gate: Kubernetes 1.35–1.36, profile helm-install" in result.stderr
    assert "profile helm-install: `helm install` (Helm >= 3.19); the kit ships no argo-cd " \
           "chart" in result.stderr
    assert "1 fleet cluster(s) in range as argocd-3.4: bravo" in result.stderr
    assert "in range as helm-install:" not in result.stderr  # old is outside the range


def test_without_a_fleet_the_minor_columns_decide_as_before(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./fleet.yaml
    monkeypatch.delenv("RELEASER_FLEET", raising=False)
    kit = demo_kit(tmp_path / "kit", "2.0.0")
    result = run(kit, mirrors, "--json", "cut", "2024.1", "--dry-run", json_out=False)
    assert result.exit_code == 0, result.stderr
    assert "fleet cluster" not in result.stderr
    assert "profile helm-install" in result.stderr
    # the minor columns warn (vendor builds rejected): a bullet per fact, the one of each
    # minor naming it
    entry = yaml.safe_load(result.stdout)["changelog"]
    vendor = [line for line in entry.splitlines() if "rejects vendor builds" in line]
    assert [line.split(":")[0] for line in vendor] == ["- demo 2.0.0 on 1.35",
                                                       "- demo 2.0.0 on 1.36"]


def test_an_invalid_fleet_file_stops_the_cut(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    kit = demo_kit(tmp_path / "kit", "2.0.0")
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("kit: {repoURL: https://git.example.test/kit.git}\ncustomers:\n"
                     "  - name: acme\n    kubernetes: 1.35.x\n", encoding="utf-8")
    result = run(kit, mirrors, "cut", "2024.1", "--dry-run", "--fleet", str(fleet),
                 json_out=False)
    assert result.exit_code == 3 and "fleet.yaml:" in result.stderr


def test_needs_attention_has_one_bullet_per_fact(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """On 2026-12-01 Kubernetes 1.35 is 89 days from its end of life and ingress-nginx is
    retired upstream on every minor: each is one bullet, not one per component and minor."""
    monkeypatch.setenv("RELEASER_TODAY", "2026-12-01")
    monkeypatch.chdir(tmp_path)
    kit = core_kit(tmp_path / "kit")
    result = run(kit, mirrors, "--json", "cut", "2026.1", "--dry-run", json_out=False)
    assert result.exit_code == 0, result.stderr
    entry = yaml.safe_load(result.stdout)["changelog"]
    bullets = entry.split("### Needs attention")[1].split("###")[0].strip().splitlines()
    assert len(bullets) == len(set(bullets))
    [eol] = [b for b in bullets if "end of life" in b]
    assert eol == ("- lifecycle/kubernetes: Kubernetes 1.35 reaches upstream end of life on "
                   "2027-02-28 (in 89 days)")
    [retired] = [b for b in bullets if "ingress-nginx is retired" in b]
    assert retired.startswith("- ingress-nginx 4.15.1 on 1.35–1.36: upstream-status: ")
    assert not [b for b in bullets if "lifecycle/kubernetes" in b and b != eol]

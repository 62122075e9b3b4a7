"""Credentials planted in kit and fleet files never appear in what the CLI prints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.cli.main import app
from tests.kitrepo import make_kit_repo

PASSWORD = "s3cr3t-Pa55"
REPO_WITH_CREDENTIALS = f"https://deploy:{PASSWORD}@charts.example.com/stable"
TOKEN_REPO = "https://ghp_Abcdef0123456789@charts.example.com/tokens"


def _kit(path: Path) -> Path:
    def component(repo: str) -> dict[str, object]:
        return {"repoURL": repo, "chart": "demo", "version": "1.0.0", "namespace": "demo",
                "values": {}}

    components = {"base": {"private": component(REPO_WITH_CREDENTIALS),
                           "token": component(TOKEN_REPO)},
                  "aws": {}, "gcp": {}, "addons": {}}
    return make_kit_repo(path, components=components, kubernetes=("1.35", "1.36"))


def _leaks(*texts: str) -> list[str]:
    return [s for s in (PASSWORD, "deploy:", "ghp_Abcdef0123456789") if any(s in t for t in texts)]


@pytest.mark.parametrize("json_out", [False, True], ids=["text", "json"])
def test_components_masks_credentials_in_repo_urls(tmp_path: Path, json_out: bool) -> None:
    kit = _kit(tmp_path / "kit")
    result = CliRunner().invoke(
        app, ["--kit", str(kit), *(["--json"] if json_out else []), "components"]
    )
    assert result.exit_code == 0, result.stderr
    assert _leaks(result.stdout, result.stderr) == []
    assert "https://***@charts.example.com/stable" in result.stdout
    assert "https://***@charts.example.com/tokens" in result.stdout
    if json_out:
        repos = {c["name"]: c["repoURL"] for c in json.loads(result.stdout)["components"]}
        assert repos == {"private": "https://***@charts.example.com/stable",
                         "token": "https://***@charts.example.com/tokens"}


FLEET = """\
kit:
  repoURL: https://git.example.com/platform/core-kit.git
customers:
  - name: kuvaq
    repo: https://git.example.com/kuvaq/cluster.git
    provider: aws
    kubernetes: v1.35.2
    argocd:
      url: {url}
      tokenEnv: KUVAQ_ARGOCD_TOKEN
      apps: [core-base]
"""


@pytest.mark.parametrize(
    "url",
    [
        f"https://admin:{PASSWORD}@argocd.example.com",
        f"https://admin:{PASSWORD}@argocd.example.com:8443/",
        f"http://{PASSWORD}@argocd.example.com",
    ],
    ids=["user-password", "with-port", "token-only"],
)
def test_argocd_url_with_credentials_is_refused_without_echoing_them(
    tmp_path: Path, url: str
) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET.format(url=url))
    result = CliRunner().invoke(app, ["--fleet", str(fleet), "rollout", "--status"])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert f"{fleet}:9: customers[0].argocd.url: credentials do not belong in the URL" in result.stderr
    assert "environment variable named by tokenEnv" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_argocd_url_without_credentials_is_accepted(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(FLEET.format(url="https://argocd.example.com/"))
    result = CliRunner().invoke(app, ["--fleet", str(fleet), "rollout", "--status"])
    assert "argocd.url" not in result.stderr and result.exit_code != 3

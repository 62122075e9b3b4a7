"""The composition root: one reading of the environment and one HTTP client per invocation,
and the global options and RELEASER_* variables reach the adapters it builds."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from releaser.adapters.http import HttpClient
from releaser.cli import main
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from releaser.cli.output import emit
from releaser.domain.redaction import redact
from releaser.settings import HttpSettings, Settings
from tests.customerrepo import TOKEN, cli, make_fleet, make_kit_remote
from tests.helmrepos import component, kit_components, serve_repos, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import FileServer
from tests.test_rollout_cli import merged_on_poll, script_healthy, webhook  # noqa: F401

DNS = component("https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.19.0")


@pytest.fixture
def constructions(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many `Settings.from_env()` and `HttpClient`s were made (each still does its work)."""
    made: Counter[str] = Counter()
    from_env = Settings.from_env.__func__  # type: ignore[attr-defined]
    http_init = HttpClient.__init__

    def counted_from_env(cls: type[Settings], env: Any = None) -> Settings:
        made["Settings"] += 1
        return from_env(cls, env)  # type: ignore[no-any-return]

    def counted_init(self: HttpClient, settings: HttpSettings | None = None) -> None:
        made["HttpClient"] += 1
        http_init(self, settings)

    monkeypatch.setattr(Settings, "from_env", classmethod(counted_from_env))
    monkeypatch.setattr(HttpClient, "__init__", counted_init)
    return made


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> list[Container]:
    """Every container the command line builds, kept for inspection."""
    found: list[Container] = []

    class Recorded(Container):
        def __init__(self, options: GlobalOptions | None = None) -> None:
            super().__init__(options)
            found.append(self)

    monkeypatch.setattr(main, "Container", Recorded)
    return found


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_a_rollout_reads_the_environment_once_and_shares_one_http_client(
    tmp_path: Path,
    argocd: Any,
    webhook: tuple[str, list[dict[str, Any]]],  # noqa: F811
    constructions: Counter[str],
) -> None:
    url, messages = webhook
    customers = [{"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}]
    kit = make_kit_remote(tmp_path / "kit")
    bed = make_fleet(tmp_path, customers, argocd_url=argocd.url, notify=url, kit_remote=kit)
    script_healthy(argocd, merged_on_poll(bed.remotes["kuvaq"], "releaser/kuvaq-2024.3"))
    constructions.clear()  # the fixtures' own reads do not count
    wait = ["--push", "--wait", "--poll-interval", "0.05s", "--timeout", "30s"]
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", *wait,
                 env={"KUVAQ_ARGOCD_TOKEN": TOKEN})  # fmt: skip
    assert result.code == 0, result.out + result.err
    # chart sources and archives (preflight verdicts), Argo CD and the webhook all used HTTP
    assert sum(argocd.calls.values()) and messages
    assert constructions == {"Settings": 1, "HttpClient": 1}


def test_options_and_environment_reach_the_adapters(
    tmp_path: Path, upstream: Path, monkeypatch: pytest.MonkeyPatch, built: list[Container]
) -> None:
    kit = make_kit_repo(tmp_path / "kit", components=kit_components(addons={"dns": DNS}))
    bed = make_fleet(
        tmp_path / "ops", [{"name": "kuvaq", "version": "2024.2", "kubernetes": "1.30"}]
    )
    cache, data = tmp_path / "cache", tmp_path / "data"
    env = {"RELEASER_CACHE_DIR": str(cache), "RELEASER_DATA_DIR": str(data),
           "RELEASER_HTTP_TIMEOUT": "2.5", "RELEASER_HTTP_RETRIES": "0",
           "RELEASER_TODAY": "2024-05-01", "KUVAQ_ARGOCD_TOKEN": "tok-3f9a1c77e2"}  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with FileServer() as server:
        serve_repos(server, upstream / "helm-repos")
        mirrors = write_mirrors(tmp_path / "mirrors.yaml", server)
        argv = ["--kit", str(kit), "--fleet", str(bed.fleet), "--mirrors", str(mirrors)]
        result = CliRunner().invoke(main.app, [*argv, "--json", "check"])
        served = server.url
    assert result.exit_code == 0, result.output
    assert list((cache / "indexes").iterdir()) and list((cache / "checks").iterdir())

    [parts] = built
    assert parts.options == GlobalOptions(kit, bed.fleet, mirrors, json=True)
    assert parts.kit_root == kit and parts.fleet_path == bed.fleet
    assert [c.name for c in parts.fleet.customers] == ["kuvaq"]
    assert parts.mirrors.apply(DNS["repoURL"]).startswith(served)
    http = parts.http.settings
    assert (http.read_timeout, http.retries) == (2.5, 0)
    assert parts.today == date(2024, 5, 1)
    assert parts.data_store.user_dir == data
    assert parts.chart_archives().cache_dir == cache / "charts"
    assert parts.oci_source.http is parts.http
    renderer = parts.helm_renderer
    if renderer is not None:  # helm on PATH: it runs under the run's environment
        assert renderer.work_dir == cache / "helm"
        assert renderer.base_env["RELEASER_TODAY"] == "2024-05-01"
    ports = parts.rollout_ports()
    assert ports.repos.cache == cache / "customers"  # type: ignore[attr-defined]
    assert ports.secret("KUVAQ_ARGOCD_TOKEN") == "tok-3f9a1c77e2"
    assert "tok-3f9a1c77e2" not in redact("Authorization: Bearer tok-3f9a1c77e2")
    assert ports.secret("UNSET_TOKEN_VARIABLE") is None


def test_each_adapter_is_built_once_per_container(tmp_path: Path) -> None:
    parts = Container(GlobalOptions(kit=make_kit_repo(tmp_path / "kit")))
    assert parts.settings is parts.settings and parts.http is parts.http
    assert parts.chart_source() is parts.chart_source()
    assert parts.chart_source(offline=True) is not parts.chart_source()
    assert parts.compat_service() is parts.compat_service()
    assert parts.chart_archives() is parts.compat_service().archives


def test_emit_passes_rendered_markdown_and_html_unchanged_but_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (
        '| a\t| b |\n|---|---|\n<p class="x">&lt;tag&gt; [link](https://example.com)</p>\n\n'
        "see https://user:hunter2pass@charts.example.com/index.yaml\n"
    )
    emit(text, newline=False)
    out = capsys.readouterr().out
    assert out == redact(text) and "hunter2pass" not in out
    emit("\x1b]52;c;bad\x07red\x1b[31m text")
    assert capsys.readouterr().out == "red text\n"

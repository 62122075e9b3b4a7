"""`releaser bump`: target choice, downgrade guard, errors, and a byte-minimal values.yaml edit.

Planning tests use `FakeChartSource` (a fixture-backed ChartSource, the one place a fake is
fine); one CLI test goes through a real registry process with `OciChartSource`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.adapters.kit_files import WorktreeFiles
from releaser.adapters.yaml import parse_document
from releaser.adapters.yaml.edit import ExactTextFiles, set_scalar
from releaser.app.bump import BumpPorts, BumpRequest, BumpResult, bump, nearest_versions
from releaser.app.ports import ChartSource
from releaser.cli.main import app
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError, UsageError
from releaser.domain.kit import Component, Kit
from releaser.domain.versions import ChartVersion
from tests.helmrepos import serve_repos, write_mirrors
from tests.kitrepo import git, make_kit_repo
from tests.registry import DemoRegistries, demo_registries, free_port
from tests.servers import FileServer

runner = CliRunner()

BASE_VALUES = """\
# Base section of the kit.
global:
  domain: example.com  # customers override

components:
  # certificates first
  cert-manager:
    repoURL: https://charts.jetstack.io
    chart: cert-manager
    version: "v1.20.2"   # keep in step with the CRDs
    namespace: cert-manager
    values: {crds: {enabled: true}}

  ingress-nginx:
    repoURL: https://kubernetes.github.io/ingress-nginx
    chart: ingress-nginx
    version: '4.14.1'
    namespace: ingress-nginx
    values:
      controller:
        replicaCount: 2
"""
CERT_MANAGER_LINE = 10

UPSTREAM = {
    "cert-manager": ["v1.19.0", "v1.20.2", "v1.21.0", "v1.21.1", "v1.22.0-alpha.1", "0.1"],
    "ingress-nginx": ["4.13.0", "4.14.1", "4.15.0"],
}


class FakeChartSource:
    """Releases from a dict; records each lookup."""

    def __init__(self, versions: dict[str, list[str]]) -> None:
        self.versions = versions
        self.calls: list[tuple[str, str]] = []

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        self.calls.append((repo_url, chart))
        return [ChartRelease(chart, v) for v in self.versions[chart]]


class NewestWithoutConstraint:
    """A stand-in compatibility engine: the newest release that declares no kubeVersion."""

    def newest_compatible(
        self,
        kit: Kit,
        component: Component,
        releases: Sequence[ChartRelease],
        *,
        include_prerelease: bool = False,
    ) -> ChartRelease | None:
        ok = [r for r in releases if r.kube_version is None and r.parsed_version.is_semver]
        return max(ok, key=lambda r: r.parsed_version, default=None)


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    root = make_kit_repo(tmp_path / "kit")
    (root / "core/base/values.yaml").write_text(BASE_VALUES, encoding="utf-8")
    git(root, "commit", "-qam", "commented base values")
    return root


def ports(kit: Path, source: ChartSource | None = None, picker: object = None) -> BumpPorts:
    return BumpPorts(
        files=WorktreeFiles(kit),
        parse=parse_document,
        text=ExactTextFiles(kit),
        edit=set_scalar,
        source_for=lambda url: source,
        picker=picker,  # type: ignore[arg-type]
    )


def run(kit: Path, source: ChartSource | None = None, **request: object) -> BumpResult:
    name = str(request.pop("component", "cert-manager"))
    return bump(BumpRequest(name, **request), ports(kit, source or FakeChartSource(UPSTREAM)))  # type: ignore[arg-type]


def values(kit: Path) -> str:
    return (kit / "core/base/values.yaml").read_text(encoding="utf-8")


def test_to_changes_only_that_version(kit: Path) -> None:
    result = run(kit, to="v1.21.1")
    assert values(kit) == BASE_VALUES.replace('"v1.20.2"', '"v1.21.1"')
    assert result.as_dict() == {
        "name": "cert-manager",
        "section": "base",
        "from": "v1.20.2",
        "to": "v1.21.1",
        "file": "core/base/values.yaml",
        "line": CERT_MANAGER_LINE,
        "changed": True,
    }


def test_single_quotes_are_kept(kit: Path) -> None:
    run(kit, component="ingress-nginx", latest=True)
    assert values(kit) == BASE_VALUES.replace("'4.14.1'", "'4.15.0'")


def test_latest_skips_prereleases_and_non_semver(kit: Path) -> None:
    source = FakeChartSource(UPSTREAM)
    assert run(kit, source, latest=True).to_version == "v1.21.1"
    assert source.calls == [("https://charts.jetstack.io", "cert-manager")]


def test_pre_lets_latest_pick_a_prerelease(kit: Path) -> None:
    assert run(kit, latest=True, pre=True).to_version == "v1.22.0-alpha.1"


def test_to_must_be_published_and_nearest_versions_are_named(kit: Path) -> None:
    with pytest.raises(UsageError) as err:
        run(kit, to="1.21.1")
    assert str(err.value) == (
        "cert-manager 1.21.1 is not published at https://charts.jetstack.io\n"
        "  hint: nearest published: v1.21.1, v1.21.0, v1.22.0-alpha.1"
    )
    with pytest.raises(UsageError, match=re.escape("nearest published: v1.21.1, v1.22.0-alpha.1")):
        run(kit, to="v1.21.5")
    assert values(kit) == BASE_VALUES


@pytest.mark.parametrize("bad", ["1.21", "latest", "v1.2.3.4", "01.2.3"])
def test_to_rejects_non_semver(kit: Path, bad: str) -> None:
    with pytest.raises(UsageError, match="invalid chart version") as err:
        run(kit, to=bad)
    assert err.value.exit_code == 2


def test_downgrade_needs_the_flag(kit: Path) -> None:
    with pytest.raises(
        UsageError, match=re.escape("v1.19.0 is older than the current v1.20.2")
    ) as err:
        run(kit, to="v1.19.0")
    assert err.value.hint == "pass --allow-downgrade to go down"
    assert values(kit) == BASE_VALUES
    assert run(kit, to="v1.19.0", allow_downgrade=True).to_version == "v1.19.0"


def test_latest_older_than_current_prerelease_is_a_downgrade(kit: Path) -> None:
    run(kit, to="v1.22.0-alpha.1")
    with pytest.raises(UsageError, match=re.escape("older than the current v1.22.0-alpha.1")):
        run(kit, latest=True)


def test_unknown_component_suggests_the_closest(kit: Path) -> None:
    with pytest.raises(UsageError, match="unknown component 'cert-manger'") as err:
        run(kit, component="cert-manger", latest=True)
    assert err.value.hint == "did you mean 'cert-manager'?"


@pytest.mark.parametrize(
    ("request_options", "message"),
    [
        ({}, "give exactly one of --to VERSION, --latest or --latest-compatible"),
        ({"to": "v1.21.1", "latest": True}, r"\(got --to, --latest\)"),
        ({"to": "v1.21.1", "pre": True}, "--pre only applies"),
    ],
)
def test_modes_are_exclusive(kit: Path, request_options: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        run(kit, **request_options)


def test_latest_compatible_is_not_available_until_wired(kit: Path) -> None:
    with pytest.raises(UsageError, match="--latest-compatible is not available yet"):
        run(kit, latest_compatible=True)


def test_latest_compatible_uses_the_picker(kit: Path) -> None:
    source = FakeChartSource({"cert-manager": ["v1.20.2", "v1.21.0"]})
    wired = ports(kit, source, NewestWithoutConstraint())
    result = bump(BumpRequest("cert-manager", latest_compatible=True), wired)
    assert result.to_version == "v1.21.0"
    none = ports(kit, FakeChartSource({"cert-manager": ["0.1"]}), NewestWithoutConstraint())
    with pytest.raises(UsageError, match="is compatible with Kubernetes"):
        bump(BumpRequest("cert-manager", latest_compatible=True), none)


def test_already_at_target_leaves_the_file_alone(kit: Path) -> None:
    before = (kit / "core/base/values.yaml").stat().st_mtime_ns
    result = run(kit, component="ingress-nginx", to="4.14.1")
    assert not result.changed
    assert (kit / "core/base/values.yaml").stat().st_mtime_ns == before


def test_without_a_source_to_is_unchecked_and_latest_refused(kit: Path) -> None:
    no_source = ports(kit, None)
    result = bump(BumpRequest("cert-manager", to="v9.0.0"), no_source)
    assert result.notes == (
        "v9.0.0 not checked upstream: no chart source for https://charts.jetstack.io",
    )
    with pytest.raises(UsageError, match="no chart source for this kind of repository"):
        bump(BumpRequest("cert-manager", latest=True), no_source)


def test_upstream_errors_propagate(kit: Path) -> None:
    class Down:
        def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
            raise UpstreamError(f"{repo_url}: cannot reach")

    with pytest.raises(UpstreamError):
        run(kit, Down(), latest=True)
    assert values(kit) == BASE_VALUES


def test_nearest_versions() -> None:
    available = ["1.0.0", "v1.2.0", "1.3.0", "junk", "2.0.0"]
    assert nearest_versions(ChartVersion.parse("1.2.5"), available) == ["v1.2.0", "1.3.0"]
    assert nearest_versions(ChartVersion.parse("1.2.0"), available) == ["v1.2.0", "1.0.0", "1.3.0"]
    assert nearest_versions(ChartVersion.parse("3.0.0"), available) == ["2.0.0"]


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def mirrors(tmp_path: Path, upstream: Path) -> Iterator[Path]:
    """The real index files on 127.0.0.1, and a mirrors file pointing the kit's URLs there."""
    with FileServer(tmp_path / "www") as server:
        serve_repos(server, upstream / "helm-repos")
        yield write_mirrors(tmp_path / "mirrors.yaml", server)


def test_cli_prints_the_change_with_file_and_line(kit: Path, mirrors: Path) -> None:
    args = ["--kit", str(kit), "--mirrors", str(mirrors), "bump", "cert-manager", "--to", "v1.21.1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert (
        result.stdout
        == f"cert-manager: v1.20.2 -> v1.21.1 (core/base/values.yaml:{CERT_MANAGER_LINE})\n"
    )
    assert "not checked upstream" not in result.stderr  # the real index says v1.21.1 exists
    assert git(kit, "diff", "--numstat") == "1\t1\tcore/base/values.yaml"


def test_cli_json(kit: Path, mirrors: Path) -> None:
    result = runner.invoke(
        app,
        ["--kit", str(kit), "--mirrors", str(mirrors), "--json", "bump", "ingress-nginx", "--to", "4.15.0"],
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {k: data[k] for k in ("name", "section", "from", "to", "file", "line")} == {
        "name": "ingress-nginx",
        "section": "base",
        "from": "4.14.1",
        "to": "4.15.0",
        "file": "core/base/values.yaml",
        "line": 17,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["bump", "cert-manger", "--to", "v1.0.0"], "did you mean 'cert-manager'?"),
        (["bump", "cert-manager", "--to", "1.2"], "invalid chart version '1.2'"),
        (["bump", "cert-manager", "--to", "v1.0.0"], "--allow-downgrade"),
    ],
)
def test_cli_usage_errors_exit_2(kit: Path, mirrors: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["--kit", str(kit), "--mirrors", str(mirrors), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert values(kit) == BASE_VALUES


def test_cli_latest_compatible_uses_the_compat_engine(kit: Path, mirrors: Path) -> None:
    """Kit range 1.35–1.36: cert-manager 1.21 is the line upstream supports there, and
    ingress-nginx stays on its newest 4.x (4.15.1, the retired project's last release)."""
    base = ["--kit", str(kit), "--mirrors", str(mirrors), "--json", "bump"]
    result = runner.invoke(app, [*base, "cert-manager", "--latest-compatible"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["to"] == "v1.21.1"
    result = runner.invoke(app, [*base, "ingress-nginx", "--latest-compatible"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["to"] == "4.15.1"


# --------------------------------------------------------------------------- real registry


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> DemoRegistries:
    return demo_registries(tmp_path_factory)


def oci_kit(tmp_path: Path, host: str) -> Path:
    component = {
        "repoURL": f"oci://{host}/charts",
        "chart": "demo",
        "version": "v1.2.3",
        "namespace": "demo",
    }
    return make_kit_repo(
        tmp_path / "kit",
        components={"base": {"demo": component}, "aws": {}, "gcp": {}, "addons": {}},
    )


def test_cli_latest_through_a_real_oci_registry(registries: DemoRegistries, tmp_path: Path) -> None:
    kit = oci_kit(tmp_path, registries.plain.host)
    result = runner.invoke(app, ["--kit", str(kit), "bump", "demo", "--latest"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "demo: v1.2.3 -> 1.2.4+build1 (core/base/values.yaml:7)\n"
    assert "    version: 1.2.4+build1\n" in values(kit)
    pre = runner.invoke(app, ["--kit", str(kit), "--json", "bump", "demo", "--latest", "--pre"])
    assert json.loads(pre.stdout)["to"] == "1.3.0-rc.1"
    missing = runner.invoke(app, ["--kit", str(kit), "bump", "demo", "--to", "1.2.5"])
    assert missing.exit_code == 2
    assert "nearest published: 1.2.4+build1, 1.3.0-rc.1" in missing.stderr


def test_cli_registry_down_exits_4(tmp_path: Path) -> None:
    kit = oci_kit(tmp_path, f"127.0.0.1:{free_port()}")
    result = runner.invoke(app, ["--kit", str(kit), "bump", "demo", "--latest"])
    assert result.exit_code == 4
    assert "cannot reach registry" in result.stderr
    assert "    version: v1.2.3\n" in values(kit)

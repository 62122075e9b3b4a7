"""`diff --render`, `--chart-values` and the preflight's chart-aware dropped-key check, on real
charts rendered by a real helm: a kit whose section charts are the real `core/*` templates,
an upstream chart `web` in two versions served as a Helm repository on 127.0.0.1 (named by
its upstream URL and reached through --mirrors), and a customer repository over file://."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from releaser.cli.main import app
from releaser.domain.manifest_diff import MASK_CHANGED, chart_apps, mask_secrets
from releaser.domain.values_diff import ChartKeys, find_renames
from tests.compat_support import ROOT, chart_archive, write_chart_repo
from tests.helm_support import helm_or_skip
from tests.kitrepo import commit_all, git, init_repo, make_bare_remote, write_kit
from tests.servers import FileServer

runner = CliRunner()
UPSTREAM = "https://charts.example.test/stable"
KIT_URL = "https://github.com/example/core-kit.git"
CUSTOMER_SECRET = "cust-s3cret-value"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: web
          image: "example/web:{{ .Values.image.tag }}"
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: {{ .Release.Name }}-auth
stringData:
  password: {{ .Values.password | quote }}
  user: admin
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  listen: {{ .Values.listen | quote }}
"""
OLD_SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-old
spec:
  ports: [{port: 80}]
"""
VALUES_1 = """\
image: {tag: "1.0"}
replicas: 1
password: hunter2-old
listen: ":8428"
server: {httpListenAddr: ":8428"}
oldKey: gone-soon
persistence: {storageClass: ""}
"""
VALUES_2 = """\
image: {tag: "1.1"}
replicas: 1
password: hunter2-new
listen: ":8428"
server: {http: {listenAddr: ":8428"}}
newKey: fresh
persistence: {storageClass: ""}
"""
SCHEMA_2 = {"type": "object", "properties": {
    "tuning": {"type": "object", "properties": {"level": {"type": "integer"}}},
}}  # fmt: skip


def _web(version: str, values: str, extra: dict[str, str] | None = None) -> bytes:
    templates = {"deployment.yaml": DEPLOYMENT, "secret.yaml": SECRET, "configmap.yaml": CONFIGMAP}
    return chart_archive("web", version, {**templates, **(extra or {})}, values=values)


def _with_schema(data: bytes) -> bytes:
    """The archive with values.schema.json added (as `helm package` lays it out)."""
    import io
    import tarfile

    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data)) as old, tarfile.open(fileobj=out, mode="w:gz") as new:
        for member in old:
            new.addfile(member, old.extractfile(member))
        body = json.dumps(SCHEMA_2).encode()
        info = tarfile.TarInfo("web/values.schema.json")
        info.size = len(body)
        new.addfile(info, io.BytesIO(body))
    return out.getvalue()


def _kit_values(version: str, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    web = {"repoURL": UPSTREAM, "chart": "web", "version": version, "namespace": "web",
           "values": values}  # fmt: skip
    return {"base": {"web": web}, "aws": {}, "gcp": {}, "addons": {}}


RELEASE_1 = {"replicas": 2, "persistence": {"storageClass": "standard"},
             "legacy": {"flag": False}, "tuning": {"level": 1}}  # fmt: skip
RELEASE_2 = {"replicas": 3}


def _write_release(kit: Path, version: str | None, chart: str, values: dict[str, Any]) -> None:
    write_kit(kit, components=_kit_values(chart, values), version=version)
    for section in ("base", "aws", "gcp", "addons"):  # the real app-of-apps templates
        shutil.copytree(ROOT / "core" / section / "templates",
                        kit / "core" / section / "templates", dirs_exist_ok=True)  # fmt: skip


@pytest.fixture
def helm_path(monkeypatch: pytest.MonkeyPatch) -> str:
    helm = helm_or_skip()
    monkeypatch.setenv("PATH", f"{Path(helm).parent}{os.pathsep}{os.environ['PATH']}")
    return helm


@pytest.fixture
def bed(tmp_path: Path, helm_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The kit (release/2024.1 on web 1.0.0, release/2024.2 on web 1.1.0), its bare remote,
    the chart repository behind a mirror, and a fleet with customer `acme`."""
    write_chart_repo(tmp_path / "charts", {
        ("web", "1.0.0"): (_web("1.0.0", VALUES_1, {"service-old.yaml": OLD_SERVICE}), None),
        ("web", "1.1.0"): (_with_schema(_web("1.1.0", VALUES_2)), None),
    })  # fmt: skip
    kit = init_repo(tmp_path / "kit")
    _write_release(kit, None, "1.0.0", RELEASE_1)
    commit_all(kit, "kit")
    for version, chart, values in (("2024.1", "1.0.0", RELEASE_1), ("2024.2", "1.1.0", RELEASE_2)):
        git(kit, "checkout", "-q", "-B", f"release/{version}", "main")
        _write_release(kit, version, chart, values)
        commit_all(kit, f"Release {version}")
    git(kit, "checkout", "-q", "main")
    kit_bare = make_bare_remote(tmp_path / "kit.git", kit)
    _customer(tmp_path, kit_bare)
    with FileServer(root=tmp_path / "charts") as server:
        mirrors = tmp_path / "mirrors.yaml"
        mirrors.write_text(yaml.safe_dump({UPSTREAM: server.url}))
        monkeypatch.setenv("RELEASER_MIRRORS", str(mirrors))
        monkeypatch.setenv("RELEASER_TODAY", "2026-11-22")
        yield tmp_path


APPS = f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: acme-base, namespace: argocd}}
spec:
  source:
    repoURL: {KIT_URL}
    path: core/base
    targetRevision: release/2024.1
    helm:
      valuesObject:
        components:
          web:
            values:
              replicas: 5
              password: {CUSTOMER_SECRET}
              persistence: {{storageClass: gp3}}
              legacy: {{flag: true}}
              tuning: {{level: 3}}
  destination: {{server: https://kubernetes.default.svc, namespace: argocd}}
"""


def _customer(base: Path, kit_bare: Path) -> None:
    work = init_repo(base / "acme-src")
    (work / "argocd").mkdir()
    (work / "argocd/apps.yaml").write_text(APPS)
    commit_all(work, "acme")
    bare = base / "acme.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(bare)], check=True)
    fleet = {"kit": {"repoURL": KIT_URL, "remote": kit_bare.as_uri()}, "customers": [{
        "name": "acme", "repo": bare.as_uri(), "branch": "main", "path": "argocd",
        "provider": "aws", "kubernetes": "1.35.2",
    }]}  # fmt: skip
    (base / "fleet.yaml").write_text(yaml.safe_dump(fleet, sort_keys=False))


def _diff(bed: Path, *args: str) -> Any:
    argv = ["--kit", str(bed / "kit"), "--fleet", str(bed / "fleet.yaml"), "--json", "diff",
            "release/2024.1", "release/2024.2", *args]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def _resources(data: Any, app_name: str) -> dict[str, dict[str, Any]]:
    [found] = [a for a in data["rendered"]["apps"] if a["name"] == app_name]
    assert found["errors"] == []
    return {f"{r['kind']}/{r['name']}": r for r in found["resources"]}


def test_a_version_bump_shows_exactly_the_changed_and_removed_resources(bed: Path) -> None:
    data = _diff(bed, "--render")
    rendered = data["rendered"]
    assert rendered["kubernetes"] == "1.36.0" and rendered["helm"].startswith("helm v3.")
    web = _resources(data, "web")
    assert {k: r["change"] for k, r in web.items()} == {
        "Deployment/web": "changed", "Secret/web-auth": "changed", "Service/web-old": "removed",
    }  # the ConfigMap renders the same at both versions: not listed
    deployment = web["Deployment/web"]["diff"]
    assert "-  replicas: 2\n+  replicas: 3" in deployment  # the kit's default changed
    assert '-        image: example/web:1.0\n+        image: example/web:1.1' in deployment
    assert web["Service/web-old"]["diff"].startswith("--- a/v1/Service web-old\n+++ /dev/null")
    [unchanged] = [a["unchanged"] for a in rendered["apps"] if a["name"] == "web"]
    assert unchanged == 1
    base = _resources(data, "core-base")
    assert list(base) == ["Application/web"]
    assert '-    targetRevision: 1.0.0\n+    targetRevision: 1.1.0' in base["Application/web"]["diff"]


def test_secret_values_are_masked_and_never_printed_nor_kept_on_disk(bed: Path) -> None:
    argv = ["--kit", str(bed / "kit"), "--fleet", str(bed / "fleet.yaml"), "diff",
            "release/2024.1", "release/2024.2", "--render"]  # fmt: skip
    for form in ("text", "md", "json"):
        result = runner.invoke(app, [*argv, "--format", form])
        assert result.exit_code == 0, result.stdout + result.stderr
        shown = result.stdout + result.stderr
        assert "Secret web-auth" in shown and "<masked: changed>" in shown, form
        for secret in ("hunter2", "admin"):
            assert secret not in shown, (form, secret)
    diff = _resources(_diff(bed, "--render"), "web")["Secret/web-auth"]["diff"]
    assert "-  password: '<masked: before>'\n+  password: '<masked: changed>'" in diff
    assert "   user: <masked>" in diff  # unchanged values are masked too
    customer = _diff(bed, "--render", "--customer", "acme")  # acme sets its own password
    assert "Secret/web-auth" not in _resources(customer, "web")  # the same at both refs
    cache = Path(os.environ["XDG_CACHE_HOME"])
    files = [p for p in cache.rglob("*") if p.is_file()]
    assert files  # the chart archives are cached; nothing rendered or given is
    for path in files:
        data = path.read_bytes()
        assert CUSTOMER_SECRET.encode() not in data and b"<masked" not in data, path


def test_customer_overrides_change_the_render(bed: Path) -> None:
    plain = _resources(_diff(bed, "--render"), "web")["Deployment/web"]["diff"]
    data = _diff(bed, "--render", "--customer", "acme")
    assert data["rendered"]["customer"] == "acme"
    assert data["rendered"]["kubernetes"] == "1.35.2"
    web = _resources(data, "web")
    assert "replicas: 3" in plain
    deployment = web["Deployment/web"]["diff"]
    assert "replicas" not in deployment  # acme pins 5 replicas: the kit's new default is moot
    assert "image: example/web:1.1" in deployment
    assert list(_resources(data, "acme-base")) == ["Application/web"]  # its own app name


def test_chart_values_shows_added_removed_renamed_and_changed_keys(bed: Path) -> None:
    data = _diff(bed, "--chart-values")
    [web] = data["chartValues"]
    assert (web["name"], web["from"], web["to"], web["error"]) == ("web", "1.0.0", "1.1.0", None)
    assert web["added"] == [{"path": "newKey", "value": "fresh"}]
    assert web["removed"] == [{"path": "oldKey", "value": "gone-soon"}]
    assert [(r["from"], r["to"]) for r in web["renamed"]] == [
        ("server.httpListenAddr", "server.http.listenAddr")
    ]
    assert {c["path"] for c in web["changed"]} == {"image.tag", "password"}
    text = runner.invoke(app, ["--kit", str(bed / "kit"), "diff", "release/2024.1",
                               "release/2024.2", "--chart-values"])  # fmt: skip
    assert "server.httpListenAddr -> server.http.listenAddr" in text.stdout
    assert "+ newKey" in text.stdout and "- oldKey" in text.stdout


def test_unreadable_chart_is_reported_and_exits_4(bed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (bed / "charts" / "web-1.1.0.tgz").unlink()
    argv = ["--kit", str(bed / "kit"), "--json", "diff", "release/2024.1", "release/2024.2",
            "--render"]  # fmt: skip
    result = runner.invoke(app, argv)
    assert result.exit_code == 4, result.stdout + result.stderr
    data = json.loads(result.stdout)
    [web] = [a for a in data["rendered"]["apps"] if a["name"] == "web"]
    assert web["resources"] == [] and "404" in web["errors"][0]["reason"]
    assert "the diff is partial" in result.stderr


def test_customer_needs_render_and_render_needs_helm(bed: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = ["--kit", str(bed / "kit"), "diff", "release/2024.1", "release/2024.2"]
    result = runner.invoke(app, [*argv, "--customer", "acme"])
    assert result.exit_code == 2 and "--customer needs --render" in result.stderr
    empty = bed / "no-helm"
    empty.mkdir()
    (empty / "git").symlink_to(shutil.which("git") or "/usr/bin/git")
    monkeypatch.setenv("PATH", str(empty))
    other_kit = bed / "kit-copy"
    shutil.copytree(bed / "kit", other_kit)
    result = runner.invoke(app, ["--kit", str(other_kit), *argv[2:], "--render"])
    assert result.exit_code == 2 and "--render needs helm" in result.stderr


def test_preflight_keeps_a_key_the_chart_still_accepts(bed: Path) -> None:
    argv = ["--fleet", str(bed / "fleet.yaml"), "--json", "rollout", "--customer", "acme",
            "--to", "2024.2", "--dry-run", "--allow-incompatible"]  # fmt: skip
    result = runner.invoke(app, argv[:-1])
    data = json.loads(result.stdout)
    dropped = [b["message"] for b in data["blocks"] if b["rule"] == "dropped-key"]
    assert len(dropped) == 1 and "components.web.values.legacy.flag" in dropped[0]
    notes = "\n".join(data["notes"])
    assert "components.web.values.persistence.storageClass" in notes  # in values.yaml
    assert "components.web.values.tuning.level" in notes  # declared by values.schema.json
    assert "the kit no longer sets it, but web 1.1.0 still takes it" in notes


def test_rollout_pull_request_carries_the_rendered_diff(bed: Path) -> None:
    """GitHub's pulls API is emulated by tests/review_server.py (see tests/test_rollout_pr.py)."""
    from tests.review_server import running

    fleet = yaml.safe_load((bed / "fleet.yaml").read_text())
    with running("github", bed / "acme.git", "rvw-token", "example/acme") as github:
        fleet["customers"][0]["review"] = {"provider": "github", "url": github.url,
                                           "tokenEnv": "ACME_REVIEW_TOKEN",
                                           "repository": "example/acme"}  # fmt: skip
        (bed / "fleet.yaml").write_text(yaml.safe_dump(fleet, sort_keys=False))
        argv = ["--fleet", str(bed / "fleet.yaml"), "--json", "rollout", "--customer", "acme",
                "--to", "2024.2", "--pr", "--accept-dropped-keys"]  # fmt: skip
        result = runner.invoke(app, argv, env={"ACME_REVIEW_TOKEN": "rvw-token"})
        assert result.exit_code == 0, result.stdout + result.stderr
        body = github.pulls[1].body
    assert "### Rendered manifests" in body
    assert "<summary>web</summary>" in body and "<summary>acme-base</summary>" in body
    assert "+        image: example/web:1.1" in body
    assert "-kind: Service" in body  # web-old is removed
    assert CUSTOMER_SECRET not in body.split("<summary>web</summary>")[1]
    assert "hunter2" not in body



# --------------------------------------------------------------------------- pure rules


def test_renames_need_the_same_value_and_a_similar_path() -> None:
    gone = {"server.httpListenAddr": ":8428", "metrics.enabled": False, "a.b": "x"}
    came = {"server.http.listenAddr": ":8428", "tracing.enabled": False, "zzz": "x"}
    assert [(r.old, r.new) for r in find_renames(gone, came)] == [
        ("server.httpListenAddr", "server.http.listenAddr")
    ]  # `false` is shared by too many keys to pair metrics.enabled with tracing.enabled
    assert find_renames({"a.replicas": 1}, {"a.replicas": "1"}) == ()  # 1 is not "1"


def test_chart_keys_accept_defaults_free_form_maps_and_schema_declarations() -> None:
    schema = {"properties": {"pods": {"patternProperties": {"^label-": {"type": "string"}}},
                             "extra": {"additionalProperties": {"type": "string"}},
                             "both": {"allOf": [{"properties": {"x": {}}}]}}}  # fmt: skip
    keys = ChartKeys("c", "1.0.0", {"podAnnotations": {}, "a": {"b": 1}}, schema)
    for path in (["a", "b"], ["podAnnotations", "any"], ["pods", "label-x"], ["extra", "k"],
                 ["both", "x"]):  # fmt: skip
        assert keys.accepts(path), path
    for path in (["a", "c"], ["pods", "other"], ["nothing"], ["both", "y"]):
        assert not keys.accepts(path), path


def test_a_secret_added_whole_is_masked_and_a_non_map_data_too() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
              "data": {"k": "c2VjcmV0"}, "stringData": "raw"}  # fmt: skip
    before, after = mask_secrets(None, secret)
    assert before is None and after == {**secret, "data": {"k": MASK_CHANGED},
                                         "stringData": MASK_CHANGED}  # fmt: skip
    plain = {"kind": "ConfigMap", "data": {"k": "v"}}
    assert mask_secrets(plain, plain) == (plain, plain)


def test_chart_apps_are_the_rendered_single_source_chart_applications() -> None:
    docs = [
        {"kind": "Application", "metadata": {"name": "web"}, "spec": {
            "source": {"repoURL": "https://r", "chart": "web", "targetRevision": "1.0.0",
                       "helm": {"valuesObject": {"a": 1}}},
            "destination": {"namespace": "web"}}},
        {"kind": "Application", "metadata": {"name": "git"}, "spec": {"source": {"path": "x"}}},
        {"kind": "ConfigMap", "metadata": {"name": "c"}},
        "not a mapping",
    ]  # fmt: skip
    [web] = chart_apps(docs)
    assert (web.name, web.chart, web.version, web.namespace, web.release, dict(web.values)) == (
        "web", "web", "1.0.0", "web", "web", {"a": 1})


def test_a_section_chart_helm_refuses_is_reported_for_its_application(bed: Path) -> None:
    kit = bed / "kit"
    git(kit, "checkout", "-q", "release/2024.2")
    (kit / "core/base/templates/broken.yaml").write_text("{{ fail \"kit template broken\" }}\n")
    commit_all(kit, "broken")
    git(kit, "checkout", "-q", "main")
    argv = ["--kit", str(kit), "--json", "diff", "release/2024.1", "release/2024.2", "--render"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 4, result.stdout + result.stderr
    [base] = [a for a in json.loads(result.stdout)["rendered"]["apps"] if a["name"] == "core-base"]
    assert "kit template broken" in base["errors"][0]["reason"]
    assert "core-base (core/base at release/2024.2" in result.stderr

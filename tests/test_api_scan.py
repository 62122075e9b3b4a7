"""The template scanner: which apiVersion/kind pairs a chart's templates and CRDs can produce."""

from __future__ import annotations

import hashlib
import io
import tarfile
import time
from pathlib import Path

import pytest

from releaser.adapters.chart_archive import (
    ArchiveError,
    ChartArchiveStore,
    archive_url,
    read_archive,
)
from releaser.adapters.http import HttpClient
from releaser.domain.api_scan import ApiChoice, collect_defines, scan_chart, scan_template
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError
from tests.compat_support import chart_archive, write_chart_repo
from tests.servers import FileServer

HELPERS = """{{/* vim: set filetype=mustache: */}}
{{- define "pdb.apiVersion" -}}
{{- if semverCompare "<1.21-0" .Capabilities.KubeVersion.GitVersion -}}
{{- print "policy/v1beta1" -}}
{{- else -}}
{{- print "policy/v1" -}}
{{- end -}}
{{- end -}}

{{- define "psp.apiVersion" -}}
{{- if semverCompare "<1.10-0" .Capabilities.KubeVersion.GitVersion -}}
{{- print "extensions/v1beta1" -}}
{{- else -}}
{{- print "policy/v1beta1" -}}
{{- end -}}
{{- end -}}

{{- define "plain.apiVersion" -}}apps/v1{{- end -}}
{{- define "nested.apiVersion" -}}{{ include "plain.apiVersion" . }}{{- end -}}
"""


def _one(text: str, defaults: dict[str, object] | None = None) -> list[ApiChoice]:
    return scan_template("t.yaml", text, collect_defines({"_h.tpl": HELPERS}), defaults or {})


def test_literal_documents_in_one_file_are_each_found() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\n---\napiVersion: networking.k8s.io/v1beta1\nkind: Ingress\n"
    assert [(c.kind, c.candidates, c.by_cluster) for c in _one(text)] == [
        ("ConfigMap", ("v1",), False),
        ("Ingress", ("networking.k8s.io/v1beta1",), False),
    ]


def test_quoted_values_and_comments_are_read_as_yaml_would() -> None:
    [choice] = _one('apiVersion: "apps/v1"   # the stable one\nkind: \'Deployment\'\n')
    assert (choice.kind, choice.candidates) == ("Deployment", ("apps/v1",))


def test_capabilities_if_else_is_a_choice_made_by_the_cluster() -> None:
    text = (
        '{{- if .Capabilities.APIVersions.Has "autoscaling/v2" }}\napiVersion: autoscaling/v2\n'
        "{{- else }}\napiVersion: autoscaling/v2beta2\n{{- end }}\nkind: HorizontalPodAutoscaler\n"
    )
    [choice] = _one(text)
    assert choice.candidates == ("autoscaling/v2", "autoscaling/v2beta2")
    assert choice.by_cluster


def test_ternary_on_kube_version_is_a_choice_made_by_the_cluster() -> None:
    text = (
        'apiVersion: {{ ternary "policy/v1" "policy/v1beta1" (semverCompare ">=1.21.0-0" '
        ".Capabilities.KubeVersion.Version) }}\nkind: PodDisruptionBudget\n"
    )
    [choice] = _one(text)
    assert choice.candidates == ("policy/v1", "policy/v1beta1") and choice.by_cluster


def test_helper_templates_are_resolved_to_the_literals_they_print() -> None:
    text = 'apiVersion: {{ template "pdb.apiVersion" . }}\nkind: PodDisruptionBudget\n'
    [choice] = _one(text)
    assert choice.candidates == ("policy/v1beta1", "policy/v1") and choice.by_cluster


def test_nested_includes_resolve_and_plain_helpers_are_not_cluster_choices() -> None:
    [choice] = _one('apiVersion: {{ include "nested.apiVersion" . }}\nkind: Deployment\n')
    assert choice.candidates == ("apps/v1",) and not choice.by_cluster


def test_document_under_a_values_flag_that_defaults_switch_off_is_marked() -> None:
    text = (
        "{{- if and .Values.rbac.create .Values.rbac.pspEnabled }}\n"
        'apiVersion: {{ template "psp.apiVersion" . }}\nkind: PodSecurityPolicy\n{{- end }}\n'
    )
    [off] = _one(text, {"rbac": {"create": True, "pspEnabled": False}})
    assert off.off_by_default == "and .Values.rbac.create .Values.rbac.pspEnabled"
    [on] = _one(text, {"rbac": {"create": True, "pspEnabled": True}})
    assert on.off_by_default is None


def test_missing_values_read_as_nil_and_unknown_conditions_never_switch_off() -> None:
    missing = "{{- if .Values.nothere }}\napiVersion: v1\nkind: Secret\n{{- end }}\n"
    assert _one(missing)[0].off_by_default == ".Values.nothere"
    compared = '{{- if eq .Values.mode "x" }}\napiVersion: v1\nkind: Secret\n{{- end }}\n'
    assert _one(compared, {"mode": "y"})[0].off_by_default == 'eq .Values.mode "x"'
    assert _one(compared, {"mode": "x"})[0].off_by_default is None
    for unknown in ('eq .Release.Namespace "x"', 'include "x.enabled" .', "and .Values.off $x"):
        text = f"{{{{- if {unknown} }}}}\napiVersion: v1\nkind: Secret\n{{{{- end }}}}\n"
        assert _one(text, {"off": True})[0].off_by_default is None, unknown
    negated = "{{- if not .Values.off }}\napiVersion: v1\nkind: Secret\n{{- end }}\n"
    assert _one(negated, {"off": False})[0].off_by_default is None
    grouped = "{{- if or (.Values.a) .Values.b }}\napiVersion: v1\nkind: Secret\n{{- end }}\n"
    assert _one(grouped, {"a": False, "b": []})[0].off_by_default is not None


def test_an_api_version_from_a_value_that_is_not_set_renders_nothing() -> None:
    assert _one("apiVersion: {{ .Values.keda.apiVersion }}\nkind: ScaledObject\n") == []


PDB_FROM_VALUES = "apiVersion: {{ .Values.pdb.apiVersion }}\nkind: PodDisruptionBudget\n"


@pytest.mark.parametrize(
    ("line", "values", "expected"),
    [
        ("{{ .Values.pdb.apiVersion }}", {"pdb": {"apiVersion": "policy/v1beta1"}},
         ("policy/v1beta1",)),
        ('"{{ $.Values.pdb.apiVersion }}"', {"pdb": {"apiVersion": "policy/v1beta1"}},
         ("policy/v1beta1",)),
        ('{{ .Values.pdb.apiVersion | default "policy/v1" }}', {}, ("policy/v1",)),
        ('{{ .Values.pdb.apiVersion | default "policy/v1" }}',
         {"pdb": {"apiVersion": "policy/v1beta1"}}, ("policy/v1beta1",)),
        ('{{ default "policy/v1" .Values.pdb.apiVersion | quote }}',
         {"pdb": {"apiVersion": "policy/v1beta1"}}, ("policy/v1beta1",)),
        ('{{ include "values.apiVersion" . }}', {"pdb": {"apiVersion": "policy/v1beta1"}},
         ("policy/v1beta1",)),
        ('{{ include "values.apiVersion" . }}', {}, ("policy/v1",)),
        # a helper that also asks the cluster: every version it may print, values included
        ('{{ include "either.apiVersion" . }}', {"pdb": {"apiVersion": "policy/v1beta1"}},
         ("policy/v1", "policy/v1beta1")),
    ],
)
def test_api_versions_taken_from_values_are_resolved(
    line: str, values: dict[str, object], expected: tuple[str, ...]
) -> None:
    helpers = HELPERS + (
        '{{- define "values.apiVersion" -}}\n{{- .Values.pdb.apiVersion | default "policy/v1" -}}\n'
        "{{- end -}}\n"
        '{{- define "either.apiVersion" -}}{{- if .Capabilities.APIVersions.Has "policy/v1" -}}'
        "policy/v1{{- else -}}{{ .Values.pdb.apiVersion }}{{- end -}}{{- end -}}\n"
    )
    text = f"apiVersion: {line}\nkind: PodDisruptionBudget\n"
    [choice] = scan_template("t.yaml", text, collect_defines({"_h.tpl": helpers}), values)
    assert choice.candidates == expected


def test_a_values_driven_deprecated_api_version_is_found_in_a_chart() -> None:
    """The chart's own default picks `policy/v1beta1`: removed in 1.25, so it is judged."""
    templates = {"templates/pdb.yaml": PDB_FROM_VALUES}
    [choice] = scan_chart(templates, {}, {"pdb": {"apiVersion": "policy/v1beta1"}})
    assert (choice.kind, choice.candidates, choice.off_by_default) == (
        "PodDisruptionBudget", ("policy/v1beta1",), None)


PDB_IF_REPLICAS = (
    "{{- if gt (int .Values.replicaCount) 1 }}\n"
    "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n{{- end }}\n"
)


@pytest.mark.parametrize(
    ("condition", "values", "off"),
    [
        ("gt (int .Values.replicaCount) 1", {"replicaCount": 1}, True),
        ("gt (int .Values.replicaCount) 1", {"replicaCount": 3}, False),
        ("gt (.Values.replicaCount | int) 1", {"replicaCount": "1"}, True),
        ("and .Values.pdb.enabled (ge (int64 .Values.replicaCount) 2)",
         {"pdb": {"enabled": True}, "replicaCount": 1}, True),
        ("and .Values.pdb.enabled (ge (int64 .Values.replicaCount) 2)",
         {"pdb": {"enabled": True}, "replicaCount": 2}, False),
        ("or .Values.a (lt .Values.n 1.5)", {"a": False, "n": 2}, True),
        ('ne .Values.mode "legacy"', {"mode": "legacy"}, True),
        ('eq .Values.mode "a" "b" "legacy"', {"mode": "legacy"}, False),
        ("not (empty .Values.list)", {"list": []}, True),
        ('hasKey .Values "psp"', {}, True),
        ('(default "on" .Values.mode)', {}, False),
        ("gt .Values.missing 1", {}, False),  # nil against a number: unknown, never off
        ("gt .Values.n .Values.name", {"n": 1, "name": "x"}, False),  # Helm would fail: unknown
    ],
)
def test_conditions_are_evaluated_with_the_values(
    condition: str, values: dict[str, object], off: bool
) -> None:
    text = f"{{{{- if {condition} }}}}\napiVersion: v1\nkind: Secret\n{{{{- end }}}}\n"
    [choice] = _one(text, values)
    assert (choice.off_by_default == condition) is off


def test_a_pdb_rendered_only_with_more_replicas_is_off_with_one() -> None:
    [off] = scan_chart({"templates/pdb.yaml": PDB_IF_REPLICAS}, {}, {"replicaCount": 1})
    assert off.off_by_default == "gt (int .Values.replicaCount) 1"
    [on] = scan_chart({"templates/pdb.yaml": PDB_IF_REPLICAS}, {}, {"replicaCount": 2})
    assert on.off_by_default is None


def test_scan_chart_skips_helpers_and_notes_and_reads_crds() -> None:
    templates = {
        "templates/_helpers.tpl": HELPERS,
        "templates/NOTES.txt": "apiVersion: v9\nkind: Nope\n",
        "templates/deploy.yaml": 'apiVersion: {{ include "plain.apiVersion" . }}\nkind: Deployment\n',
    }
    crds = {"crds/foo.yaml": "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\n"}
    found = {(c.file, c.kind, c.candidates) for c in scan_chart(templates, crds, {})}
    assert found == {
        ("templates/deploy.yaml", "Deployment", ("apps/v1",)),
        ("crds/foo.yaml", "CustomResourceDefinition", ("apiextensions.k8s.io/v1beta1",)),
    }


def test_nested_kind_keys_are_not_top_level_documents() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: extensions/v1beta1\n    kind: Ingress\n"
    assert [(c.kind, c.candidates) for c in _one(text)] == [("List", ("v1",))]


# --------------------------------------------------------------------------- hostile templates

KB30, MB4 = 30 * 1024, 4 * 1024 * 1024


def _repeat(unit: str, size: int) -> str:
    return unit * (size // len(unit))


HOSTILE = {
    "unclosed": lambda size: _repeat("{{", size),
    "unclosed-with-text": lambda size: "kind: A\napiVersion: " + _repeat("{{ x ", size),
    "nested-if": lambda size: _repeat("{{ if .Values.a }}\n", size // 2)
    + "kind: A\napiVersion: v1\n" + _repeat("{{ end }}", size // 2),
    "trim-markers": lambda size: _repeat("{{-", size),
    "closed-actions": lambda size: _repeat("{{- x -}}", size),
    "api-lines": lambda size: _repeat("apiVersion: v1\n", size),
    "else-if-chain": lambda size: "{{ if .Values.a }}" + _repeat("{{ else if .Values.b }}", size)
    + "\nkind: A\napiVersion: v1\n{{ end }}",
    "escaped-quotes": lambda size: 'kind: A\napiVersion: {{ print "' + _repeat('\\" ', size) + "}}\n",
    "nested-defines": lambda size: _repeat('{{ define "x" }}', size // 2) + _repeat("{{ end }}", size // 2),
    "padded-keys": lambda size: "kind: a" + " " * (size // 2) + "b\napiVersion: v1" + " " * (size // 2) + "x\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize(("size", "seconds"), [(KB30, 1.0), (MB4, 3.0)], ids=["30KB", "4MB"])
def test_hostile_templates_are_scanned_in_linear_time(name: str, size: int, seconds: float) -> None:
    text = HOSTILE[name](size)
    started = time.perf_counter()
    scan_chart({"templates/x.yaml": text}, {}, {"a": False})
    assert time.perf_counter() - started < seconds


def test_api_version_repeated_100k_times_is_one_choice_quickly() -> None:
    text = "kind: Deployment\n" + "apiVersion: apps/v1\n" * 100_000
    started = time.perf_counter()
    assert [(c.kind, c.candidates) for c in _one(text)] == [("Deployment", ("apps/v1",))]
    assert time.perf_counter() - started < 1.0


def test_if_nested_10000_deep_keeps_its_conditions() -> None:
    text = (
        "{{ if .Capabilities.APIVersions.Has \"x/v1\" }}\n" + "{{ if .Values.on }}\n" * 10_000
        + "{{ if .Values.off }}\nkind: A\napiVersion: v1\n" + "{{ end }}\n" * 10_002
    )
    started = time.perf_counter()
    [choice] = _one(text, {"on": True, "off": False})
    assert time.perf_counter() - started < 1.0
    assert choice.by_cluster and choice.off_by_default == ".Values.off"


def test_includes_that_fan_out_are_followed_a_bounded_number_of_times() -> None:
    helpers = "".join(
        f'{{{{ define "d{i}" }}}}apps/v{i} ' + "".join(f'{{{{ include "d{j}" . }}}}' for j in range(50))
        + "{{ end }}"
        for i in range(50)
    )
    text = "kind: A\n" + 'apiVersion: {{ include "d0" . }}\n' * 20_000
    started = time.perf_counter()
    [choice] = scan_template("t.yaml", text, collect_defines({"_h.tpl": helpers}), {})
    assert time.perf_counter() - started < 1.0
    assert choice.candidates[:2] == ("apps/v0", "apps/v1") and len(choice.candidates) <= 50


def test_a_condition_nested_beyond_reason_reads_as_unknown_not_a_crash() -> None:
    cond = "(" * 5000 + ".Values.a" + ")" * 5000
    text = f"{{{{ if {cond} }}}}\nkind: A\napiVersion: v1\n{{{{ end }}}}\n"
    [choice] = _one(text, {"a": False})
    assert choice.off_by_default is None


# --------------------------------------------------------------------------- chart archives




def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


INGRESS = "apiVersion: extensions/v1beta1\nkind: Ingress\n"


def _tar(members: list[tuple[str, bytes, bytes]]) -> bytes:
    """(name, type, data) members; type tarfile.REGTYPE, SYMTYPE, …"""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, kind, data in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            info.size = len(data) if kind == tarfile.REGTYPE else 0
            if kind == tarfile.SYMTYPE:
                info.linkname = "/etc/passwd"
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def test_archive_reader_keeps_only_chart_files_inside_the_chart() -> None:
    data = _tar([
        ("demo/Chart.yaml", tarfile.REGTYPE, b"name: demo\n"),
        ("demo/templates/ingress.yaml", tarfile.REGTYPE, INGRESS.encode()),
        ("demo/charts/sub/templates/a.yaml", tarfile.REGTYPE, b"apiVersion: v1\nkind: Secret\n"),
        ("demo/../../escape.yaml", tarfile.REGTYPE, b"x"),
        ("/abs/templates/x.yaml", tarfile.REGTYPE, b"x"),
        ("demo/templates/link.yaml", tarfile.SYMTYPE, b""),
        ("demo/README.md", tarfile.REGTYPE, b"docs"),
    ])
    assert sorted(read_archive(data, "demo")) == [
        "Chart.yaml", "charts/sub/templates/a.yaml", "templates/ingress.yaml",
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a tarball", "not a readable chart archive"),
        (_tar([("other/Chart.yaml", tarfile.REGTYPE, b"x")]), "no demo/Chart.yaml"),
        (_tar([("demo/Chart.yaml", tarfile.REGTYPE, b"x"),
               ("demo/templates/big.yaml", tarfile.REGTYPE, b"#" * (4 * 1024 * 1024 + 1))]),
         "too large"),
    ],
)
def test_unreadable_or_oversized_archives_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(ArchiveError, match=message):
        read_archive(data, "demo")


def test_relative_urls_resolve_against_the_repository_like_helm() -> None:
    release = ChartRelease("demo", "1.0.0", urls=("charts/demo-1.0.0.tgz",))
    assert archive_url("https://h.test/stable", release) == "https://h.test/stable/charts/demo-1.0.0.tgz"
    absolute = ChartRelease("demo", "1.0.0", urls=("https://cdn.test/demo.tgz",))
    assert archive_url("https://h.test/stable/", absolute) == "https://cdn.test/demo.tgz"
    with pytest.raises(UpstreamError, match="lists no archive URL"):
        archive_url("https://h.test", ChartRelease("demo", "1.0.0"))


def test_store_scans_once_and_serves_later_runs_from_the_parsed_cache(tmp_path: Path) -> None:
    data = chart_archive("demo", "1.0.0", {"ingress.yaml": INGRESS})
    write_chart_repo(tmp_path / "repo", {("demo", "1.0.0"): (data, None)})
    release = ChartRelease("demo", "1.0.0", urls=("demo-1.0.0.tgz",), digest=_sha256(data))
    with FileServer(root=tmp_path / "repo") as server:
        mirror = {"https://charts.example.test": server.url}

        def store(offline: bool = False) -> ChartArchiveStore:
            return ChartArchiveStore(tmp_path / "cache", HttpClient(),
                                     lambda u: u.replace(*next(iter(mirror.items()))), offline=offline)

        first = store().scan("https://charts.example.test", "demo", release)
        assert [(c.kind, c.candidates) for c in first.choices] == [("Ingress", ("extensions/v1beta1",))]
        again = store()
        assert again.scan("https://charts.example.test", "demo", release) == first
        assert again.downloads == 0 and server.hits("/demo-1.0.0.tgz") == 1
        assert store(offline=True).scan("https://charts.example.test", "demo", release) == first
        other = ChartRelease("demo", "1.0.1", urls=("demo-1.0.1.tgz",), digest="0" * 64)
        with pytest.raises(UpstreamError, match="not in the cache \\(offline\\)"):
            store(offline=True).scan("https://charts.example.test", "demo", other)


def test_unreachable_host_is_not_retried_for_every_chart(tmp_path: Path) -> None:
    store = ChartArchiveStore(tmp_path / "cache", HttpClient())
    first = ChartRelease("a", "1.0.0", urls=("http://127.0.0.1:9/a-1.0.0.tgz",))
    second = ChartRelease("b", "1.0.0", urls=("http://127.0.0.1:9/b-1.0.0.tgz",))
    with pytest.raises(UpstreamError, match="connection refused"):
        store.scan("https://x.test", "a", first)
    with pytest.raises(UpstreamError, match="earlier in this run"):
        store.scan("https://x.test", "b", second)
    assert store.downloads == 2


def test_store_scans_again_with_values_once_and_names_a_vanished_archive(tmp_path: Path) -> None:
    pdb = "{{- if .Values.pdb.enabled }}\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n{{- end }}\n"
    data = chart_archive("demo", "1.0.0", {"pdb.yaml": pdb}, values="pdb:\n  enabled: false\n")
    write_chart_repo(tmp_path / "repo", {("demo", "1.0.0"): (data, None)})
    release = ChartRelease("demo", "1.0.0", urls=("demo-1.0.0.tgz",), digest=_sha256(data))
    with FileServer(root=tmp_path / "repo") as server:
        store = ChartArchiveStore(tmp_path / "cache", HttpClient(), lambda u: u.replace(
            "https://charts.example.test", server.url))
        scan = store.scan("https://charts.example.test", "demo", release)
    [default] = scan.choices
    assert default.off_by_default == ".Values.pdb.enabled"
    assert store.choices(scan, {}) == scan.choices
    [on] = store.choices(scan, {"pdb": {"enabled": True}})
    assert on.off_by_default is None and on.candidates == ("policy/v1beta1",)
    Path(str(scan.archive)).unlink()
    assert store.choices(scan, {"pdb": {"enabled": True}}) == (on,)  # served from its cache
    with pytest.raises(ArchiveError, match=r"demo 1\.0\.0: cached archive: No such file"):
        store.choices(scan, {"pdb": {"enabled": "yes"}})

"""Reading chart releases out of real Helm index files, and choosing candidates from them."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from releaser.adapters.cache import IndexCache, release_from_json, release_to_json
from releaser.adapters.helm_index import (
    IndexFormatError,
    chart_entries,
    chart_names,
    parse_changes,
    parse_created,
    releases_from_entries,
)
from releaser.domain.charts import ChartChange, ChartRelease
from releaser.domain.releases_select import releases_between, select_candidates

FIELDS = ("name", "version", "appVersion", "kubeVersion", "created", "deprecated", "description",
          "home", "sources", "urls", "digest", "annotations")
SMALL = ["ingress-nginx", "eks", "sealed-secrets", "aws-ebs-csi-driver", "external-dns",
         "external-secrets", "autoscaler", "postgres-operator", "postgres-operator-ui",
         "jetstack-cert-manager"]
BIG = [("grafana", "promtail"), ("grafana", "loki"), ("prometheus-community", "kube-prometheus-stack"),
       ("argo", "argo-cd"), ("victoriametrics", "victoria-metrics-single"), ("grafana-community", "loki")]


def _raw(upstream: Path, name: str) -> bytes:
    return (upstream / "helm-repos" / f"{name}.index.yaml").read_bytes()


@functools.cache
def _full(raw: bytes) -> dict[str, Any]:
    return yaml.load(raw, Loader=yaml.CBaseLoader)["entries"]  # type: ignore[no-any-return]


def _fields(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: e.get(k) for k in FIELDS} for e in entries]


@pytest.mark.parametrize("name", SMALL)
def test_partial_parse_equals_full_parse_for_every_chart(upstream: Path, name: str) -> None:
    raw = _raw(upstream, name)
    full = _full(raw)
    assert sorted(chart_names(raw) or []) == sorted(full)
    for chart in full:
        assert _fields(chart_entries(raw, chart) or []) == _fields(full[chart]), chart


@pytest.mark.parametrize(("name", "chart"), BIG)
def test_partial_parse_equals_full_parse_in_big_indexes(upstream: Path, name: str, chart: str) -> None:
    raw = _raw(upstream, name)
    got = chart_entries(raw, chart)
    assert got is not None and _fields(got) == _fields(_full(raw)[chart])


def test_unknown_layout_falls_back_to_a_full_parse() -> None:
    flow = b'{"apiVersion": "v1", "entries": {"a": [{"version": "1.0.0", "name": "a"}]}}'
    assert chart_names(flow) is None
    assert chart_entries(flow, "a") == [{"version": "1.0.0", "name": "a"}]
    assert chart_entries(flow, "b") is None
    with pytest.raises(IndexFormatError, match="not a Helm repository index"):
        chart_entries(b"<html></html>", "a")


def test_absent_chart_and_quoted_keys() -> None:
    raw = b"apiVersion: v1\nentries:\n  \"quoted\":\n  - version: 1.0.0\n  plain:\n  - version: 2.0.0\ngenerated: x\n"
    assert chart_names(raw) == ["quoted", "plain"]
    assert chart_entries(raw, "quoted") == [{"version": "1.0.0"}]
    assert chart_entries(raw, "plain") == [{"version": "2.0.0"}]
    assert chart_entries(raw, "other") is None


def test_malformed_block_names_its_line() -> None:
    raw = b"apiVersion: v1\nentries:\n  a:\n  - version: 1.0.0\n    urls: [x\n  - version: 2\n"
    with pytest.raises(IndexFormatError, match=r"malformed index.yaml at line \d+"):
        chart_entries(raw, "a")
    with pytest.raises(IndexFormatError, match="not a list"):
        chart_entries(b"entries:\n  a:\n    version: 1\n", "a")


@pytest.mark.parametrize(
    "raw",
    [
        b"apiVersion: v1\nentries:\n  a: &x\n  - *x\n",  # recursive alias
        b'{"x": [&a [1, 1, 1, 1, 1, 1, 1, 1, 1], &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]],'
        b' "entries": {"a": [*b, {"version": "1.0.0"}]}}',  # aliases shared, never expanded
        b"{entries: {a: " + b"[" * 5000 + b"]" * 5000 + b"}}",  # nesting past libyaml's limit
    ],
)
def test_hostile_index_yaml_is_an_index_error_or_nothing(raw: bytes) -> None:
    try:
        assert releases_from_entries(chart_entries(raw, "a") or [], "a") == []
    except IndexFormatError as err:
        assert str(err).startswith("malformed index.yaml")


def _releases(upstream: Path, name: str, chart: str) -> list[ChartRelease]:
    raw = _raw(upstream, name)
    return releases_from_entries(chart_entries(raw, chart) or [], chart)


def test_real_quirks(upstream: Path) -> None:
    dns = {r.version: r for r in _releases(upstream, "external-dns", "external-dns")}
    assert dns["1.3.1"].created is None  # Go zero time
    assert dns["1.21.1"].changes[0].kind == "added"
    pg = _releases(upstream, "postgres-operator", "postgres-operator")[0]
    assert pg.created is not None and pg.created.utcoffset() == timedelta(hours=2)
    nginx = _releases(upstream, "ingress-nginx", "ingress-nginx")
    assert nginx[0].created == datetime(2026, 3, 19, 21, 16, 17, 141043, tzinfo=UTC)
    assert nginx[0].changes == (ChartChange("", "Update Ingress-Nginx version controller-v1.15.1"),)
    grafana = {r.version: r for r in _releases(upstream, "grafana", "grafana")}
    assert grafana["10.5.15"].deprecated and not grafana["10.5.14"].deprecated
    cm = _releases(upstream, "jetstack-cert-manager", "cert-manager")
    assert all(r.version.startswith("v") for r in cm)
    eks = [r.version for r in _releases(upstream, "eks", "aws-sigv4-proxy-admission-controller")]
    assert "0.1" in eks  # a string, not the float 0.1 nor dropped


def test_non_semver_and_prerelease_never_chosen_by_default(upstream: Path) -> None:
    sealed = _releases(upstream, "sealed-secrets", "sealed-secrets")
    assert "1.13.2-r2" in [r.version for r in sealed]
    picked = select_candidates("1.13.0", sealed)
    assert picked.patch is not None and picked.patch.version != "1.13.2-r2"
    cm = _releases(upstream, "jetstack-cert-manager", "cert-manager")
    found = select_candidates("v1.20.0", cm)
    assert found.current is not None and found.current.version == "v1.20.0"
    assert found.patch is not None and found.patch.version == "v1.20.3"
    assert found.minor is not None and found.minor.version == "v1.21.1"
    assert found.major is None


def _r(version: str, **kw: Any) -> ChartRelease:
    return ChartRelease(name="c", version=version, **kw)


def test_selection_rules() -> None:
    pool = [_r(v) for v in ("2.0.0", "1.3.0-rc.1", "1.2.5", "1.2.3", "1.1.9", "0.9.0", "9.x", "1.2.4", "3.1.0-beta")]
    got = select_candidates("1.2.3", pool)
    assert (got.patch and got.patch.version, got.minor, got.major and got.major.version) == ("1.2.5", None, "2.0.0")
    pre = select_candidates("1.2.3", pool, include_prerelease=True)
    assert pre.minor is not None and pre.minor.version == "1.3.0-rc.1"
    assert pre.major is not None and pre.major.version == "3.1.0-beta"
    assert select_candidates("2.0.0", pool).by_kind() == {"patch": None, "minor": None, "major": None}
    odd = select_candidates("9.x", pool)
    assert odd.patch is None and odd.newest is not None and odd.newest.version == "2.0.0"
    between = releases_between("1.2.3", _r("2.0.0"), pool)
    assert [r.version for r in between] == ["2.0.0", "1.2.5", "1.2.4"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- kind: fixed\n  description: a bug\n  links:\n  - name: PR\n    url: https://x/1\n",
         (ChartChange("fixed", "a bug", ("https://x/1",)),)),
        ("- plain one\n- plain two\n", (ChartChange("", "plain one"), ChartChange("", "plain two"))),
        ("- **bold** not yaml\n- `code`\n", (ChartChange("", "**bold** not yaml"), ChartChange("", "`code`"))),
        ("", ()),
        ("just: a mapping\n", ()),
        ("- kind: added\n  links: []\n", ()),  # no description: nothing to show
    ],
)
def test_parse_changes(text: str, expected: tuple[ChartChange, ...]) -> None:
    assert parse_changes(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-19T21:16:17.141043059Z", datetime(2026, 3, 19, 21, 16, 17, 141043, tzinfo=UTC)),
        ("2026-07-30T05:31:19.453397+02:00",
         datetime(2026, 7, 30, 5, 31, 19, 453397, tzinfo=timezone(timedelta(hours=2)))),
        ("0001-01-01T00:00:00Z", None),
        ("yesterday", None),
        (None, None),
        ("2026-01-01T00:00:00", None),  # no zone: not an instant
    ],
)
def test_parse_created(text: str | None, expected: datetime | None) -> None:
    assert parse_created(text) == expected


def test_cache_round_trip_and_invalidation(tmp_path: Path, upstream: Path) -> None:
    releases = _releases(upstream, "external-dns", "external-dns")
    assert [release_from_json(release_to_json(r)) for r in releases] == releases
    cache = IndexCache(tmp_path)
    meta = cache.store_index("http://u:p@h/x/index.yaml", b"raw", '"e1"', None)
    assert cache.meta("http://h/x/index.yaml") == meta  # keyed without credentials
    assert "u:p" not in (tmp_path / "indexes").joinpath(next(iter((tmp_path / "indexes").iterdir())).name, "meta.json").read_text()
    cache.store_releases("http://h/x/index.yaml", meta.sha256, "external-dns", releases)
    assert cache.releases("http://h/x/index.yaml", meta.sha256, "external-dns") == releases
    assert cache.releases("http://h/x/index.yaml", "other-sha", "external-dns") is None
    for path in (tmp_path / "indexes").rglob("*.json"):
        path.write_text("{broken")
    assert cache.meta("http://h/x/index.yaml") is None  # corrupt entry = miss


TRICKY_ENTRIES = [
    "  - version: 1.0.0\n    description: a plain\n      folded line\n",
    "  - version: '1.0'\n    name: 'it''s'\n    home: \"https://x/#a\"\n",
    "  - annotations:\n      a: |\n        line one\n\n        line three\n      b: |-\n        kept\n    version: 1.0.0\n",
    "  - version: 1.0.0 # a comment\n",
    "  - version: \"esc\\u00e9\"\n",
    "  - description: >\n      folded\n      block\n    version: 1.0.0\n",
    "  - sources:\n    - https://a\n    - 'https://b'\n    urls:\n      - https://c\n    version: 2.0.0\n",
    "  - {version: 1.0.0, name: flow}\n",
    "  - version: 1.0.0\n    maintainers:\n    - name: x\n      email: y\n    keywords: [a, b]\n",
    "  - description: \"a\n      b\"\n    version: 1.0.0\n",
    "  - version: 1.0.0\n    description:\n",
]


@pytest.mark.parametrize("entry", TRICKY_ENTRIES)
def test_line_scanner_agrees_with_libyaml(entry: str) -> None:
    raw = f"apiVersion: v1\nentries:\n  c:\n{entry}  - version: 9.9.9\ngenerated: x\n".encode()
    assert _fields(chart_entries(raw, "c") or []) == _fields(_full(raw)["c"])

"""The memo of `check` answers: a warm run whose index is unchanged answers from it, and
anything the answer depends on (index bytes, current version, --pre, releaser version,
record format) makes it a miss. Real index files, served on 127.0.0.1."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from releaser import __version__
from releaser.adapters.check_memo import upgrades_from_json, upgrades_to_json
from releaser.adapters.helm_index import chart_entries, releases_from_entries
from releaser.domain.releases_select import ReleasePool
from tests.helmrepos import component, kit_components, run_check, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import FileServer

DNS = "https://kubernetes-sigs.github.io/external-dns/"


@pytest.fixture
def mirrors(tmp_path: Path, helm_server: FileServer) -> Path:
    return write_mirrors(tmp_path / "mirrors.yaml", helm_server)


def _kit(where: Path, version: str) -> Path:
    dns = component(DNS, "external-dns", version)
    return make_kit_repo(where, components=kit_components(addons={"external-dns": dns}))


def _cache() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "releaser"


def _external_dns(stdout: str) -> dict:
    (item,) = json.loads(stdout)["components"]
    return item


def _tamper_parsed_releases(app_version: str) -> None:
    """Rewrite every parsed chart record so that any release read from it says so."""
    records = list((_cache() / "indexes").rglob("charts/*.json"))
    assert records
    for path in records:
        data = json.loads(path.read_text())
        for release in data["releases"]:
            release["appVersion"] = app_version
        path.write_text(json.dumps(data))


def _memo_records() -> list[Path]:
    return sorted((_cache() / "checks").glob("*.json"))


def test_unchanged_index_is_answered_from_the_memo(tmp_path: Path, mirrors: Path) -> None:
    kit = _kit(tmp_path / "kit", "1.19.0")
    first = run_check(kit, mirrors)
    assert first.exit_code == 0, first.stderr
    assert len(_memo_records()) == 1
    _tamper_parsed_releases("tampered")
    second = run_check(kit, mirrors)
    # Same answer, byte for byte: the parsed releases were not read again.
    assert second.exit_code == 0 and second.stdout == first.stdout
    assert "tampered" not in second.stdout


def test_another_current_version_is_worked_out_again(tmp_path: Path, mirrors: Path) -> None:
    run_check(_kit(tmp_path / "a", "1.19.0"), mirrors)
    _tamper_parsed_releases("tampered")
    other = _external_dns(run_check(_kit(tmp_path / "b", "1.18.0"), mirrors).stdout)
    # A miss: the answer comes from the parsed releases (tampered here, so it shows).
    assert other["latest"]["minor"]["version"] == "1.21.1"
    assert other["latest"]["minor"]["appVersion"] == "tampered"
    # Both answers are now kept for the same index.
    (record,) = _memo_records()
    answers = json.loads(record.read_text())["answers"]
    assert set(answers) == {"1.19.0 stable", "1.18.0 stable"}


@pytest.mark.parametrize(
    "change",
    [
        {"releaser": "0.0.0-other"},
        {"format": 0},
        {"revision": "0" * 64},
    ],
    ids=["other releaser version", "other record format", "other index digest"],
)
def test_a_record_from_other_code_or_another_index_is_ignored(
    tmp_path: Path, mirrors: Path, change: dict
) -> None:
    kit = _kit(tmp_path / "kit", "1.19.0")
    run_check(kit, mirrors)
    (record,) = _memo_records()
    original = json.loads(record.read_text())
    assert original["releaser"] == __version__
    record.write_text(json.dumps({**original, **change}))
    _tamper_parsed_releases("recomputed")
    again = _external_dns(run_check(kit, mirrors).stdout)
    assert again["latest"]["minor"]["appVersion"] == "recomputed"
    rewritten = json.loads(record.read_text())
    assert {k: rewritten[k] for k in change} == {k: original[k] for k in change}
    assert list(rewritten["answers"]) == ["1.19.0 stable"]


@pytest.mark.parametrize("damage", [b"", b"{not json", b"[]", b'{"format": 1, "answers": 3}'])
def test_a_damaged_record_is_a_miss_and_is_rewritten(
    tmp_path: Path, mirrors: Path, damage: bytes
) -> None:
    kit = _kit(tmp_path / "kit", "1.19.0")
    first = run_check(kit, mirrors)
    (record,) = _memo_records()
    record.write_bytes(damage)
    second = run_check(kit, mirrors)
    assert second.exit_code == 0 and second.stdout == first.stdout
    assert json.loads(record.read_text())["answers"]["1.19.0 stable"]


def test_a_damaged_answer_is_a_miss(tmp_path: Path, mirrors: Path) -> None:
    kit = _kit(tmp_path / "kit", "1.19.0")
    first = run_check(kit, mirrors)
    (record,) = _memo_records()
    data = json.loads(record.read_text())
    data["answers"]["1.19.0 stable"]["candidates"]["minor"] = 10_000  # no such release
    record.write_text(json.dumps(data))
    second = run_check(kit, mirrors)
    assert second.exit_code == 0 and second.stdout == first.stdout


def test_pre_and_stable_answers_are_kept_apart(tmp_path: Path, mirrors: Path) -> None:
    grafana = "https://grafana.github.io/helm-charts"
    mimir = component(grafana, "mimir-distributed", "5.0.0")
    kit = make_kit_repo(tmp_path / "k", components=kit_components(base={"mimir": mimir}))
    for _ in range(2):  # the second round answers both from the memo
        pre = json.loads(run_check(kit, mirrors, "--pre").stdout)["components"][0]
        plain = json.loads(run_check(kit, mirrors).stdout)["components"][0]
        assert pre["latest"]["major"]["version"] == "6.3.0-weekly.408"
        assert plain["latest"]["major"]["version"] == "6.2.0"


@pytest.mark.parametrize(
    ("index", "chart", "current"),
    [
        ("external-dns.index.yaml", "external-dns", "1.10.0"),
        ("jetstack-cert-manager.index.yaml", "cert-manager", "v1.12.3"),
        ("prometheus-community.index.yaml", "kube-prometheus-stack", "60.0.0"),
        ("sealed-secrets.index.yaml", "sealed-secrets", "1.13.2-r2"),  # not SemVer
    ],
)
def test_stored_upgrades_read_back_equal(upstream: Path, index: str, chart: str, current: str) -> None:
    raw = (upstream / "helm-repos" / index).read_bytes()
    entries = chart_entries(raw, chart)
    assert entries is not None
    found = ReleasePool(releases_from_entries(entries, chart)).upgrades(current)
    stored = json.loads(json.dumps(upgrades_to_json(found)))
    back = upgrades_from_json(stored)
    assert back == found
    # Each release is stored once, however many steps and candidates share it.
    versions = [r["version"] for r in stored["releases"]]
    assert len(versions) == len(set(versions))

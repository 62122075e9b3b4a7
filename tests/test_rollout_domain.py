"""Pure rollout rules: durations, dropped keys, ranges (the gate's are in test_rollout_gate)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from releaser.app.rollout import RolloutRequest, roll_out
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from releaser.domain.customer import CustomerState
from releaser.domain.durations import parse_duration
from releaser.domain.errors import UsageError
from releaser.domain.kit import Kit, KubernetesRange
from releaser.domain.rollout import (
    Outcome,
    direction_blocks,
    dropped_keys,
    range_blocks,
)
from releaser.domain.versions import KitVersion, KubeVersion
from tests.argocd_server import app_json, running_argocd
from tests.customerrepo import STORY_DATE, TOKEN, has_ref, make_fleet, remote_head


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("15m", 900), ("90s", 90), ("1h30m", 5400), ("45", 45), ("0.05s", 0.05), ("2d", 172800),
     ("1.5h", 5400), ("90min", 5400), ("0", 0)],
)  # fmt: skip
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "15x", "m", "1h-5m", "99999999999d"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(UsageError):
        parse_duration(text)


def test_dropped_keys_only_counts_keys_the_current_release_had() -> None:
    overrides = {
        "global": {"domain": "x"},
        "components": {"a": {"values": {"old": 1, "chartOnly": 2}}},
    }
    before = [{"global": {"domain": ""}, "components": {"a": {"values": {"old": 0}}}}]
    after = {"global": {"domain": ""}, "components": {"a": {"values": {"olde": 0}}}}
    assert dropped_keys(overrides, before, after) == [
        (("components", "a", "values", "old"), "; renamed to 'olde'?")
    ]
    # without the current release, every key the target lacks counts
    assert [p for p, _ in dropped_keys(overrides, None, after)] == [
        ("components", "a", "values", "old"),
        ("components", "a", "values", "chartOnly"),
    ]


def kit(low: str, high: str) -> Kit:
    return Kit("k", "2024.3", KubernetesRange(low, high), (), ())


@pytest.mark.parametrize(
    ("cluster", "blocked"),
    [("1.30", False), ("v1.32.9-eks-1", False), ("1.29.9", True), ("v1.33.0+k3s1", True)],
)
def test_range_uses_the_cluster_minor(cluster: str, blocked: bool) -> None:
    assert bool(range_blocks(kit("1.30", "1.32"), KubeVersion.parse(cluster))) is blocked


def test_same_release_is_not_a_downgrade() -> None:
    assert direction_blocks(CustomerState(()), KitVersion.parse("2024.3.1"), False) == []


class InterruptingClock:
    """Ctrl-C while the gate waits."""

    def now(self) -> str:
        return "2024-09-01T00:00:00+00:00"

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        raise KeyboardInterrupt


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_interrupted_gate_is_logged_and_the_push_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_argocd(TOKEN) as argocd:
        for name in ("core-base", "core-aws", "core-addons"):
            argocd.script(name, app_json(name, "old"))
        customers = [{"name": "kuvaq", "version": "2024.2", "kubernetes": "1.30"}]
        bed = make_fleet(tmp_path, customers, argocd_url=argocd.url)
        parts = Container(GlobalOptions(fleet=bed.fleet))
        fleet = parts.fleet
        monkeypatch.setenv("KUVAQ_ARGOCD_TOKEN", TOKEN)
        monkeypatch.setenv("RELEASER_TODAY", STORY_DATE)
        ports = dataclasses.replace(
            parts.rollout_ports(),
            clock=InterruptingClock(),
            secret={"KUVAQ_ARGOCD_TOKEN": TOKEN}.get,
        )
        request = RolloutRequest(
            fleet.customer("kuvaq"),
            fleet.kit_repo_url,
            KitVersion.parse("2024.3"),
            push=True,
            wait=True,
        )
        with pytest.raises(KeyboardInterrupt):
            roll_out(request, ports)
    record = bed.log()[-1]
    assert record["outcome"] == Outcome.INTERRUPTED.value
    assert record["commit"] == remote_head(bed.remotes["kuvaq"], "releaser/kuvaq-2024.3")
    assert has_ref(bed.remotes["kuvaq"], "refs/heads/releaser/kuvaq-2024.3")

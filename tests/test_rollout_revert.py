"""`rollout --customer X --revert`: back to the version its last pushed rollout left, through
the same preflight and health gate; the downgrade and range rules become warnings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import TOKEN, cli, git, make_fleet, remote_head, show

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

APPS = ("core-base", "core-aws", "core-addons")
ENV = {"KUVAQ_ARGOCD_TOKEN": TOKEN}
# 1.32: inside 2024.3's range (1.30-1.32), above 2024.2's (1.29-1.31)
KUVAQ = {"name": "kuvaq", "version": "2024.2", "kubernetes": "1.32"}
GATE = ["--push", "--direct", "--wait", "--poll-interval", "0.05s", "--timeout", "20s"]




def script(argocd: ArgoCdEmulator, bare: Path, health: str) -> None:
    """Every app reports the customer's current main, with `health`."""
    for app in APPS:
        argocd.script(app, lambda app=app: app_json(app, remote_head(bare), health=health))


def kit_refs(bare: Path) -> set[str]:
    text = show(bare, "main", "argocd/apps.yaml").decode()
    return {line.split("targetRevision:")[1].split("#")[0].strip(" '\"") for line in text.splitlines() if "targetRevision: " in line and "release/" in line}  # fmt: skip


def test_a_degraded_rollout_is_reverted_through_the_gate(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], argocd_url=argocd.url, kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    original = show(bare, "main", "argocd/apps.yaml")
    script(argocd, bare, "Degraded")
    rolled = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", *GATE, env=ENV)
    assert rolled.code == 1 and "kuvaq: 2024.2 → 2024.3: degraded" in rolled.out
    assert "release/2024.3" in kit_refs(bare)

    script(argocd, bare, "Healthy")
    reverted = cli(bed, "rollout", "--customer", "kuvaq", "--revert", *GATE, env=ENV)

    assert reverted.code == 0, reverted.out + reverted.err
    lines = reverted.out.splitlines()
    assert lines[0] == "kuvaq: 2024.3 → 2024.2: healthy"
    assert "  - downgrade: runs 2024.3, newer than the target 2024.2 (accepted by --revert)" in lines
    assert any(line.startswith("  - kubernetes: cluster runs 1.32") and line.endswith("(accepted by --revert)") for line in lines)  # fmt: skip
    assert show(bare, "main", "argocd/apps.yaml") == original  # byte for byte back
    record = bed.log()[-1]
    assert (record["from"], record["to"], record["revert"]) == ("2024.3", "2024.2", True)
    assert record["outcome"] == "healthy"  # the reasons say what the gate saw pass
    assert [r for r in record["reasons"] if "Healthy on the pushed revision" not in r] == []
    assert {w["rule"]: w["option"] for w in record["waivers"]} == {
        "downgrade": "--revert",
        "kubernetes": "--revert",
    }

    # reverts stack like undo: the one rollout in the log is undone, nothing is left
    again = cli(bed, "rollout", "--customer", "kuvaq", "--revert", "--push", "--direct")
    assert again.code == 1
    assert "the rollout log has no pushed rollout of kuvaq to revert" in again.err


def test_a_revert_of_a_rollout_not_merged_is_refused(tmp_path: Path, kit_remote: Path) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    assert cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push").code == 0
    head = remote_head(bare)
    refused = cli(bed, "rollout", "--customer", "kuvaq", "--revert", "--push")
    assert refused.code == 1
    assert "kuvaq runs 2024.2, not what its last rollout 2024.2 → 2024.3" in refused.err
    assert remote_head(bare) == head
    assert git(bare, "branch", "--list", "releaser/kuvaq-2024.2") == ""


@pytest.mark.parametrize(
    "args",
    [
        ["--customer", "kuvaq", "--revert", "--to", "2024.2"],
        ["--next", "--revert"],
    ],
)
def test_revert_goes_with_one_customer_and_no_target(
    tmp_path: Path, kit_remote: Path, args: list[str]
) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    result = cli(bed, "rollout", *args)
    assert result.code == 2
    assert "--revert goes with --customer NAME and without --to" in result.err

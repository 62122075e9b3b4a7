"""Each preflight block: exit 1, the exact reason, nothing changed on the customer's remote."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from releaser.adapters.rollout_log import JsonlRolloutLog
from releaser.app.ports_rollout import ClusterJudgement
from releaser.app.rollout import RolloutRequest, roll_out
from releaser.cli.container import Container
from releaser.cli.context import GlobalOptions
from releaser.domain.kit import Kit
from releaser.domain.profiles import HELM_INSTALL_318, Profile
from releaser.domain.rollout import Outcome
from releaser.domain.versions import KitVersion
from tests.customerrepo import (
    FleetBed,
    cli,
    git,
    has_ref,
    make_customer_remote,
    make_fleet,
    make_kit_remote,
    remote_head,
)

KUVAQ = {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}


pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")



def bed_with(tmp_path: Path, kit_remote: Path, **spec: str) -> FleetBed:
    return make_fleet(tmp_path, [{**KUVAQ, **spec}], kit_remote=kit_remote)


def assert_unchanged(bed: FleetBed, before: str, version: str) -> None:
    bare = bed.remotes["kuvaq"]
    assert remote_head(bare) == before
    assert not has_ref(bare, f"refs/heads/releaser/kuvaq-{version}")


def blocked(bed: FleetBed, *args: str) -> list[str]:
    before = remote_head(bed.remotes["kuvaq"])
    result = cli(bed, "rollout", "--customer", "kuvaq", "--push", *args)
    assert result.code == 1, result.err
    assert "blocked" in result.out
    to = args[args.index("--to") + 1] if "--to" in args else "2024.4"
    assert_unchanged(bed, before, to)
    assert bed.log()[-1]["outcome"] == "blocked"
    return [line.strip() for line in result.out.splitlines()[1:]]


def test_cluster_outside_the_target_range_blocks(tmp_path: Path, kit_remote: Path) -> None:
    bed = bed_with(tmp_path, kit_remote, kubernetes="v1.29.8-eks-a737599")
    reasons = blocked(bed, "--to", "2024.3")
    assert reasons == [
        "- kubernetes: cluster runs v1.29.8-eks-a737599 (minor 1.29), outside the target's "
        "supported range 1.30–1.32"
    ]


def test_downgrade_blocks_unless_allowed(tmp_path: Path, kit_remote: Path) -> None:
    bed = bed_with(tmp_path, kit_remote)
    reasons = blocked(bed, "--to", "2024.1")
    assert reasons == [
        "- downgrade: runs 2024.2, newer than the target 2024.1 (pass --allow-downgrade to accept)"
    ]
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.1", "--allow-downgrade")
    assert result.code == 0, result.out
    assert "accepted by --allow-downgrade" in result.out
    assert bed.log()[-1]["outcome"] == "committed"


def test_missing_release_blocks(tmp_path: Path, kit_remote: Path) -> None:
    bed = bed_with(tmp_path, kit_remote)
    reasons = blocked(bed, "--to", "2025.1")
    assert reasons == ["- release: release/2025.1 does not exist on the kit remote"]


def test_missing_add_on_and_dropped_keys_block_with_their_paths(
    tmp_path: Path, kit_remote: Path
) -> None:
    bed = bed_with(tmp_path, kit_remote)
    reasons = blocked(bed, "--to", "2024.4")
    assert reasons[0] == "- add-ons: enabled add-on 'external-dns' is not in the target"
    assert any(
        r.startswith("- dropped-key: base: components.ingress-nginx.values.controller.replicaCount")
        and "argocd/apps.yaml:15 (Application core-base helm.valuesObject)" in r
        and "renamed to 'replicas'?" in r
        and r.endswith("(pass --accept-dropped-keys to accept)")
        for r in reasons
    ), reasons
    assert any("addons: components.external-dns.values.txtOwnerId" in r for r in reasons)
    # accepting dropped keys leaves the add-on block alone
    reasons = blocked(bed, "--to", "2024.4", "--accept-dropped-keys")
    assert reasons[0] == "- add-ons: enabled add-on 'external-dns' is not in the target"
    assert all("accepted by --accept-dropped-keys" in r for r in reasons[1:]), reasons


def test_key_from_a_value_file_in_the_customer_repo_is_checked(
    tmp_path: Path, kit_remote: Path
) -> None:
    """values/aws.yaml (read through `$values/...`) sets a key the kit defaulted in 2024.2
    and dropped in the target; the report names the file."""
    bed = bed_with(tmp_path, kit_remote)
    src = tmp_path / "kuvaq-src"
    (src / "values/aws.yaml").write_text(
        "components:\n  cluster-autoscaler:\n    values:\n      scanInterval: 10s\n"
    )
    git(src, "commit", "-qam", "tune autoscaler")
    git(src, "push", "-q", bed.remotes["kuvaq"].as_uri(), "main")
    # a kit where 2024.2 defaults scanInterval and 2024.3 does not
    import copy

    from tests.kitrepo import DEFAULT_COMPONENTS

    with_key = copy.deepcopy(DEFAULT_COMPONENTS)
    with_key["aws"]["cluster-autoscaler"]["values"] = {"scanInterval": "10s"}
    kit = make_kit_remote(
        tmp_path / "kit2",
        {
            "2024.2": {"kubernetes": ("1.29", "1.31"), "components": with_key},
            "2024.3": {"kubernetes": ("1.30", "1.32")},
        },
    )
    text = bed.fleet.read_text().replace(bed.kit_remote.as_uri(), kit.as_uri())
    bed.fleet.write_text(text)
    reasons = blocked(bed, "--to", "2024.3")
    assert reasons == [
        "- dropped-key: aws: components.cluster-autoscaler.values.scanInterval (set in "
        "values/aws.yaml) is not in the target's defaults (pass --accept-dropped-keys to accept)"
    ]


def test_unusable_reference_blocks(tmp_path: Path, kit_remote: Path) -> None:
    bare = make_customer_remote(tmp_path, "kuvaq", "2024.2")
    src = tmp_path / "kuvaq-src"
    text = (src / "argocd/addons.yml").read_text().replace("release/2024.2", "main")
    (src / "argocd/addons.yml").write_text(text)
    git(src, "commit", "-qam", "follow main")
    git(src, "push", "-q", bare.as_uri(), "main")
    bed = make_fleet(tmp_path / "other", [KUVAQ], kit_remote=kit_remote)
    bed.fleet.write_text(
        bed.fleet.read_text().replace(bed.remotes["kuvaq"].as_uri(), bare.as_uri())
    )
    bed.remotes["kuvaq"] = bare
    reasons = blocked(bed, "--to", "2024.3")
    assert reasons == [
        "- references: argocd/addons.yml:17 (ApplicationSet core-addons, "
        "spec.template.spec.source): targetRevision 'main' is not a release branch (release/YYYY.N)"
    ]
    status = cli(bed, "--json", "rollout", "--status").json["customers"][0]
    assert status["version"] is None
    assert status["detail"] == "mixed (addons main, aws 2024.2, base 2024.2)"


class FailingVerdicts:
    """The compatibility engine's port, answering `fail` for one component."""

    def __init__(self) -> None:
        self.asked: list[tuple[str | None, list[str], str]] = []
        self.profiles: list[Profile | None] = []

    def on_cluster(
        self, kit: Kit, components: list[str], cluster_version: str, overrides: Any = (), *,
        profile: Profile | None = None,
    ) -> ClusterJudgement:
        self.asked.append((kit.version, components, cluster_version))
        self.profiles.append(profile)
        version = kit.component("cert-manager").version  # type: ignore[union-attr]
        return ClusterJudgement((f"cert-manager {version} fails on {cluster_version}",))


def test_component_with_a_fail_verdict_blocks(tmp_path: Path, kit_remote: Path) -> None:
    bed = bed_with(tmp_path, kit_remote)
    parts = Container(GlobalOptions(fleet=bed.fleet))
    fleet = parts.fleet
    verdicts = FailingVerdicts()
    ports = dataclasses.replace(parts.rollout_ports(), verdicts=verdicts)
    request = RolloutRequest(
        fleet.customer("kuvaq"), fleet.kit_repo_url, KitVersion.parse("2024.3"), push=True
    )
    result = roll_out(request, ports)
    assert result.outcome is Outcome.BLOCKED
    assert [str(b) for b in result.blocks] == [
        "compatibility: cert-manager v1.21.0 fails on v1.30.4-eks-a737599"
    ]
    # asked about exactly the components kuvaq runs: its sections, add-ons only when enabled
    assert verdicts.asked == [
        (
            "2024.3",
            ["cert-manager", "ingress-nginx", "cluster-autoscaler", "external-dns"],
            "v1.30.4-eks-a737599",
        )
    ]
    assert JsonlRolloutLog(parts.fleet_file.parent / ".releaser/rollouts.jsonl").records()[-1]["reasons"] == [
        "compatibility: cert-manager v1.21.0 fails on v1.30.4-eks-a737599"
    ]
    assert verdicts.profiles == [None]  # no `deploy:`: the kit's own deploy path


def test_the_preflight_judges_with_the_customers_deploy_profile(
    tmp_path: Path, kit_remote: Path
) -> None:
    bed = make_fleet(tmp_path, [{**KUVAQ, "deploy": {"helm": "3.17.2"}}], kit_remote=kit_remote)
    parts = Container(GlobalOptions(fleet=bed.fleet))
    verdicts = FailingVerdicts()
    ports = dataclasses.replace(parts.rollout_ports(), verdicts=verdicts)
    customer = parts.fleet.customer("kuvaq")
    request = RolloutRequest(
        customer, parts.fleet.kit_repo_url, KitVersion.parse("2024.3"), push=True
    )
    assert roll_out(request, ports).outcome is Outcome.BLOCKED
    assert verdicts.profiles == [HELM_INSTALL_318] and customer.deploy == HELM_INSTALL_318

"""Evaluator profiles against the answers of real Helm binaries, and where they show up.

tests/data/helm-answers.jsonl.gz holds what Helm 3.6.2, 3.17.2, 3.18.0, 3.19.0 and 4.3.1
answered, recorded once by scripts/record_helm_answers.py (its docstring says how), for every
(constraint, cluster gitVersion) pair along each deploy path. Each profile must agree with every
binary and path it stands for, on every pair.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from releaser.adapters.yaml import parse_document
from releaser.domain.charts import ChartRelease
from releaser.domain.compat_sources import Target, kube_version_findings
from releaser.domain.constraints import Constraint, InvalidConstraint, PatchSpan
from releaser.domain.errors import InvalidFileError, UsageError
from releaser.domain.findings import Finding
from releaser.domain.fleet import read_fleet
from releaser.domain.profiles import (
    ARGOCD_33,
    ARGOCD_34,
    HELM_INSTALL,
    HELM_INSTALL_318,
    HELM_TEMPLATE,
    PROFILES,
    Profile,
    describe_spans,
    for_argocd,
    for_deploy,
    for_helm,
    profile_named,
)
from releaser.domain.versions import KubeVersion
from tests.compat_support import TODAY

ANSWERS = Path(__file__).parent / "data" / "helm-answers.jsonl.gz"
EKS = "v1.30.4-eks-a737599"

# profile -> the (Helm version, path) recordings it stands for (see the recording script).
RECORDED_BY: dict[str, tuple[tuple[str, str], ...]] = {
    "helm-install-3.18": (("3.17.2", "install"), ("3.18.0", "install"), ("3.17.2", "template")),
    "helm-install": (("3.19.0", "install"), ("4.3.1", "install")),
    "helm-template": (("3.19.0", "template"), ("4.3.1", "template")),
    "argocd-3.3": (("3.17.2", "minor"), ("3.19.0", "minor")),  # Argo CD 3.2: 3.18.4; 3.3: 3.19.4
    "argocd-3.4": (("3.19.0", "release"), ("4.3.1", "release")),  # 3.4: 3.19.4; 3.5: 4.2.1
}


@cache
def _answers() -> dict[tuple[str, str], dict[tuple[str, str], bool]]:
    """(helm, path) -> (constraint, cluster) -> allowed."""
    found: dict[tuple[str, str], dict[tuple[str, str], bool]] = defaultdict(dict)
    for line in gzip.decompress(ANSWERS.read_bytes()).decode().splitlines():
        row = json.loads(line)
        found[(row["helm"], row["path"])][(row["constraint"], row["cluster"])] = row["allowed"]
    return dict(found)


def _ours(profile: Profile, constraint: str, cluster: str) -> bool:
    try:
        parsed = Constraint.parse(constraint)
    except InvalidConstraint:
        return False  # IsCompatibleRange answers false: Helm refuses the chart
    return profile.allows(parsed, KubeVersion.parse(cluster))


# --------------------------------------------------------------------------- real Helm answers


@pytest.mark.parametrize("name", sorted(RECORDED_BY))
def test_each_profile_agrees_with_real_helm_on_every_recorded_case(name: str) -> None:
    profile = profile_named(name)
    for recording in RECORDED_BY[name]:
        cases = _answers()[recording]
        assert len(cases) >= 1000, recording
        wrong = [(c, k, helm) for (c, k), helm in cases.items() if _ours(profile, c, k) != helm]
        assert wrong == [], f"{name} vs helm {recording}: {len(wrong)} of {len(cases)}"


def test_the_recordings_hold_every_disagreement_the_profiles_exist_for() -> None:
    """The table is not trivially agreeable: the paths answer differently on many pairs."""
    install, template = _answers()[("3.19.0", "install")], _answers()[("3.19.0", "template")]
    old, minor = _answers()[("3.17.2", "install")], _answers()[("3.19.0", "minor")]
    assert sum(install[k] != template[k] for k in install) >= 100  # the vendor suffix
    assert sum(install[k] != old[k] for k in install) >= 20  # Masterminds 3.3 vs 3.4
    assert sum(template[k] != minor[k] for k in template) >= 50  # MAJOR.MINOR only
    assert install[(">=1.21.0-0 <1.31.0", EKS)] and not old[(">=1.21.0-0 <1.31.0", EKS)]


def test_helm_before_3_12_differs_only_on_constraints_the_profiles_document() -> None:
    """Helm 3.6.2 (Masterminds 3.1.1) is judged with rules 3.3; these are where it differs."""
    recorded = _answers()[("3.6.2", "install")]
    differ = sorted({c for (c, k), helm in recorded.items()
                     if _ours(HELM_INSTALL_318, c, k) != helm})
    assert differ == KNOWN_HELM_36_DIFFERENCES


# Masterminds 3.1.1 still read comparators written without a blank or comma between them.
KNOWN_HELM_36_DIFFERENCES = [">=1.30<1.31"]


def test_the_installed_helm_still_gives_the_recorded_answers(tmp_path: Path) -> None:
    """Asks the helm the tests render with (3.6.2 in CI) a sample of the recorded cases
    again, the way the recording script did: the table is what a real binary answers."""
    from tests.helm_support import helm_or_skip, run_helm

    helm = helm_or_skip()
    version = run_helm(helm, ["version", "--short"], tmp_path).stdout.strip()
    recorded = _answers().get((version.lstrip("v").split("+")[0], "template"))
    if recorded is None:
        pytest.skip(f"no recorded answers for helm {version}")
    sample = sorted(recorded.items())[::40]
    for n, ((constraint, cluster), expected) in enumerate(sample):
        chart = tmp_path / f"chart-{n}"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: probe\nversion: 0.1.0\n"
                                          f"kubeVersion: {json.dumps(constraint)}\n")
        done = run_helm(helm, ["template", "probe", str(chart), "--kube-version", cluster],
                        tmp_path)
        rejected = "chart requires kubeVersion" in done.stderr
        assert rejected or done.returncode == 0, done.stderr
        assert (not rejected) == expected, (constraint, cluster)


# --------------------------------------------------------------------------- patch ranges


def _brute(constraint: Constraint, minor: int, pre: str, rules: str) -> list[int]:
    return [p for p in range(60)
            if constraint.allows(f"1.{minor}.{p}{'-' + pre if pre else ''}", rules)]  # type: ignore[arg-type]


def _spans_cover(spans: tuple[PatchSpan, ...]) -> list[int]:
    return [p for p in range(60) if any(s.covers(p) for s in spans)]


@cache
def _constraints() -> list[Constraint]:
    parsed = []
    for text in sorted({c for cases in _answers().values() for c, _ in cases}):
        try:
            parsed.append(Constraint.parse(text))
        except InvalidConstraint:
            continue
    return parsed


@pytest.mark.parametrize("rules", ["3.3", "3.4"])
@pytest.mark.parametrize("pre", ["", "eks-0"])
def test_patch_spans_match_every_patch_checked_one_by_one(rules: str, pre: str) -> None:
    for constraint in _constraints():
        for minor in (29, 30, 31):
            spans = constraint.patches(1, minor, pre, rules)  # type: ignore[arg-type]
            assert _spans_cover(spans) == _brute(constraint, minor, pre, rules), constraint.raw


def test_describe_spans_names_the_passing_part() -> None:
    assert describe_spans("1.30", (PatchSpan(4, None),)) == "from 1.30.4"
    assert describe_spans("1.30", (PatchSpan(0, 9),)) == "up to 1.30.9"
    assert describe_spans("1.30", (PatchSpan(0, None),)) == "every 1.30 patch"
    assert describe_spans("1.30", (PatchSpan(2, 2), PatchSpan(5, None))) == (
        "1.30.2 only, from 1.30.5")
    assert describe_spans("1.30", (PatchSpan(2, 5),)) == "1.30.2 to 1.30.5"


# --------------------------------------------------------------------------- choosing a profile


@pytest.mark.parametrize(
    ("version", "expected"),
    [("v3.4.4", ARGOCD_34), ("3.4.0", ARGOCD_34), ("v3.5.1", ARGOCD_34), ("v3.3.14", ARGOCD_33),
     ("v2.14.21", ARGOCD_33), ("v3.4.0-rc1", ARGOCD_34)],
)
def test_argocd_versions_map_to_the_string_they_pass(version: str, expected: Profile) -> None:
    assert for_argocd(version) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [("3.17.2", HELM_INSTALL_318), ("v3.18.6", HELM_INSTALL_318), ("3.19.0", HELM_INSTALL),
     ("4.1.4", HELM_INSTALL), ("3.6.2", HELM_INSTALL_318)],
)
def test_helm_versions_map_to_their_masterminds_rules(version: str, expected: Profile) -> None:
    assert for_helm(version) == expected


def test_unknown_profile_or_version_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        profile_named("argo")
    assert caught.value.exit_code == 2 and "argocd-3.4" in (caught.value.hint or "")
    with pytest.raises(UsageError):
        for_argocd("latest")
    with pytest.raises(UsageError):
        for_deploy({"flux": "2.0"})


def test_profiles_derive_the_string_each_path_sends() -> None:
    kube = KubeVersion.parse(EKS)
    assert HELM_INSTALL.seen(kube).raw == EKS and HELM_INSTALL_318.seen(kube).raw == EKS
    assert HELM_TEMPLATE.seen(kube).raw == "1.30.4" == ARGOCD_34.seen(kube).raw
    assert ARGOCD_33.seen(kube).raw == "1.30.0"
    assert {p.name for p in PROFILES} == set(RECORDED_BY)


# --------------------------------------------------------------------------- findings


def _finding(constraint: str, target: str, profile: Profile) -> Finding:
    release = ChartRelease("x", "1.0.0", kube_version=constraint)
    [finding] = kube_version_findings(release, Target.parse(target), profile)
    return finding


@pytest.mark.parametrize("profile", PROFILES, ids=str)
@pytest.mark.parametrize("constraint", ["foo", ">=1.30.0 <"])
def test_a_malformed_constraint_fails_under_every_profile(constraint: str, profile: Profile) -> None:
    for target in ("1.30", EKS):
        finding = _finding(constraint, target, profile)
        assert finding.level == "fail" and "Helm refuses to install this chart" in finding.message


def test_a_minor_column_is_judged_over_its_patches() -> None:
    finding = _finding(">=1.30.4", "1.30", ARGOCD_34)
    assert finding.level == "warn" and "from 1.30.4" in finding.message
    # Argo CD <= 3.3 sends 1.30 (read 1.30.0): every 1.30 cluster is rejected there.
    assert "under Argo CD <= 3.3: every 1.30 cluster is rejected" in finding.message
    assert _finding(">=1.30.4", "1.30", ARGOCD_33).level == "fail"
    assert _finding(">=1.30.4", "1.31", ARGOCD_34).level == "ok"
    up_to = _finding("<1.30.5", "1.30", HELM_TEMPLATE)
    assert up_to.level == "warn" and "up to 1.30.4" in up_to.message


def test_a_minor_below_the_range_fails_and_names_the_comparator() -> None:
    finding = _finding(">=1.32.0-0", "1.31", ARGOCD_34)
    assert finding.level == "fail" and finding.message.startswith("out of range")
    assert "`>=1.32.0-0`" in finding.message


def test_suffix_only_failures_are_told_apart_from_range_failures() -> None:
    suffix = _finding(">=1.25.0", EKS, HELM_INSTALL)
    assert suffix.level == "fail"
    assert suffix.message.startswith("rejected for its vendor suffix only")
    assert "`>=1.25.0-0`" in suffix.message
    assert "and Argo CD >= 3.4: it passes" in suffix.message
    ranged = _finding(">=1.31.0", EKS, HELM_INSTALL)
    assert ranged.level == "fail" and ranged.message.startswith("out of range")


def test_a_cell_names_the_deploy_paths_that_answer_otherwise() -> None:
    finding = _finding(">=1.21.0-0 <1.31.0", EKS, ARGOCD_34)
    assert finding.level == "ok"
    assert ("under `helm install` (Helm <= 3.18): v1.30.4-eks-a737599 is rejected for its "
            "vendor suffix only: add `-0` (`>=1.21.0-0 <1.31.0-0`)") in finding.message
    same = _finding(">=1.21.0-0", EKS, ARGOCD_34)
    assert "other deploy paths" not in same.message


def test_the_vendor_warning_of_a_minor_column_names_its_profile_and_fix() -> None:
    finding = _finding(">=1.23.0", "1.30", HELM_INSTALL)
    assert finding.level == "warn" and "pre-release rule" in finding.message
    assert "`>=1.23.0-0`" in finding.message
    assert ("under `helm template --kube-version` (Helm >= 3.19), Argo CD <= 3.3 and Argo CD "
            ">= 3.4: every 1.30 cluster passes") in finding.message
    assert _finding(">=1.23.0", "1.30", ARGOCD_34).level == "ok"


def test_helm_3_18_needs_dash_zero_on_every_comparator() -> None:
    finding = _finding(">=1.21.0-0 <1.31.0", "1.30", HELM_INSTALL_318)
    assert finding.level == "warn" and "`>=1.21.0-0 <1.31.0-0`" in finding.message
    assert _finding(">=1.21.0-0 <1.31.0", "1.30", HELM_INSTALL).level == "ok"


# --------------------------------------------------------------------------- fleet `deploy:`

FLEET = """\
kit:
  repoURL: https://github.com/example/core-kit.git
customers:
  - name: kuvaq
    repo: file:///srv/git/kuvaq.git
    kubernetes: v1.30.4-eks-a737599
    deploy: {argocd: v3.4.4}
  - name: menetekel
    repo: file:///srv/git/menetekel.git
    kubernetes: "1.31"
    deploy:
      helm: 3.17.2
  - name: plain
    repo: file:///srv/git/plain.git
    kubernetes: "1.31"
"""


def test_fleet_deploy_picks_each_customers_profile() -> None:
    fleet = read_fleet(parse_document(FLEET, "fleet.yaml"))
    assert [c.deploy for c in fleet.customers] == [ARGOCD_34, HELM_INSTALL_318, None]


@pytest.mark.parametrize(
    ("deploy", "expected"),
    [
        ("{argocd: v3.4.4, helm: 3.17.2}", "fleet.yaml:7: customers[0].deploy: expected exactly one"),
        ("{flux: 2.0}", "fleet.yaml:7: customers[0].deploy.flux: unknown key"),
        ("{argocd: latest}", "fleet.yaml:7: customers[0].deploy.argocd: invalid Argo CD version"),
        ("[argocd]", "fleet.yaml:7: customers[0].deploy: expected a mapping"),
    ],
)
def test_a_bad_deploy_names_file_line_and_path(deploy: str, expected: str) -> None:
    text = FLEET.replace("{argocd: v3.4.4}", deploy)
    with pytest.raises(InvalidFileError) as caught:
        read_fleet(parse_document(text, "fleet.yaml"))
    assert caught.value.exit_code == 3
    assert any(str(p).startswith(expected) for p in caught.value.problems), caught.value.problems


# --------------------------------------------------------------------------- the kit's own path


def _real_kit():  # type: ignore[no-untyped-def]
    from releaser.adapters.kit_files import WorktreeFiles
    from releaser.app.kit import load_kit
    from tests.compat_support import ROOT

    return load_kit(WorktreeFiles(ROOT), parse_document)


def test_the_default_profile_is_the_argo_cd_the_kit_ships() -> None:
    from releaser.app.compat import CompatService
    from tests.compat_support import IndexFileSource, real_data

    kit = _real_kit()
    service = CompatService(IndexFileSource(), real_data())
    profile, origin = service.deploy_profile(kit)
    assert profile == ARGOCD_34 and origin == "the kit's argo-cd 9.7.1 (Argo CD v3.4.4)"
    assert service.deploy_profile(kit, HELM_INSTALL_318) == (HELM_INSTALL_318,
                                                              "chosen for this run")
    matrix = service.evaluate_kit(kit, ["1.35"], TODAY, HELM_TEMPLATE)
    assert matrix.profile == HELM_TEMPLATE and matrix.as_dict()["profile"] == "helm-template"


def test_without_a_readable_argo_cd_the_default_is_helm_install_and_says_why() -> None:
    from releaser.app.compat import CompatService
    from tests.compat_support import REPOSITORIES, IndexFileSource, real_data

    argo = "https://argoproj.github.io/argo-helm"
    files = {url: name for url, name in REPOSITORIES.items() if url != argo}
    service = CompatService(IndexFileSource(files), real_data())
    profile, origin = service.deploy_profile(_real_kit())
    assert profile == HELM_INSTALL and "the kit's Argo CD version is unknown" in origin
    assert "connection refused" in origin


def test_on_cluster_follows_the_customers_profile() -> None:
    from releaser.app.compat import CompatService
    from releaser.domain.kit import Component, Kit, KubernetesRange, Section
    from tests.compat_support import real_data

    class OneChart:
        def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
            return [ChartRelease(chart, "1.0.0", kube_version=">=1.25.0")]

    component = Component("demo", "base", "https://charts.example.test", "demo", "1.0.0", "d")
    kit = Kit("kit", None, KubernetesRange("1.35", "1.36"), ("aws",),
              (Section("base", (component,)),))
    service = CompatService(OneChart(), real_data())
    cluster = "v1.35.2-eks-a737599"
    [(_, verdict)] = service.on_cluster(kit, ["demo"], cluster, TODAY, HELM_INSTALL).failures
    [kube] = [r for r in verdict.reasons if r.source == "kubeVersion"]
    assert kube.level == "fail" and kube.message.startswith("rejected for its vendor suffix only")
    assert service.on_cluster(kit, ["demo"], cluster, TODAY, ARGOCD_34).failures == ()


# --------------------------------------------------------------------------- `compat --profile`

from tests.test_compat_cli import (  # noqa: E402 - fixtures of the compat end-to-end tests
    _env,  # noqa: F401
    core_kit,
    mirrors,  # noqa: F401
    run,
    server,  # noqa: F401
)


def test_compat_json_names_the_kits_own_profile(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    result = run(core_kit(tmp_path / "kit"), mirrors, "compat", "--no-render",
                 "--kubernetes", "1.35")
    doc = json.loads(result.stdout)
    assert doc["profile"] == "argocd-3.4"
    assert doc["profileDetail"]["origin"] == "the kit's argo-cd 9.7.1 (Argo CD v3.4.4)"


def test_compat_profile_option_overrides_it_in_text_and_markdown(
    tmp_path: Path, mirrors: Path  # noqa: F811
) -> None:
    kit = core_kit(tmp_path / "kit")
    text = run(kit, mirrors, "compat", "--no-render", "--kubernetes", "1.35", "--profile",
               "helm-install-3.18", json_out=False)
    assert ("kubeVersion judged as `helm install` (Helm <= 3.18) (profile helm-install-3.18; "
            "chosen for this run)") in text.stdout
    md = run(kit, mirrors, "compat", "--no-render", "--kubernetes", "1.35", "--profile",
             "argocd-3.3", "--format", "md", json_out=False)
    assert "profile argocd-3.3" in md.stdout


def test_compat_unknown_profile_is_a_usage_error(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    result = run(core_kit(tmp_path / "kit"), mirrors, "compat", "--profile", "argo")
    assert result.exit_code == 2 and "unknown profile 'argo'" in result.stderr

"""`releaser plan`, `plan --apply` and the picker behind `bump --latest-compatible`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from releaser.adapters.kit_files import WorktreeFiles
from releaser.adapters.yaml import parse_document
from releaser.adapters.yaml.edit import ExactTextFiles, set_scalar
from releaser.app.bump import BumpPorts, BumpRequest, bump
from releaser.app.compat import CompatService
from releaser.app.kit import load_kit
from releaser.app.plan import Planner, apply_plan
from releaser.domain.charts import ChartRelease
from releaser.domain.findings import Finding
from releaser.domain.kit import Component
from releaser.domain.plan import (
    Judgement,
    SharedFailure,
    judge_change,
    newer_releases,
    newest_compatible,
    plan_component,
    plan_notes,
)
from releaser.domain.verdict import Verdict
from tests.compat_support import REPOSITORIES, ROOT, TODAY, IndexFileSource, real_data
from tests.test_compat_cli import _env, core_kit, demo_kit, mirrors, run, server  # noqa: F401

COMPONENT = Component("demo", "base", "https://x.test", "demo", "2.0.0", "demo")


def _releases(*versions: str) -> list[ChartRelease]:
    return [ChartRelease("demo", v) for v in versions]


def _judge(failing: set[str]) -> tuple[list[str], object]:
    asked: list[str] = []

    def judge(release: ChartRelease) -> Judgement:
        asked.append(release.version)
        ok = release.version not in failing
        return Judgement(ok, "fine" if ok else f"{release.version} fails on 1.35")

    return asked, judge


# --------------------------------------------------------------------------- domain


def test_newer_releases_never_go_down_and_skip_prerelease_and_non_semver() -> None:
    found = newer_releases("2.0.0", _releases("1.9.0", "2.0.0", "v2.0.0", "2.1.0-rc.1",
                                              "0.1", "2.0.1", "3.0.0"))
    assert [r.version for r in found] == ["3.0.0", "2.0.1"]
    with_pre = newer_releases("2.0.0", _releases("2.1.0-rc.1", "2.0.1"), include_prerelease=True)
    assert [r.version for r in with_pre] == ["2.1.0-rc.1", "2.0.1"]


def test_plan_proposes_newest_passing_same_major_and_holds_major_apart() -> None:
    asked, judge = _judge({"2.3.0"})
    proposal, held = plan_component(
        COMPONENT, _releases("3.1.0", "3.0.0", "2.3.0", "2.2.0", "2.1.0", "1.0.0"), judge  # type: ignore[arg-type]
    )
    assert proposal is not None and (proposal.to_version, proposal.change) == ("2.2.0", "minor")
    assert [(h.to_version, h.kind) for h in held] == [("3.1.0", "major"), ("2.3.0", "incompatible")]
    assert "review its upgrade notes" in held[0].reason and "fails on 1.35" in held[1].reason
    assert asked == ["3.1.0", "2.3.0", "2.2.0"]  # 3.0.0 and older than the pick never judged


def test_plan_proposes_nothing_when_everything_newer_fails() -> None:
    _, judge = _judge({"2.1.0", "2.0.1"})
    proposal, held = plan_component(COMPONENT, _releases("2.1.0", "2.0.1"), judge)  # type: ignore[arg-type]
    assert proposal is None and [h.to_version for h in held] == ["2.1.0"]


def test_newest_compatible_can_exclude_majors() -> None:
    _, judge = _judge(set())
    releases = _releases("3.0.0", "2.1.0")
    assert newest_compatible("2.0.0", releases, judge).version == "3.0.0"  # type: ignore[arg-type,union-attr]
    assert newest_compatible("2.0.0", releases, judge, allow_major=False).version == "2.1.0"  # type: ignore[arg-type,union-attr]


EOL = Finding("fail", "lifecycle/kubernetes", "Kubernetes 1.33 reached upstream end of life on 2026-06-28")
NEAR = Finding("warn", "lifecycle/kubernetes", "Kubernetes 1.35 reaches upstream end of life soon")


def test_a_failure_the_current_version_shares_holds_no_candidate_back() -> None:
    current = {"1.33": Verdict.of([EOL]), "1.35": Verdict.of([NEAR])}
    judged = judge_change(current, current, "Kubernetes 1.33–1.35")
    assert judged.ok and judged.shared == (SharedFailure("1.33", EOL.source, EOL.message),)
    assert judged.reason == "newest release not failing on Kubernetes 1.33–1.35"  # no own warning


def test_a_failure_of_the_candidate_alone_holds_it_back() -> None:
    removed = Finding("fail", "deprecated-apis", "policy/v1beta1 PodDisruptionBudget removed in 1.25")
    current = {"1.33": Verdict.of([EOL])}
    judged = judge_change({"1.33": Verdict.of([EOL, removed])}, current, "Kubernetes 1.33")
    assert not judged.ok
    assert judged.reason == f"fails on 1.33: {removed.message} (deprecated-apis)"
    # a failure the current version does not have on that target is the candidate's own
    assert not judge_change({"1.34": Verdict.of([EOL])}, current, "Kubernetes 1.34").ok
    warned = judge_change({"1.33": Verdict.of([EOL, NEAR])}, current, "Kubernetes 1.33")
    assert warned.ok and warned.reason.endswith("; warnings on 1.33")


def test_plan_notes_say_each_shared_failure_once() -> None:
    eol = SharedFailure("1.33", EOL.source, EOL.message)
    api = SharedFailure("1.33", "deprecated-apis", "batch/v1beta1 CronJob removed in 1.25")
    notes = plan_notes({"a": [eol, eol, api], "b": [eol], "c": []})
    assert [(n.failure, n.components, n.every) for n in notes] == [
        (eol, ("a", "b"), False), (api, ("a",), False)]
    [every] = plan_notes({"a": [eol], "b": [eol]})
    assert every.every and every.text == (
        f"1.33: {EOL.message} (lifecycle/kubernetes): the current version fails the same way, "
        "so it holds back no candidate (every component)")


# --------------------------------------------------------------------------- real data


def test_plan_on_the_real_kit_proposes_what_compat_accepts() -> None:
    kit = load_kit(WorktreeFiles(ROOT), parse_document)
    service = CompatService(IndexFileSource(), real_data())
    plan = Planner(service, TODAY).plan(kit)
    assert plan.proposals, "the real kit is behind upstream: something must be proposed"
    targets = ("1.35", "1.36")
    for proposal in plan.proposals:
        component = kit.component(proposal.name)
        assert component is not None
        release = next(r for r in service.releases(component) if r.version == proposal.to_version)
        from releaser.domain.compat_sources import Target

        verdicts = service.release_verdicts(kit, component, release,
                                            [Target.parse(t) for t in targets], TODAY)
        assert not any(v.level == "fail" for v in verdicts.values()), proposal
        assert proposal.change in ("patch", "minor")
    held = {h.name: h for h in plan.held}
    assert held["argo-cd"].kind == "major" and held["argo-cd"].to_version.startswith("10.")
    # cluster-autoscaler 9.59.0 (autoscaler 1.35) is proposed: upstream lists no 1.36 yet.
    assert "cluster-autoscaler" not in held


def test_a_plan_missing_a_repository_is_partial_and_apply_writes_nothing() -> None:
    kit = load_kit(WorktreeFiles(ROOT), parse_document)
    [loki] = [c for c in kit if c.name == "loki"]
    readable = {url: f for url, f in REPOSITORIES.items() if url != loki.repo_url}
    plan = Planner(CompatService(IndexFileSource(readable), real_data()), TODAY).plan(kit)
    assert [u.component for u in plan.unverified] == [
        c.name for c in kit if c.repo_url == loki.repo_url
    ]
    assert plan.unverified[0].reason == f"{loki.repo_url}: connection refused"
    assert plan.proposals and all(p.name != "loki" for p in plan.proposals)
    assert plan.as_dict()["unverified"][0] == plan.unverified[0].as_dict()
    # a partial plan is never applied: the ports would fail if it tried to write
    assert apply_plan(plan, None) == []  # type: ignore[arg-type]


# --------------------------------------------------------------------------- CLI


def test_plan_cli_proposes_minor_holds_failing_and_major(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    result = run(demo_kit(tmp_path / "kit", "2.0.0"), mirrors, "plan", "--no-render")
    doc = json.loads(result.stdout)
    assert doc["proposals"] == [{"name": "demo", "section": "base", "from": "2.0.0", "to": "2.1.0",
                                 "change": "minor", "reason": doc["proposals"][0]["reason"]}]
    held = {(h["to"], h["kind"]) for h in doc["held"]}
    assert held == {("3.0.0", "major"), ("2.2.0", "incompatible")}
    [failing] = [h for h in doc["held"] if h["kind"] == "incompatible"]
    assert "extensions/v1beta1 Ingress" in failing["reason"]
    assert doc["applied"] == [] and result.exit_code == 0


def test_plan_apply_edits_one_line_and_compat_then_accepts(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    kit = demo_kit(tmp_path / "kit", "2.0.0")
    before = (kit / "core/base/values.yaml").read_text()
    applied = run(kit, mirrors, "plan", "--apply", "--no-render")
    assert applied.exit_code == 0 and json.loads(applied.stdout)["applied"][0]["to"] == "2.1.0"
    after = (kit / "core/base/values.yaml").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    old, new = changed[0]
    assert old.replace("2.0.0", "2.1.0") == new
    compat = run(kit, mirrors, "compat", "--no-render")
    assert compat.exit_code == 0, compat.stdout


def test_plan_apply_on_the_core_kit_is_accepted_by_compat(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    kit = core_kit(tmp_path / "kit")
    applied = run(kit, mirrors, "plan", "--apply", "--no-render")
    proposals = {p["name"]: p["to"] for p in json.loads(applied.stdout)["proposals"]}
    assert proposals and applied.exit_code == 0
    diff = subprocess.run(["git", "-C", str(kit), "diff", "--numstat"], capture_output=True,
                          text=True, check=True).stdout
    assert all(line.split()[:2] == [str(n), str(n)] for line in diff.splitlines()
               for n in [int(line.split()[0])])  # only replaced lines
    rows = {c["name"]: c for c in json.loads(run(kit, mirrors, "compat", "--no-render").stdout)["components"]}
    for name, version in proposals.items():
        assert rows[name]["version"] == version
        assert all(rows[name]["verdicts"][m]["verdict"] != "fail" for m in ("1.35", "1.36")), name


def test_bump_latest_compatible_uses_the_planner(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    from releaser.cli.container import Container
    from releaser.cli.context import GlobalOptions

    kit = demo_kit(tmp_path / "kit", "2.0.0")
    parts = Container(GlobalOptions(kit=kit, mirrors=mirrors))
    ports = BumpPorts(
        files=WorktreeFiles(kit), parse=parse_document, text=ExactTextFiles(kit), edit=set_scalar,
        source_for=lambda url: parts.chart_source(), picker=parts.planner(render=False),
    )
    result = bump(BumpRequest("demo", latest_compatible=True), ports)
    assert (result.from_version, result.to_version) == ("2.0.0", "2.1.0")


def test_a_range_with_an_end_of_life_minor_still_proposes_the_due_bumps(
    tmp_path: Path, mirrors: Path  # noqa: F811
) -> None:
    """1.33 and 1.34 are past upstream end of life on 2026-11-22 (the packaged lifecycle
    data): every version of every component fails there, the current ones included."""
    kit = core_kit(tmp_path / "kit")
    spec = kit / "core/kit.yaml"
    spec.write_text(spec.read_text().replace('min: "1.35"', 'min: "1.33"'))
    subprocess.run(["git", "-C", str(kit), "commit", "-qam", "range from 1.33"], check=True)
    real = load_kit(WorktreeFiles(ROOT), parse_document)
    due = Planner(CompatService(IndexFileSource(), real_data()), TODAY).plan(real)
    result = run(kit, mirrors, "plan", "--no-render")
    doc = json.loads(result.stdout)
    assert result.exit_code == 0, result.stderr
    assert [(p["name"], p["to"]) for p in doc["proposals"]] == [
        (p.name, p.to_version) for p in due.proposals]
    assert all(h["kind"] == "major" for h in doc["held"])
    notes = {(n["kubernetes"], n["source"]): n for n in doc["notes"]}
    eol = notes[("1.33", "lifecycle/kubernetes")]
    assert eol["message"] == "Kubernetes 1.33 reached upstream end of life on 2026-06-28"
    assert ("1.34", "lifecycle/kubernetes") in notes
    text = run(kit, mirrors, "plan", "--no-render", json_out=False).stdout
    assert text.count("Kubernetes 1.33 reached upstream end of life") == 1
    assert "so it holds back no candidate (every component)" in text


def test_bump_latest_compatible_on_an_end_of_life_range(tmp_path: Path, mirrors: Path) -> None:  # noqa: F811
    """The current release and its candidates share the end-of-life failure: the newest
    compatible one is still found, and a component already there stays without an error."""
    kit = core_kit(tmp_path / "kit")
    spec = kit / "core/kit.yaml"
    spec.write_text(spec.read_text().replace('min: "1.35"', 'min: "1.33"'))
    base = ["--kit", str(kit), "--mirrors", str(mirrors), "--json", "bump"]
    from typer.testing import CliRunner

    from releaser.cli.main import app

    moved = CliRunner().invoke(app, [*base, "cert-manager", "--latest-compatible"])
    assert moved.exit_code == 0, moved.stderr
    assert json.loads(moved.stdout)["to"] == "v1.21.1"
    stays = CliRunner().invoke(app, [*base, "ingress-nginx", "--latest-compatible"])
    assert stays.exit_code == 0, stays.stderr
    assert json.loads(stays.stdout) | {"file": None, "line": None} == {
        "name": "ingress-nginx", "section": "base", "from": "4.15.1", "to": "4.15.1",
        "file": None, "line": None, "changed": False}
    assert "no newer release of ingress-nginx is compatible with Kubernetes 1.33–1.36; " \
        "4.15.1 stays" in stays.stderr


def test_a_current_version_missing_from_the_index_still_shares_the_calendar(
    tmp_path: Path, mirrors: Path  # noqa: F811
) -> None:
    """2.0.5 was never published: what it shares with its candidates is judged without an
    index entry (the lifecycle), and the candidates' own failures still hold them."""
    from tests.kitrepo import make_kit_repo
    from tests.test_compat_cli import DEMO_URL

    component = {"repoURL": DEMO_URL, "chart": "legacy", "version": "2.0.5",
                 "namespace": "demo", "values": {}}
    kit = make_kit_repo(tmp_path / "kit", kubernetes=("1.33", "1.36"),
                        components={"base": {"demo": component}, "aws": {}, "gcp": {}, "addons": {}})
    doc = json.loads(run(kit, mirrors, "plan", "--no-render").stdout)
    assert [(p["to"], p["change"]) for p in doc["proposals"]] == [("2.1.0", "minor")]
    held = {h["to"]: h for h in doc["held"]}
    assert "extensions/v1beta1 Ingress" in held["2.2.0"]["reason"]
    assert ("1.33", "lifecycle/kubernetes") in {(n["kubernetes"], n["source"]) for n in doc["notes"]}

"""`campaign emit`: GitHub Actions and GitLab CI definitions validated against the JSON
schemas check-jsonschema vendors (offline), the Argo Workflows one against Hera's models and
the Workflow CRD's openAPIV3Schema (tests/data/argo-workflows, from argoproj/argo-workflows),
the matrix splits, and one run of the emitted per-customer commands against real customer
remotes and an emulated Argo CD."""

from __future__ import annotations

import gzip
import json
import shlex
import subprocess
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from releaser.cli.main import app
from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import (
    STORY_DATE,
    TOKEN,
    commit_count,
    make_fleet,
    make_kit_remote,
    remote_head,
    show,
)

WAVES = [
    {"name": "canary", "select": {"names": ["c000"]}, "soak": "30m"},
    {"name": "gold", "select": {"labels": {"tier": "gold"}}, "maxParallel": 3,
     "approval": True},
    {"name": "rest", "select": {"all": True}, "maxParallel": 300, "maxFailures": 2},
]  # fmt: skip


def synthetic_fleet(path: Path, count: int, waves: list[dict[str, Any]] = WAVES) -> Path:
    """A fleet of `count` customers (emit reads no repository), c001-c004 labelled gold."""
    customers = [
        {
            "name": f"c{i:03d}", "repo": f"file:///srv/c{i:03d}.git", "kubernetes": "1.31",
            "argocd": {"url": "https://argocd.example.com", "tokenEnv": f"C{i:03d}_TOKEN",
                       "apps": ["core"]},
            **({"labels": {"tier": "gold"}} if 1 <= i <= 4 else {}),
            **({"window": {"cron": "0 22 * * 1-4", "duration": "2h"}} if i == 0 else {}),
        }
        for i in range(count)
    ]  # fmt: skip
    fleet = {"kit": {"repoURL": "https://github.com/example/core-kit.git"},
             "customers": customers, "waves": waves}  # fmt: skip
    path.write_text(yaml.safe_dump(fleet, sort_keys=False), encoding="utf-8")
    return path


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), env={"RELEASER_TODAY": STORY_DATE, **(env or {})})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def emitted(fleet: Path, engine: str, *args: str) -> dict[str, Any]:
    code, out, err = run("--fleet", str(fleet), "campaign", "emit", "2024.3", "--engine", engine,
                         *args)  # fmt: skip
    assert code == 0, out + err
    return dict(yaml.safe_load(out))


def vendored_schema(name: str) -> dict[str, Any]:
    vendor = files("check_jsonschema.builtin_schemas.vendor")
    return dict(json.loads(vendor.joinpath(name).read_text(encoding="utf-8")))


ARGO_CRD_SCHEMA = Path(__file__).parent / "data/argo-workflows/workflow-crd-schema.json.gz"


def argo_crd_schema() -> dict[str, Any]:
    """The Workflow CRD's openAPIV3Schema, validated as JSON Schema (the keywords a CRD schema
    may use are JSON Schema's; `x-kubernetes-*` extensions are ignored by the validator)."""
    return dict(json.loads(gzip.decompress(ARGO_CRD_SCHEMA.read_bytes())))


def assert_valid(document: dict[str, Any], schema_file: str) -> None:
    schema = argo_crd_schema() if schema_file == "argo" else vendored_schema(schema_file)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


# --------------------------------------------------------------------------- GitHub Actions


def test_github_workflow_validates_and_maps_waves(tmp_path: Path) -> None:
    workflow = emitted(synthetic_fleet(tmp_path / "fleet.yaml", 300), "github")
    assert_valid(workflow, "github-workflows.json")
    jobs = workflow["jobs"]
    assert list(jobs) == ["wave-canary", "soak-canary", "approve-gold", "wave-gold",
                          "wave-rest_1", "wave-rest_2"]  # fmt: skip
    assert workflow["on"] == {"workflow_dispatch": {}}
    canary = jobs["wave-canary"]
    assert "needs" not in canary
    assert canary["strategy"] == {"max-parallel": 1, "fail-fast": True,
                                  "matrix": {"customer": ["c000"]}}  # fmt: skip
    assert canary["env"] == {"C000_TOKEN": "${{ secrets.C000_TOKEN }}"}
    assert canary["concurrency"]["group"] == "releaser-${{ matrix.customer }}"
    assert jobs["soak-canary"]["needs"] == ["wave-canary"]
    assert jobs["soak-canary"]["steps"] == [{"run": "sleep 1800"}]
    assert jobs["approve-gold"] == {
        "needs": ["soak-canary"], "runs-on": "ubuntu-latest", "environment": "releaser-gold",
        "steps": [{"run": "echo 'wave gold approved'"}],
    }  # fmt: skip
    assert jobs["wave-gold"]["needs"] == ["approve-gold"]
    assert jobs["wave-gold"]["strategy"]["matrix"]["customer"] == ["c001", "c002", "c003", "c004"]
    # 295 customers: split at 256, the second part after the first (max-parallel holds), and
    # after a failure too (the wave tolerates 2), but not after a skip.
    first, second = jobs["wave-rest_1"], jobs["wave-rest_2"]
    assert first["needs"] == ["wave-gold"]
    assert len(first["strategy"]["matrix"]["customer"]) == 256
    assert len(second["strategy"]["matrix"]["customer"]) == 39
    assert second["needs"] == ["wave-rest_1"]
    assert second["if"] == "${{ !cancelled() && needs.wave-rest_1.result != 'skipped' }}"
    assert first["strategy"]["fail-fast"] is False
    run_step = canary["steps"][3]["run"]
    assert run_step == (
        "releaser --fleet fleet.yaml rollout --customer ${{ matrix.customer }} --to 2024.3 "
        "--push --wait"
    )


def test_header_names_the_windows_no_engine_enforces(tmp_path: Path) -> None:
    fleet = synthetic_fleet(tmp_path / "fleet.yaml", 5)
    code, out, _ = run("--fleet", str(fleet), "campaign", "emit", "2024.3", "--engine", "gitlab")
    assert code == 0
    assert "# Not enforced here: the maintenance windows of c000" in out.splitlines()[3]


# --------------------------------------------------------------------------- GitLab CI


def test_gitlab_pipeline_validates_and_maps_waves(tmp_path: Path) -> None:
    pipeline = emitted(
        synthetic_fleet(tmp_path / "fleet.yaml", 300), "gitlab", "--mode", "direct",
        "--timeout", "20m", "--install", "pip install releaser==0.1.0",
    )  # fmt: skip
    assert_valid(pipeline, "gitlab-ci.json")
    assert pipeline["stages"] == ["wave-canary", "soak-canary", "approve-gold", "wave-gold_1",
                                  "wave-gold_2", "wave-rest_1", "wave-rest_2"]  # fmt: skip
    assert pipeline["default"]["before_script"] == ["pip install releaser==0.1.0"]
    canary = pipeline["wave-canary"]
    assert canary["parallel"] == {"matrix": [{"CUSTOMER": ["c000"]}]}
    assert canary["resource_group"] == "releaser-$CUSTOMER"
    assert canary["script"] == [
        'releaser --fleet fleet.yaml rollout --customer "$CUSTOMER" --to 2024.3 --push '
        "--direct --wait --timeout 20m"
    ]
    assert pipeline["soak-canary"]["when"] == "delayed"
    assert pipeline["soak-canary"]["start_in"] == "1800 seconds"
    approve = pipeline["approve-gold"]
    assert (approve["when"], approve["allow_failure"]) == ("manual", False)
    # maxParallel 3: stages of at most 3 (GitLab has no per-job-group concurrency limit).
    assert pipeline["wave-gold_1"]["parallel"]["matrix"][0]["CUSTOMER"] == ["c001", "c002", "c003"]
    assert pipeline["wave-gold_2"]["parallel"]["matrix"][0]["CUSTOMER"] == ["c004"]
    # 295 customers at maxParallel 300: split at GitLab's 200 jobs per matrix.
    assert len(pipeline["wave-rest_1"]["parallel"]["matrix"][0]["CUSTOMER"]) == 200
    assert len(pipeline["wave-rest_2"]["parallel"]["matrix"][0]["CUSTOMER"]) == 95
    assert pipeline["workflow"]["rules"][-1] == {"when": "never"}


def test_schema_validation_is_not_vacuous() -> None:
    with pytest.raises(AssertionError):
        assert_valid({"apiVersion": "argoproj.io/v1alpha1", "kind": "Workflow",
                      "spec": {"parallelism": "many", "templates": [{"steps": "x"}]}}, "argo")
    with pytest.raises(AssertionError):
        assert_valid({"stages": ["a"], "job": {"stage": "a", "parallel": 201}}, "gitlab-ci.json")
    with pytest.raises(AssertionError):
        assert_valid({"on": "push", "jobs": {"x": {"runs-on": "a", "needz": ["y"],
                                                  "steps": [{"run": "x"}]}}},
                     "github-workflows.json")  # fmt: skip


# --------------------------------------------------------------------------- Argo Workflows


def test_argo_workflow_round_trips_through_heras_models(tmp_path: Path) -> None:
    from hera.workflows import Workflow
    from hera.workflows.models import Workflow as WorkflowModel

    fleet = synthetic_fleet(tmp_path / "fleet.yaml", 12)
    document = emitted(fleet, "argo-workflows", "--image", "registry.example.com/releaser:1")
    text = yaml.safe_dump(document)
    assert Workflow.from_yaml(text).to_dict() == document
    assert_valid(document, "argo")
    model = WorkflowModel.model_validate(document)
    assert model.kind == "Workflow" and model.api_version == "argoproj.io/v1alpha1"
    templates = {t["name"]: t for t in document["spec"]["templates"]}
    assert [s[0]["name"] for s in templates["campaign"]["steps"]] == [
        "wave-canary", "soak-canary", "approve-gold", "wave-gold", "wave-rest",
    ]  # fmt: skip
    assert templates["soak-canary"]["suspend"] == {"duration": "1800"}
    assert templates["approve-gold"]["suspend"] == {}
    gold = templates["wave-gold"]
    assert (gold["parallelism"], gold["failFast"]) == (3, True)
    assert gold["steps"][0][0]["withItems"] == ["c001", "c002", "c003", "c004"]
    assert (templates["wave-rest"]["parallelism"], templates["wave-rest"]["failFast"]) == (300, False)
    rollout = templates["rollout"]
    assert rollout["container"]["image"] == "registry.example.com/releaser:1"
    assert rollout["container"]["args"] == [
        "--fleet", "/work/fleet.yaml", "rollout", "--customer", "{{inputs.parameters.customer}}",
        "--to", "2024.3", "--push", "--wait",
    ]  # fmt: skip
    assert rollout["container"]["envFrom"] == [{"secretRef": {"name": "releaser-tokens"}}]
    assert rollout["initContainers"][0]["command"] == ["git", "init", "-q", "/work"]
    assert document["metadata"]["annotations"]["releaser/windows-not-enforced"] == "c000"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--engine", "jenkins"], "unknown engine 'jenkins'"),
        (["--engine", "github", "--mode", "yolo"], "unknown mode 'yolo'"),
        (["--engine", "github", "--timeout", "soon"], "invalid duration 'soon'"),
        (["--engine", "github", "--to-be"], "No such option"),
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    fleet = synthetic_fleet(tmp_path / "fleet.yaml", 3)
    code, out, err = run("--fleet", str(fleet), "campaign", "emit", "2024.3", *args)
    assert code == 2, out + err
    assert message in err


def test_customers_without_a_gate_need_no_wait(tmp_path: Path) -> None:
    fleet = synthetic_fleet(tmp_path / "fleet.yaml", 3)
    data = yaml.safe_load(fleet.read_text())
    del data["customers"][1]["argocd"]
    fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    code, _, err = run("--fleet", str(fleet), "campaign", "emit", "2024.3", "--engine", "gitlab")
    assert code == 2
    assert "c001 has no argocd settings: their jobs could not wait for the health gate" in err
    pipeline = emitted(fleet, "gitlab", "--no-wait")
    assert "--wait" not in pipeline["wave-canary"]["script"][0]


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    fleet = synthetic_fleet(tmp_path / "fleet.yaml", 3)
    target = tmp_path / "ci/campaign.yml"
    target.parent.mkdir()  # like every -o, a missing directory is refused, not made
    code, out, err = run("--fleet", str(fleet), "campaign", "emit", "2024.3", "--engine",
                         "github", "-o", str(target))  # fmt: skip
    assert code == 0 and out == ""
    assert f"wrote {target} (" in err
    assert yaml.safe_load(target.read_text())["jobs"]["wave-canary"]


# --------------------------------------------------------------------------- run locally

LOCAL = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"},
    {"name": "ossa", "version": "2024.2", "kubernetes": "1.31"},
]



def job_commands(workflow: dict[str, Any], job: str) -> list[tuple[list[str], dict[str, str]]]:
    """A matrix job's `releaser` command line for each customer, with the job's env resolved
    as GitHub would (each secret named like its variable)."""
    spec = workflow["jobs"][job]
    (line,) = [s["run"] for s in spec["steps"] if s.get("name") == "Roll out"]
    env = {name: TOKEN for name in spec.get("env", {})}
    found = []
    for customer in spec["strategy"]["matrix"]["customer"]:
        words = shlex.split(line.replace("${{ matrix.customer }}", customer))
        assert words[0] == "releaser"
        found.append((words[1:], env))
    return found


@pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
def test_emitted_commands_move_the_fleet_wave_by_wave(
    tmp_path: Path, argocd: ArgoCdEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    bed = make_fleet(tmp_path, LOCAL, argocd_url=argocd.url,
                     kit_remote=make_kit_remote(tmp_path / "kit"))  # fmt: skip
    data = yaml.safe_load(bed.fleet.read_text())
    for customer in data["customers"]:  # one Argo CD app per customer, on its own remote
        customer["argocd"]["apps"] = [f"{customer['name']}-core"]
    data["waves"] = [{"name": "canary", "select": {"names": ["kuvaq"]}},
                     {"name": "rest", "select": {"all": True}, "maxParallel": 2}]  # fmt: skip
    bed.fleet.write_text(yaml.safe_dump(data, sort_keys=False))
    for name, bare in bed.remotes.items():
        argocd.script(
            f"{name}-core",
            lambda n=name, b=bare: app_json(f"{n}-core", remote_head(b), health="Progressing",
                                            phase="Running"),
            lambda n=name, b=bare: app_json(f"{n}-core", remote_head(b)),
        )  # fmt: skip
    ops = bed.fleet.parent  # jobs run in a checkout of the repository holding the fleet
    subprocess.run(["git", "init", "-q", str(ops)], check=True)
    monkeypatch.chdir(ops)
    workflow = emitted(bed.fleet, "github", "--mode", "direct", "--poll-interval", "0.05s",
                       "--timeout", "30s")  # fmt: skip
    assert [j for j in workflow["jobs"]] == ["wave-canary", "wave-rest"]

    for job in ("wave-canary", "wave-rest"):
        for args, env in job_commands(workflow, job):
            code, out, err = run(*args, env=env)
            assert code == 0, out + err
            assert out.splitlines()[0].endswith("2024.2 → 2024.3: healthy"), out

    for bare in bed.remotes.values():
        assert b"targetRevision: release/2024.3" in show(bare, "main", "argocd/addons.yml")
    assert [(r["customer"], r["outcome"]) for r in bed.log()] == [
        ("kuvaq", "healthy"), ("menetekel", "healthy"), ("ossa", "healthy"),
    ]  # fmt: skip
    # A job run again (a retried pipeline) makes no second commit.
    commits = {name: commit_count(bare) for name, bare in bed.remotes.items()}
    for args, env in job_commands(workflow, "wave-rest"):
        assert run(*args, env=env)[0] == 0
    assert {name: commit_count(bare) for name, bare in bed.remotes.items()} == commits

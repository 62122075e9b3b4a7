"""`campaign emit`: the campaign as a GitHub Actions workflow or a GitLab CI pipeline.

Every job runs the idempotent per-customer step (`releaser rollout --customer X --to V
--push [--wait]`), so a job retried, or a pipeline run twice, never makes a second commit.
Waves follow one another; each engine's own gates carry what they can:

- GitHub Actions: a matrix per wave (split at 256 jobs; the parts run one after another, so
  `max-parallel` holds for the wave), `fail-fast` when the wave tolerates no failure, one
  `concurrency` group per customer, approval as a job in the environment `releaser-<wave>`
  (give it required reviewers), soak as a job that sleeps.
- GitLab CI: stages of at most `maxParallel` customers (GitLab has no per-job-group
  concurrency limit), each a `parallel:matrix` job (at most 200), `resource_group` per
  customer, approval as a `when: manual` job that blocks the pipeline, soak as a
  `when: delayed` job.

Maintenance windows have no per-job gate in either engine: the header says so and names the
customers that have one.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from releaser.adapters.yaml.dump import dump
from releaser.render import output

if TYPE_CHECKING:
    from releaser.app.campaign import CampaignDefinition, EmitWave

GITHUB_MATRIX_LIMIT = 256
GITLAB_MATRIX_LIMIT = 200
RUNNER = "ubuntu-latest"
_CUSTOMER = "\0customer\0"  # where an engine's placeholder goes in the command line
T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def command_line(definition: CampaignDefinition, placeholder: str) -> str:
    """`releaser …` quoted for a POSIX shell, with the engine's customer placeholder."""
    words = ["releaser", *definition.rollout_args(_CUSTOMER)]
    return " ".join(placeholder if w == _CUSTOMER else shlex.quote(w) for w in words)


def log_path(definition: CampaignDefinition) -> str:
    """Where a job's rollout log lands: beside the fleet file."""
    return str(PurePosixPath(definition.job.fleet_path).parent / ".releaser/rollouts.jsonl")


def header(definition: CampaignDefinition, engine: str) -> str:
    job = definition.job
    lines = [
        f"Campaign to core kit {job.version}: {engine} definition written by "
        "`releaser campaign emit`.",
        "Each job runs one customer's rollout (idempotent: a re-run makes no second commit).",
        "Waves: " + " -> ".join(w.wave.name for w in definition.waves) + ".",
    ]
    windowed = [c.name for w in definition.waves for c in w.customers if c.window is not None]
    if windowed:
        lines.append(
            f"Not enforced here: the maintenance windows of {', '.join(windowed)} "
            "(start those waves while they are open: `releaser campaign plan` shows when)."
        )
    return "".join(f"# {line}\n" for line in lines)


def _text(definition: CampaignDefinition, engine: str, data: dict[str, Any]) -> str:
    return output.terminal(header(definition, engine) + dump(data))


# --------------------------------------------------------------------------- GitHub Actions


def github_workflow(definition: CampaignDefinition) -> str:
    jobs: dict[str, Any] = {}
    needs: list[str] = []
    for wave in definition.waves:
        needs = _github_wave(definition, wave, needs, jobs)
    workflow = {
        "name": f"releaser campaign {definition.job.version}",
        "on": {"workflow_dispatch": {}},
        "permissions": {"contents": "read"},
        "concurrency": {
            "group": f"releaser-campaign-{definition.job.version}",
            "cancel-in-progress": False,
        },
        "jobs": jobs,
    }
    return _text(definition, "GitHub Actions", workflow)


def _github_wave(
    definition: CampaignDefinition, wave: EmitWave, needs: list[str], jobs: dict[str, Any]
) -> list[str]:
    """Add the wave's jobs; return what the next wave needs."""
    name = wave.wave.name
    if wave.wave.approval:
        jobs[f"approve-{name}"] = {
            **_needs(needs),
            "runs-on": RUNNER,
            "environment": f"releaser-{name}",
            "steps": [{"run": f"echo 'wave {name} approved'"}],
        }
        needs = [f"approve-{name}"]
    parts = chunks(wave.customers, GITHUB_MATRIX_LIMIT)
    ids = [f"wave-{name}" + (f"_{k}" if len(parts) > 1 else "") for k in range(1, len(parts) + 1)]
    for index, part in enumerate(parts):
        # The parts run in turn, so the wave never exceeds its max-parallel.
        after = _needs(needs) if not index else _next_part(wave, ids[index - 1])
        jobs[ids[index]] = {**after, **_github_matrix_job(definition, wave, part)}
    needs = ids
    if wave.wave.soak:
        seconds = round(wave.wave.soak)
        jobs[f"soak-{name}"] = {
            **_needs(needs),
            "runs-on": RUNNER,
            "timeout-minutes": seconds // 60 + 10,
            "steps": [{"run": f"sleep {seconds}"}],
        }
        needs = [f"soak-{name}"]
    return needs


def _needs(needs: list[str]) -> dict[str, Any]:
    return {"needs": list(needs)} if needs else {}


def _next_part(wave: EmitWave, previous: str) -> dict[str, Any]:
    """A part after the previous one; a wave that tolerates failures goes on after one (not
    after a skip: then an earlier wave failed); the next wave still needs every part."""
    if not wave.wave.max_failures:
        return {"needs": [previous]}
    return {
        "needs": [previous],
        "if": f"${{{{ !cancelled() && needs.{previous}.result != 'skipped' }}}}",
    }


def _github_matrix_job(
    definition: CampaignDefinition, wave: EmitWave, customers: Sequence[Any]
) -> dict[str, Any]:
    matrix = "${{ matrix.customer }}"
    tokens = definition.token_envs(customers)
    job: dict[str, Any] = {
        "name": f"{wave.wave.name} ({matrix})",
        "runs-on": RUNNER,
        "concurrency": {"group": f"releaser-{matrix}", "cancel-in-progress": False},
        "strategy": {
            "max-parallel": wave.wave.max_parallel,
            "fail-fast": wave.wave.max_failures == 0,
            "matrix": {"customer": [c.name for c in customers]},
        },
    }
    if tokens:
        job["env"] = {name: f"${{{{ secrets.{name} }}}}" for name in tokens}
    job["steps"] = [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": "3.12"}},
        {"name": "Install releaser", "run": definition.job.install},
        {"name": "Roll out", "run": command_line(definition, matrix)},
        {
            "name": "Keep the rollout log",
            "if": "always()",
            "uses": "actions/upload-artifact@v4",
            "with": {
                "name": f"rollout-log-{matrix}",
                "path": log_path(definition),
                "if-no-files-found": "ignore",
            },
        },
    ]
    return job


# --------------------------------------------------------------------------- GitLab CI


def gitlab_pipeline(definition: CampaignDefinition) -> str:
    stages: list[str] = []
    jobs: dict[str, Any] = {}
    for wave in definition.waves:
        _gitlab_wave(definition, wave, stages, jobs)
    pipeline = {
        # Only on demand (web, API, trigger or schedule): never because the file was pushed.
        "workflow": {
            "rules": [
                {"if": '$CI_PIPELINE_SOURCE =~ /^(web|api|trigger|schedule)$/'},
                {"when": "never"},
            ]
        },
        "stages": stages,
        "default": {
            "image": definition.job.image,
            "interruptible": False,
            "before_script": [definition.job.install],
        },
        **jobs,
    }
    return _text(definition, "GitLab CI", pipeline)


def _gitlab_wave(
    definition: CampaignDefinition, wave: EmitWave, stages: list[str], jobs: dict[str, Any]
) -> None:
    name = wave.wave.name
    if wave.wave.approval:
        stages.append(f"approve-{name}")
        jobs[f"approve-{name}"] = _gitlab_gate(
            f"approve-{name}", {"when": "manual", "allow_failure": False}, f"wave {name} approved"
        )
    size = min(GITLAB_MATRIX_LIMIT, wave.wave.max_parallel)
    parts = chunks(wave.customers, size)
    for k, part in enumerate(parts, 1):
        stage = f"wave-{name}" + (f"_{k}" if len(parts) > 1 else "")
        stages.append(stage)
        jobs[stage] = {
            "stage": stage,
            "parallel": {"matrix": [{"CUSTOMER": [c.name for c in part]}]},
            "resource_group": "releaser-$CUSTOMER",
            "script": [command_line(definition, '"$CUSTOMER"')],
            "artifacts": {"when": "always", "paths": [log_path(definition)]},
        }
    if wave.wave.soak:
        stages.append(f"soak-{name}")
        delay = {"when": "delayed", "start_in": f"{round(wave.wave.soak)} seconds"}
        jobs[f"soak-{name}"] = _gitlab_gate(f"soak-{name}", delay, f"wave {name} soaked")


def _gitlab_gate(stage: str, rule: dict[str, Any], says: str) -> dict[str, Any]:
    return {"stage": stage, **rule, "before_script": [], "script": [f"echo '{says}'"]}

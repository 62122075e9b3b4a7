"""`campaign emit --engine argo-workflows`: the campaign as an Argo Workflows `Workflow`,
built with Hera (its models are Argo's own schema), imported only for this engine.

One container template runs the per-customer step; each wave is a steps template looping
over its customers with `parallelism` = maxParallel and `failFast` when the wave tolerates no
failure; approval is a `suspend` step before the wave (`argo resume`), soak a timed
`suspend` after it. The fleet file comes from a ConfigMap (key `fleet.yaml`) mounted into a
writable working directory (an empty git repository, made by an init container), where each
pod's rollout log is written; the Argo CD tokens come
from a Secret whose keys are the token variables' names. Maintenance windows have no gate in
Argo Workflows: the annotation names the customers that have one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hera.workflows import Container, Parameter, Step, Steps, Suspend, UserContainer, Workflow
from hera.workflows.models import (
    ConfigMapVolumeSource,
    EmptyDirVolumeSource,
    EnvFromSource,
    SecretEnvSource,
    Volume,
    VolumeMount,
)

from releaser.render import output

if TYPE_CHECKING:
    from releaser.app.campaign import CampaignDefinition, EmitWave

WORKDIR = "/work"
FLEET_FILE = f"{WORKDIR}/fleet.yaml"


def argo_workflow(definition: CampaignDefinition) -> str:
    """The Workflow as YAML, ready for `argo submit`."""
    return output.terminal(build_workflow(definition).to_yaml())


def build_workflow(definition: CampaignDefinition) -> Workflow:
    job = definition.job
    in_pod = replace(definition, job=replace(job, fleet_path=FLEET_FILE))
    with Workflow(
        generate_name=f"releaser-campaign-{job.version.replace('.', '-')}-",
        entrypoint="campaign",
        annotations=_annotations(definition),
        volumes=[
            Volume(name="work", empty_dir=EmptyDirVolumeSource()),
            Volume(name="fleet", config_map=ConfigMapVolumeSource(name=job.configmap)),
        ],
    ) as workflow:
        rollout = _rollout_template(in_pod)
        stages = [stage for wave in definition.waves for stage in _wave_templates(wave, rollout)]
        with Steps(name="campaign"):
            for stage in stages:
                Step(name=stage.name, template=stage)
    return workflow


def _rollout_template(definition: CampaignDefinition) -> Container:
    job = definition.job
    work = VolumeMount(name="work", mount_path=WORKDIR)
    # releaser looks for a kit checkout at or above its directory: an empty repository here
    # (the image has git: every rollout needs it).
    workdir = UserContainer(
        name="workdir", image=job.argo_image, command=["git", "init", "-q", WORKDIR],
        volume_mounts=[work],
    )  # fmt: skip
    return Container(
        name="rollout",
        init_containers=[workdir],
        image=job.argo_image,
        command=["releaser"],
        args=definition.rollout_args("{{inputs.parameters.customer}}"),
        inputs=[Parameter(name="customer")],
        working_dir=WORKDIR,
        env_from=[EnvFromSource(secret_ref=SecretEnvSource(name=job.secret))] if job.wait else None,
        volume_mounts=[
            work,
            VolumeMount(name="fleet", mount_path=FLEET_FILE, sub_path="fleet.yaml"),
        ],
    )


def _wave_templates(wave: EmitWave, rollout: Container) -> list[Any]:
    """The templates the campaign steps through for one wave, in order."""
    name = wave.wave.name
    found: list[Any] = []
    if wave.wave.approval:
        found.append(Suspend(name=f"approve-{name}"))
    with Steps(
        name=f"wave-{name}",
        parallelism=wave.wave.max_parallel,
        fail_fast=wave.wave.max_failures == 0,
    ) as steps:
        Step(
            name="rollout",
            template=rollout,
            arguments={"customer": "{{item}}"},
            with_items=[c.name for c in wave.customers],
        )
    found.append(steps)
    if wave.wave.soak:
        found.append(Suspend(name=f"soak-{name}", duration=str(round(wave.wave.soak))))
    return found


def _annotations(definition: CampaignDefinition) -> dict[str, str]:
    notes = {"releaser/version": definition.job.version}
    windowed = [c.name for w in definition.waves for c in w.customers if c.window is not None]
    if windowed:
        notes["releaser/windows-not-enforced"] = ", ".join(windowed)
    return notes

"""`helm template --kube-version X` of a cached chart archive, when a helm binary exists.

Looked up on PATH, then in `<kit checkout>/.tools/bin/helm` (where `.ci/install-helm.sh`
puts it). Rendering uses the chart's default values, touches no network (the archive is a
local file, HELM_*_HOME point into a private directory) and never goes through a shell.
Rendered output is cached by archive, helm version and Kubernetes version.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from releaser.domain.api_scan import ChartScan
from releaser.domain.errors import ReleaserError

TIMEOUT = 60


class RenderError(ReleaserError):
    """helm refused the chart (kubeVersion, a `required` value, a template error)."""


def find_helm(kit_root: Path | None = None) -> str | None:
    on_path = shutil.which("helm")
    if on_path:
        return on_path
    if kit_root is not None:
        local = kit_root / ".tools" / "bin" / "helm"
        if local.is_file() and os.access(local, os.X_OK):
            return str(local)
    return None


class HelmRenderer:
    """`ChartRenderer` backed by a helm binary."""

    def __init__(self, helm: str, work_dir: Path) -> None:
        self.helm = helm
        self.work_dir = work_dir
        self._version: str | None = None

    def describe(self) -> str:
        if self._version is None:
            out = self._run(["version", "--short"])
            self._version = "helm " + (out.stdout.strip().split("+", 1)[0] or "(unknown version)")
        return self._version

    def render(self, scan: ChartScan, kube_version: str) -> str:
        if scan.archive is None:
            raise RenderError(f"{scan.chart} {scan.version}: no local archive to render")
        key = hashlib.sha256(
            f"{scan.digest}|{self.describe()}|{kube_version}".encode()
        ).hexdigest()[:40]
        cached = self.work_dir / "rendered" / f"{key}.yaml"
        if cached.is_file():
            return cached.read_text()
        args = ["template", "release", scan.archive, "--kube-version", kube_version,
                "--include-crds", "--namespace", "default"]
        out = self._run(args)
        if out.returncode != 0:
            lines = (out.stderr or out.stdout).strip().splitlines()
            raise RenderError(lines[-1] if lines else f"helm exited with {out.returncode}")
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(out.stdout)
        return out.stdout

    def _run(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
        for name in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
            env[name] = str(self.work_dir / "home" / name.lower())
        try:
            return subprocess.run(
                [self.helm, *args], env=env, capture_output=True, text=True,
                timeout=TIMEOUT, check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RenderError(f"cannot run {self.helm}: {exc}") from None

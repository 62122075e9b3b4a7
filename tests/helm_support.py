"""Finds the real helm binary the chart tests render with.

Looked up on PATH first, then in the project-local `.tools/bin/helm` that
`.ci/install-helm.sh` installs. Tests skip when neither exists, unless
RELEASER_REQUIRE_HELM is set (CI sets it), in which case a missing helm fails them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCAL_HELM = ROOT / ".tools" / "bin" / "helm"
INSTALL_HINT = "helm not found on PATH nor in .tools/bin; run .ci/install-helm.sh"


def find_helm() -> str | None:
    """Path of a helm binary, or None when none is installed."""
    on_path = shutil.which("helm")
    if on_path:
        return on_path
    if LOCAL_HELM.is_file() and os.access(LOCAL_HELM, os.X_OK):
        return str(LOCAL_HELM)
    return None


def helm_required() -> bool:
    """True when a missing helm must fail the tests instead of skipping them."""
    return os.environ.get("RELEASER_REQUIRE_HELM", "") not in ("", "0", "false")


def helm_or_skip() -> str:
    """The helm binary; without one the test is skipped, or fails where CI requires helm."""
    found = find_helm()
    if found is None:
        if helm_required():
            pytest.fail(INSTALL_HINT)
        pytest.skip(INSTALL_HINT)
    return found


def helm_env(home: Path) -> dict[str, str]:
    """Environment for helm with its config, cache and data kept under `home`."""
    env = dict(os.environ)
    for name in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
        env[name] = str(home / name.lower())
    return env


def run_helm(helm: str, args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """Runs helm with `args` (never through a shell); output captured as text."""
    return subprocess.run(
        [helm, *args],
        env=helm_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

"""Headless Chromium for tests that look at a rendered page (Debian's `chromium` package)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--hide-scrollbars",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (CI installs Debian's chromium package)")
    return found


def run_chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = [chromium(), *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=True)


def dump_dom(page: Path, profile: Path) -> str:
    """The DOM after scripts ran, as Chromium serialises it."""
    return run_chromium(page, profile, "--virtual-time-budget=2000", "--dump-dom").stdout


def screenshot(page: Path, profile: Path, out: Path, size: str = "1366,900") -> Path:
    run_chromium(page, profile, f"--screenshot={out}", f"--window-size={size}")
    return out

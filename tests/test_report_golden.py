"""`releaser report` end to end on the demo's kit history, against golden files.

The kit, customers and Helm indexes are the demo's (real index files served on 127.0.0.1);
the report is then rendered --offline from the cache, with no helm on PATH (the API source
scans templates whatever helm a machine has), so the text is the same on every machine. Set
UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner, Result

from releaser.adapters.demo_sandbox import build_sandbox
from releaser.adapters.local_helm_repo import serve_demo_charts
from releaser.cli.main import app
from releaser.domain.demo import Sandbox

GOLDEN = Path(__file__).parent / "golden" / "report"
GIT_ONLY = str(Path(shutil.which("git") or "/usr/bin/git").parent)  # git, and no helm
TODAY = "2026-11-22"


def invoke(sandbox: Sandbox, *args: str) -> Result:
    argv = [
        "--kit",
        str(sandbox.kit),
        "--fleet",
        str(sandbox.fleet),
        "--mirrors",
        str(sandbox.mirrors),
    ]
    env = {"RELEASER_TODAY": TODAY, "XDG_CACHE_HOME": str(sandbox.root / ".cache"),
           "PATH": GIT_ONLY}  # fmt: skip
    return CliRunner().invoke(app, [*argv, *args], env=env)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("report")
    with serve_demo_charts(date.fromisoformat(TODAY)) as mirrors:
        built = build_sandbox(root / "demo", mirrors, argocd_url="http://127.0.0.1:9")
        cut = invoke(built, "cut", "2026.4", "--push")
        assert cut.exit_code == 0, cut.stderr
        warm = invoke(built, "check")  # fills the index cache the offline report reads
        assert warm.exit_code == 0, warm.stderr
        yield built


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_markdown_report_matches_the_golden_file(sandbox: Sandbox) -> None:
    result = invoke(sandbox, "report", "2026.4", "--format", "md", "--offline")
    assert result.exit_code == 0, result.stderr
    assert "127.0.0.1" not in result.stdout  # the upstream URL, never the mirror
    assert len(result.stdout) < 65_000
    check_golden("2026.4.md", result.stdout)


def test_json_report_matches_the_golden_file(sandbox: Sandbox) -> None:
    result = invoke(sandbox, "--json", "report", "2026.4", "--offline")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["version"] == "2026.4" and data["against"] == "2026.3"
    ready = {c["name"]: c["ready"] for c in data["customers"]}
    assert ready == {"kuvaq": True, "menetekel": False, "lintu": True}
    check_golden("2026.4.json", result.stdout)
    schema = json.loads((Path(__file__).parents[1] / "docs/report.schema.json").read_text())
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "customers": [{"name": "x"}]}, schema)


def test_html_report_is_written_to_a_file(sandbox: Sandbox, tmp_path: Path) -> None:
    out = tmp_path / "report.html"  # its directory exists: -o never creates one
    result = invoke(sandbox, "report", "2026.4", "--format", "html", "-o", str(out), "--offline")
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'id="compat-matrix"' in html
    assert "127.0.0.1" not in html


def test_unknown_release_and_format_are_usage_errors(sandbox: Sandbox) -> None:
    missing = invoke(sandbox, "report", "2031.1", "--offline")
    assert missing.exit_code == 2 and "no release branch release/2031.1" in missing.stderr
    bad = invoke(sandbox, "report", "2026.4", "--format", "pdf", "--offline")
    assert bad.exit_code == 2 and "unknown format 'pdf'" in bad.stderr

"""Hostile upstream text through every output: a Helm repository on 127.0.0.1 whose chart
description, `artifacthub.io/changes` and kubeVersion carry HTML, script links, terminal
escape sequences, bidi overrides and table breakers. Markdown, HTML, terminal text and the
CHANGELOG entry written by `cut` must all stay inert."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner, Result

from releaser.cli.main import app
from releaser.domain.release_files import entry_text
from tests.compat_support import chart_archive
from tests.helmrepos import quiet_upstream_env
from tests.kitrepo import commit_all, make_kit_repo, write_kit
from tests.release_helpers import show
from tests.servers import FileServer

URL = "https://charts.hostile.test"
SCRIPT = "<script>alert(1)</script>"
KUBE = ">=1.2 <img src=x>"
CHANGES = [
    {"kind": "added", "description": "[x](javascript:alert(1)) and <javascript:alert(2)>",
     "links": [{"name": "evil", "url": "javascript:alert(3)"},
               {"name": "data", "url": "data:text/html,<b>hi</b>"},
               {"name": "notes", "url": "https://example.org/notes"}]},
    {"kind": "fixed", "description": "a|b\nc"},
    {"kind": "security", "description": "\x1b]52;c;ZXZpbA==\x07copied \x1b[2Jcleared \x9b31mred"},
    {"kind": "changed", "description": "\u202eevil\u202c bidi \u2066isolate\u2069"},
    "# heading\n- list item\n<img src=x onerror=alert(4)>",
]  # fmt: skip
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
LINK_TARGET = re.compile(r"(?<!\\)\]\(([^)]*)\)")
TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9+.-]*)(:?)")


def _entry(
    version: str, kube: str | None, changes: list[Any] | None
) -> tuple[dict[str, Any], bytes]:
    data = chart_archive("hostile", version, {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"})
    entry: dict[str, Any] = {
        "apiVersion": "v2", "name": "hostile", "version": version, "appVersion": SCRIPT,
        "description": f"{SCRIPT} [home](javascript:alert(5))", "urls": [f"hostile-{version}.tgz"],
        "digest": hashlib.sha256(data).hexdigest(), "created": "2026-10-01T00:00:00Z",
    }  # fmt: skip
    if kube:
        entry["kubeVersion"] = kube
    if changes:
        entry["annotations"] = {"artifacthub.io/changes": yaml.safe_dump(changes)}
    return entry, data


def write_hostile_repo(root: Path) -> Path:
    root.mkdir(parents=True)
    entries = []
    for version, kube, changes in (("1.0.0", None, None), ("1.1.0", KUBE, CHANGES)):
        entry, data = _entry(version, kube, changes)
        (root / f"hostile-{version}.tgz").write_bytes(data)
        entries.append(entry)
    index = {
        "apiVersion": "v1",
        "entries": {"hostile": entries},
        "generated": "2026-10-01T00:00:00Z",
    }
    (root / "index.yaml").write_text(yaml.safe_dump(index), encoding="utf-8")
    return root


def components(version: str) -> dict[str, dict[str, Any]]:
    hostile = {"repoURL": URL, "chart": "hostile", "version": version, "namespace": "demo",
               "values": {}}  # fmt: skip
    return {"base": {"hostile": hostile}, "aws": {}, "gcp": {}, "addons": {}}


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    quiet_upstream_env(monkeypatch, tmp_path / "cache")


@pytest.fixture
def mirrors(tmp_path: Path) -> Iterator[Path]:
    with FileServer(root=write_hostile_repo(tmp_path / "repo")) as server:
        path = tmp_path / "mirrors.yaml"
        path.write_text(yaml.safe_dump({URL: server.url}), encoding="utf-8")
        yield path


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    return make_kit_repo(tmp_path / "kit", components=components("1.0.0"))


def run(kit: Path, mirrors: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--kit", str(kit), "--mirrors", str(mirrors), *args])


def assert_terminal_safe(text: str) -> None:
    assert not CONTROL.search(text), repr(CONTROL.search(text))
    assert "\r" not in text


def assert_markdown_safe(text: str) -> None:
    assert_terminal_safe(text)
    for slash, name, colon in TAG.findall(text):
        if colon:  # an autolink: only the changelog's own http(s) links
            assert name.lower() in ("http", "https"), name
        else:  # raw HTML: only the report's own collapsible blocks
            assert name in ("details", "summary"), f"<{slash}{name}"
    for target in LINK_TARGET.findall(text):
        assert re.match(r"https?://", target), target
    assert not re.search(r"(?i)(javascript|vbscript|data|file)\s*:", text)
    assert_tables_keep_columns(text)


def columns(row: str) -> int:
    return len(re.findall(r"(?:^|[^\\])(?:\\\\)*\|", row)) - 1


def assert_tables_keep_columns(text: str) -> None:
    width = None
    for line in text.splitlines():
        if not line.startswith("|"):
            width = None
            continue
        width = width if width is not None else columns(line)
        assert columns(line) == width, line


def test_check_markdown_and_table_stay_inert(kit: Path, mirrors: Path) -> None:
    md = run(kit, mirrors, "check", "--format", "md")
    assert md.exit_code == 0, md.stderr
    assert_markdown_safe(md.stdout)
    assert "&gt;=1.2 &lt;img src=x&gt;" in md.stdout  # kubeVersion shown, escaped
    assert "a\\|b c" in md.stdout and "copied cleared red" in md.stdout
    assert "added: x and &lt;javascript\\:alert(2)&gt;" in md.stdout
    assert "[link](https://example.org/notes)" in md.stdout
    assert "\\# heading - list item &lt;img src=x onerror=alert(4)&gt;" in md.stdout
    table = run(kit, mirrors, "check", "--format", "table")
    assert table.exit_code == 0, table.stderr
    assert_terminal_safe(table.stdout + table.stderr)
    assert "hostile" in table.stdout


def test_compat_markdown_and_text_stay_inert(kit: Path, mirrors: Path) -> None:
    for fmt in ("md", "table"):
        result = run(kit, mirrors, "-v", "compat", "--format", fmt)
        assert result.exit_code in (0, 1, 4), result.stderr
        assert_terminal_safe(result.stdout + result.stderr)
        if fmt == "md":
            assert_markdown_safe(result.stdout)
        assert "hostile" in result.stdout


def test_cut_changelog_and_report_stay_inert(kit: Path, mirrors: Path, tmp_path: Path) -> None:
    first = run(kit, mirrors, "cut", "2026.1")
    assert first.exit_code == 0, first.stderr
    write_kit(kit, components=components("1.1.0"))
    commit_all(kit, "bump hostile")
    second = run(kit, mirrors, "cut", "2026.2", "--allow-incompatible")
    assert second.exit_code == 0, second.stderr
    assert_terminal_safe(second.stdout + second.stderr)

    entry = entry_text(show(kit, "release/2026.2", "CHANGELOG.md"), "2026.2") or ""
    assert "hostile 1.0.0 → 1.1.0" in entry
    assert_markdown_safe(entry)
    assert "added: x and &lt;javascript\\:alert(2)&gt; <https://example.org/notes>" in entry
    assert "fixed: a\\|b c" in entry and "security: copied cleared red" in entry

    md = run(kit, mirrors, "report", "2026.2", "--format", "md")
    assert md.exit_code == 0, md.stderr
    assert_markdown_safe(md.stdout)
    html = run(kit, mirrors, "report", "2026.2", "--format", "html")
    assert html.exit_code == 0, html.stderr
    assert_terminal_safe(html.stdout)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.stdout  # the description, as text
    assert "<script>alert" not in html.stdout and "<img" not in html.stdout
    assert all(re.match(r"https?://|#", h) for h in re.findall(r'href="([^"]*)"', html.stdout))


def test_argo_cd_and_git_messages_reach_the_terminal_inert() -> None:
    # No Argo CD can run here; the messages its API returns reach the rollout's result as
    # they are, so the renderer is given such a result directly.
    from releaser.app.rollout import RolloutResult
    from releaser.domain.rollout import Block, Outcome
    from releaser.render.rollout import result_text

    hostile = "sync failed\x1b]52;c;ZXZpbA==\x07 \x1b[2J\ron https://u:secret@git.example/x\nnext"
    result = RolloutResult(
        "kuvaq", "2026.1", "2026.2", Outcome.DEGRADED, blocks=[Block("health", hostile)],
        notes=[hostile], commit="0123456789abcdef", gate=[hostile],
    )  # fmt: skip
    text = result_text(result, direct=False, push=True)
    assert_terminal_safe(text)
    assert "secret" not in text and "https://***@git.example/x" in text
    assert "  gate: sync failed on https://***@git.example/x next" in text
    assert len(text.splitlines()) == 5

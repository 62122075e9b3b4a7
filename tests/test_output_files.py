"""Files releaser writes by name (`report -o FILE`, the kit files it edits): whole or not at all.

Real files and real failures: a rename onto a directory, a file-size limit hit in the middle of
a write (as a full disk would), a directory the kernel refuses to write into (immutable for root,
mode 0555 for anyone else). After each failure: one message, exit 2, no temporary file left.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.adapters.output_file import check_target, write_atomically
from releaser.cli.main import app
from releaser.domain.demo import Sandbox
from releaser.domain.errors import ExitCode, UsageError
from tests.test_report_golden import invoke, sandbox  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[1]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.startswith("."))


@contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """A directory nobody may create files in: immutable for root (who ignores modes)."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "+i", str(directory)], capture_output=True).returncode:
            pytest.skip("chattr +i is not supported on this file system")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o555)
        try:
            yield
        finally:
            directory.chmod(0o755)


# ------------------------------------------------------------------ the adapter


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_permissions_the_umask_allows(tmp_path: Path, mask: int) -> None:
    target = tmp_path / "report.md"
    with umask(mask):
        write_atomically(target, "# report\n")
    assert target.read_text() == "# report\n"
    assert mode(target) == 0o666 & ~mask
    assert leftovers(tmp_path) == []


def test_a_replaced_file_keeps_its_permissions_and_a_link_its_target(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "latest.md"
    link.symlink_to(target.name)
    write_atomically(link, b"new")
    assert link.is_symlink() and target.read_text() == "new"
    assert mode(target) == 0o640


def test_a_directory_as_target_fails_at_the_rename_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "reports"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(UsageError) as raised:
        write_atomically(target, "x" * 100_000)
    assert raised.value.exit_code == ExitCode.USAGE
    assert str(raised.value).startswith(f"cannot write {target}: it is a directory")
    assert leftovers(tmp_path) == [] and [p.name for p in target.iterdir()] == ["inside"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("/", "it is a directory"),
        (".", "it is a directory"),
        ("missing/report.md", "its directory does not exist"),
        ("file/report.md", "a part of its path is not a directory"),
    ],
)
def test_paths_that_cannot_be_files_are_one_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reason: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("a file")
    for attempt in (check_target, lambda p: write_atomically(p, "text")):
        with pytest.raises(UsageError) as raised:
            attempt(Path(name))
        assert str(raised.value).splitlines()[0] == f"cannot write {name}: {reason}"
    assert leftovers(tmp_path) == []


def test_a_read_only_directory_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "report.md").write_text("old")
    with read_only(locked):
        for attempt in (check_target, lambda p: write_atomically(p, "new")):
            with pytest.raises(UsageError, match=r"permission denied|read-only"):
                attempt(locked / "report.md")
        assert sorted(p.name for p in locked.iterdir()) == ["report.md"]
    assert (locked / "report.md").read_text() == "old"


def test_a_write_that_fails_half_way_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    """The file-size limit stops the write after 4 KiB, as a full disk would (EFBIG)."""
    target = tmp_path / "report.md"
    target.write_text("old")
    code = (
        "import resource, signal, sys\n"
        "from pathlib import Path\n"
        "from releaser.adapters.output_file import write_atomically\n"
        "from releaser.domain.errors import UsageError\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    write_atomically(Path(sys.argv[1]), 'x' * 100_000)\n"
        "except UsageError as err:\n"
        "    sys.exit(str(err))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert done.stderr.startswith(f"cannot write {target}: the file is too large"), done.stderr
    assert target.read_text() == "old"
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------------ report -o


@pytest.mark.parametrize("target", ["/", ".", "missing/report.md"])
def test_report_refuses_an_unwritable_target_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    monkeypatch.chdir(tmp_path)  # no kit here: the target is checked first
    result = CliRunner().invoke(app, ["report", "2026.4", "-o", target])
    assert result.exit_code == ExitCode.USAGE
    first, hint = result.stderr.splitlines()
    assert first.startswith(f"error: cannot write {target}: ")
    assert hint.strip().startswith("hint:")
    assert "Traceback" not in result.output and leftovers(tmp_path) == []


def test_report_dash_is_stdout_and_a_file_honours_the_umask(
    sandbox: Sandbox,  # noqa: F811 (the fixture)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    to_stdout = invoke(sandbox, "report", "2026.4", "--offline", "-o", "-")
    assert to_stdout.exit_code == 0, to_stdout.stderr
    assert to_stdout.stdout.startswith("#") and not (tmp_path / "-").exists()
    with umask(0o027):
        to_file = invoke(sandbox, "report", "2026.4", "--offline", "-o", "report.md")
    assert to_file.exit_code == 0, to_file.stderr
    written = tmp_path / "report.md"
    assert written.read_text(encoding="utf-8") == to_stdout.stdout
    assert mode(written) == 0o640  # a teammate in the group and a CI artifact server can read it
    assert leftovers(tmp_path) == []

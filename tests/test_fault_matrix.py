"""The network-fault matrix: every hostile mode (tests/hostile.py) against every command that
reads upstream repositories.

One kit component (ingress-nginx) is mirrored onto the hostile server, the others onto the
real index files served on 127.0.0.1. Each cell asserts what SPEC §8 promises: exit 4 within
RELEASER_HTTP_DEADLINE + 2 s, the healthy components still shown, the hostile one named on
stderr, no traceback, nothing written. A valid gzip body sent chunked is no fault at all: the
command then behaves exactly as with a healthy upstream.

One kit, fleet and pair of servers serve the whole module; each cell runs in-process in a
worker thread, so a hang fails that cell instead of hanging the suite.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from releaser.cli.main import app
from tests.customerrepo import STORY_DATE, FleetBed, make_fleet, remote_head
from tests.helmrepos import serve_repos, write_mirrors
from tests.hostile import MODES, HostileServer
from tests.release_helpers import snapshot
from tests.servers import FileServer
from tests.upstream import UPSTREAM

HOSTILE = "ingress-nginx"
HOSTILE_URL = "https://kubernetes.github.io/ingress-nginx"
HEALTHY = ("cert-manager", "cluster-autoscaler", "external-dns")
CUSTOMER = "kuvaq"
SUCCEEDS = "gzip-chunked"  # a valid body: the command must behave as with a healthy upstream

GRACE = 2.0  # the bound: deadline + 2 s
DEADLINE = 2.0
# The modes that only end at the deadline run with the smallest one that still lets a byte
# or two arrive first: what they test is that the deadline, not the read timeout, ends them.
SLOW = {"silent": 1.0, "slow-headers": 1.0, "slow-body": 1.0}
MAX_BYTES = 1024 * 1024  # above every real index the kit reads, below the bomb and oversize
# What the user is told, per fault.
REASONS = {
    "silent": "no complete answer within 1s",
    "slow-headers": "no complete answer within 1s",
    "slow-body": "no complete answer within 1s",
    "reset": "connection reset by peer",
    "status-500": "HTTP 500",
    "status-429": "HTTP 429",
    "status-404": "HTTP 404",
    "status-401": "HTTP 401",
    "truncated": "response truncated",
    "malformed-yaml": "malformed index.yaml at line 4",
    "html": "not a Helm repository index",
    "index-list": "not a Helm repository index",
    "index-string": "not a Helm repository index",
    "entries-not-mapping": "not a Helm repository index: no `entries` mapping",
    "gzip-bomb": f"exceeds the limit of {MAX_BYTES} bytes",
    "bad-gzip": "corrupt gzip body",
    "oversized": f"exceeds the limit of {MAX_BYTES}",
    "redirect-loop": "too many redirects",
}
RETRIES = 1
# One read of the faulty index, retries and redirects included, asks this many times at most:
# a command that reads it twice (and so waits twice as long) is caught whatever the deadline.
ASKS_PER_READ = {"redirect-loop": 6}
HANG = 20.0  # a cell still running after this long hangs: fail it, leave the thread behind


@dataclass(frozen=True)
class Command:
    args: tuple[str, ...]
    fleet: bool = False  # runs against the fleet (--fleet)
    writes: bool = False  # may write the kit: each run gets its own copy
    lists_kit: bool = True  # its answer covers the whole kit, so names the healthy components


COMMANDS: dict[str, Command] = {
    "check": Command(("check",)),
    "compat": Command(("compat", "--no-render")),
    "report": Command(("report", "2024.3"), fleet=True),
    "plan": Command(("plan", "--no-render")),
    "bump": Command(("bump", HOSTILE, "--latest"), writes=True, lists_kit=False),
    "cut-dry-run": Command(("cut", "2024.5", "--dry-run")),
    "cut": Command(("cut", "2024.5"), writes=True),
    "rollout-preflight": Command(
        ("rollout", "--customer", CUSTOMER, "--to", "2024.3", "--dry-run"), fleet=True
    ),
}


@dataclass
class Outcome:
    code: int | None  # None: still running when given up on
    stdout: str
    stderr: str
    seconds: float
    escaped: BaseException | None = None


@dataclass
class Bed:
    fleet: FleetBed
    hostile: HostileServer
    mirrors: dict[str, Path]  # mode (or "healthy") -> mirrors file
    cwd: Path  # an empty checkout: no core/compatibility.yaml of this project is read
    baselines: dict[str, Outcome] = field(default_factory=dict)

    @property
    def kit(self) -> Path:
        return self.fleet.root / "kit"


@pytest.fixture(scope="module")
def bed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bed]:
    root = tmp_path_factory.mktemp("matrix")
    index = (UPSTREAM / "helm-repos/ingress-nginx.index.yaml").read_bytes()
    with FileServer() as healthy, HostileServer(healthy={"/ok/index.yaml": index}) as hostile:
        serve_repos(healthy, UPSTREAM / "helm-repos")
        mirrors = {
            mode: write_mirrors(
                root / f"mirrors-{mode}.yaml", healthy, {HOSTILE_URL: f"{hostile.url}/{mode}"}
            )
            for mode in MODES
        }
        mirrors["healthy"] = write_mirrors(root / "mirrors-healthy.yaml", healthy)
        cwd = root / "cwd"
        subprocess.run(["git", "init", "-q", str(cwd)], check=True)
        customer = {"name": CUSTOMER, "version": "2024.2", "kubernetes": "1.31"}
        yield Bed(make_fleet(root / "fleet", [customer]), hostile, mirrors, cwd)


def deadline_of(mode: str) -> float:
    return SLOW.get(mode, DEADLINE)


def environment(bed: Bed, mode: str) -> dict[str, str]:
    return {
        "RELEASER_MIRRORS": str(bed.mirrors[mode]),
        "RELEASER_TODAY": STORY_DATE,
        "RELEASER_HTTP_DEADLINE": str(deadline_of(mode)),
        "RELEASER_HTTP_TIMEOUT": "10",  # longer than any deadline: the deadline must act
        "RELEASER_HTTP_RETRIES": str(RETRIES),
        "RELEASER_HTTP_BACKOFF": "0",
        "RELEASER_HTTP_MAX_BYTES": str(MAX_BYTES),
    }


def invoke(argv: list[str], env: dict[str, str]) -> Outcome:
    """The CLI in-process, in a worker thread given HANG seconds to finish."""
    box: dict[str, object] = {}

    def work() -> None:
        try:
            box["result"] = CliRunner().invoke(app, argv, env=env, catch_exceptions=False)
        except BaseException as exc:  # an escaped exception is a finding, not a crash here
            box["escaped"] = exc

    started = time.monotonic()
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(HANG)
    took = time.monotonic() - started
    result = box.get("result")
    if not isinstance(result, Result):
        escaped = box.get("escaped")
        return Outcome(None, "", "", took, escaped if isinstance(escaped, BaseException) else None)
    return Outcome(result.exit_code, result.stdout, result.stderr, took)


def run(bed: Bed, name: str, mode: str, kit: Path) -> Outcome:
    command = COMMANDS[name]
    argv = ["--kit", str(kit)]
    if command.fleet:
        argv += ["--fleet", str(bed.fleet.fleet)]
    return invoke([*argv, *command.args], environment(bed, mode))


def kit_for(bed: Bed, name: str, tmp_path: Path) -> Path:
    """The shared kit, or a private copy of it for a command that may write."""
    if not COMMANDS[name].writes:
        return bed.kit
    copy = tmp_path / "kit"
    shutil.copytree(bed.kit, copy, symlinks=True)
    return copy


def baseline(bed: Bed, name: str, tmp_path: Path) -> Outcome:
    """The command with every upstream healthy (once per module)."""
    if name not in bed.baselines:
        bed.baselines[name] = run(bed, name, "healthy", kit_for(bed, name, tmp_path / "base"))
    return bed.baselines[name]


def describe(outcome: Outcome) -> str:
    return (
        f"exit {outcome.code} in {outcome.seconds:.1f}s\n--- stdout\n{outcome.stdout}\n"
        f"--- stderr\n{outcome.stderr}\n--- escaped\n{outcome.escaped!r}"
    )


def test_every_fault_has_its_reason() -> None:
    assert set(REASONS) == set(MODES) - {SUCCEEDS}


@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize("mode", MODES)
def test_cell(
    bed: Bed, mode: str, name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bed.cwd)
    # Pinned commit dates: a cut on either side of a second boundary prints other hashes.
    monkeypatch.setenv("GIT_AUTHOR_DATE", "2026-11-22T10:00:00+00:00")
    monkeypatch.setenv("GIT_COMMITTER_DATE", "2026-11-22T10:00:00+00:00")
    kit = kit_for(bed, name, tmp_path)
    before = snapshot(kit, bed.fleet.kit_remote)
    customer_head = remote_head(bed.fleet.remotes[CUSTOMER])
    asked = len(bed.hostile.hits)
    outcome = run(bed, name, mode, kit)
    shown = describe(outcome)
    assert_bounded(outcome, mode, bed.hostile.hits[asked:])
    assert remote_head(bed.fleet.remotes[CUSTOMER]) == customer_head, f"[wrote] {shown}"
    assert bed.fleet.log() == [], f"[wrote] a rollout log entry: {shown}"
    if mode == SUCCEEDS:
        expected = baseline(bed, name, tmp_path)
        assert expected.code in (0, 1), f"[baseline] {describe(expected)}"
        same = (outcome.code, outcome.stdout) == (expected.code, expected.stdout)
        assert same, f"[differs] {shown}"
        return
    assert_fails_closed(outcome, mode, COMMANDS[name])
    assert snapshot(kit, bed.fleet.kit_remote) == before, f"[wrote] {shown}"


def assert_bounded(outcome: Outcome, mode: str, hits: list[str]) -> None:
    """An answer, no escaped exception, within the deadline + 2 s, the faulty upstream asked
    (not a cache) and read once: a second read would wait a second deadline."""
    shown = describe(outcome)
    assert outcome.code is not None, f"[hang] no answer within {HANG}s: {shown}"
    assert outcome.escaped is None, f"[escaped] {shown}"
    assert "Traceback" not in outcome.stdout + outcome.stderr, f"[traceback] {shown}"
    assert outcome.seconds < deadline_of(mode) + GRACE, f"[slow] {shown}"
    assert any(hit.startswith(f"/{mode}/") for hit in hits), f"[not-asked] {hits} {shown}"
    assert len(hits) <= ASKS_PER_READ.get(mode, 1 + RETRIES), f"[read-twice] {hits} {shown}"


def assert_fails_closed(outcome: Outcome, mode: str, command: Command) -> None:
    """Exit 4, the faulty component and why on stderr, the healthy ones still shown."""
    shown = describe(outcome)
    said = outcome.stdout + outcome.stderr
    assert outcome.code == 4, f"[exit] {shown}"
    assert HOSTILE in outcome.stderr, f"[unnamed] {shown}"
    assert REASONS[mode] in said, f"[no-reason] {shown}"
    if command.lists_kit:
        assert all(healthy in said for healthy in HEALTHY), f"[no-healthy] {shown}"

"""Progress of the long commands: a line on stderr when it is a terminal, nothing otherwise.

Each command runs in this process (so the suite's loopback-only guard holds) with stderr on
a real pseudo-terminal (`os.openpty`, 100 columns) and stdout on a pipe, as
`releaser compat | less` has it; then again with stderr on a pipe, which must carry no
progress byte at all. The kits, fleets and Helm repositories are the demo sandbox's and the
compat tests' (real index files and chart archives served on 127.0.0.1).
"""

from __future__ import annotations

import fcntl
import io
import os
import re
import struct
import sys
import termios
import threading
import tty
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from releaser.adapters.data_refresh import http_fetcher, upstream_snapshots
from releaser.adapters.demo_sandbox import build_sandbox
from releaser.adapters.http import HttpClient
from releaser.adapters.local_helm_repo import serve_demo_charts
from releaser.cli.main import app
from releaser.cli.output import info
from releaser.cli.progress import TerminalProgress
from releaser.domain.demo import Sandbox
from releaser.settings import HttpSettings
from tests.compat_support import write_chart_repo
from tests.helm_support import find_helm
from tests.servers import FileServer
from tests.test_compat_cli import DEMO_CHARTS, DEMO_URL, demo_kit
from tests.test_data_refresh import TODAY, Upstream, serving_upstream

COLUMNS = 100
ERASE = "\r\x1b[2K"
# A drawn progress line: erased, redrawn, and never ended by a newline (the next draw or the
# final erase follows it). An erase followed by a newline-ended line is a diagnostic's room.
PROGRESS_LINE = re.compile(r"\r\x1b\[2K[^\r\n]*(?=\r|$)")
QUIET_ENV = {
    "RELEASER_TODAY": "2026-11-22",
    "RELEASER_HTTP_RETRIES": "0",
    "RELEASER_HTTP_BACKOFF": "0",
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
}


@dataclass(frozen=True)
class Run:
    exit_code: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        """The progress lines drawn on stderr, in order."""
        drawn = (m.group(0).removeprefix(ERASE) for m in PROGRESS_LINE.finditer(self.stderr))
        return [line for line in drawn if line]  # a bare erase draws nothing

    def counts(self, what: str) -> list[tuple[int, int]]:
        """Each `what n/m` drawn, as (n, m)."""
        found = (re.match(rf"{re.escape(what)} (\d+)/(\d+)\b", line) for line in self.lines())
        return [(int(m.group(1)), int(m.group(2))) for m in found if m]

    def diagnostics(self) -> str:
        """stderr as a pipe would have received it: the progress lines taken out."""
        return PROGRESS_LINE.sub("", self.stderr).replace(ERASE, "")


def _drain(fd: int, into: bytearray) -> threading.Thread:
    def read() -> None:
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # a pty master reads EIO once the terminal side is closed
                break
            if not chunk:
                break
            into.extend(chunk)
        os.close(fd)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def _terminal() -> tuple[int, int]:
    """A pseudo-terminal COLUMNS wide without output processing: (reader, terminal fd)."""
    reader, terminal = os.openpty()
    tty.setraw(terminal)
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    return reader, terminal


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def releaser(argv: list[str], *, stderr_tty: bool, env: Mapping[str, str] | None = None) -> Run:
    """`releaser ARGV` with stdout on a pipe and stderr on a terminal (or a pipe)."""
    err_reader, err_writer = _terminal() if stderr_tty else os.pipe()
    out_reader, out_writer = os.pipe()
    out_bytes, err_bytes = bytearray(), bytearray()
    readers = [_drain(out_reader, out_bytes), _drain(err_reader, err_bytes)]
    stdout = open(out_writer, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    stderr = open(err_writer, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = stdout, stderr
    code = 0
    try:
        with environ({**QUIET_ENV, **(env or {})}):
            app(args=argv, prog_name="releaser")
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else 1
    finally:
        sys.stdout, sys.stderr = saved
        stdout.close()
        stderr.close()
    for reader in readers:
        reader.join(10)
    return Run(code, out_bytes.decode(), err_bytes.decode())


def both(argv: list[str], env: Mapping[str, str] | None = None) -> tuple[Run, Run]:
    """The command with stderr piped, then on a terminal (caches warm for both)."""
    return releaser(argv, stderr_tty=False, env=env), releaser(argv, stderr_tty=True, env=env)


def assert_progress_only_on_the_terminal(piped: Run, shown: Run) -> None:
    assert piped.exit_code == shown.exit_code
    assert "\x1b" not in piped.stderr and "\r" not in piped.stderr  # no progress byte at all
    assert shown.stdout == piped.stdout and "\x1b" not in shown.stdout  # stdout untouched
    assert shown.lines(), shown.stderr
    assert all(len(line) < COLUMNS for line in shown.lines())  # never wraps the terminal
    tail = shown.stderr.rsplit(ERASE, 1)[-1]
    assert tail == "" or tail.endswith("\n")  # no line left drawn when the command ends
    assert shown.diagnostics() == piped.diagnostics()  # the same messages, none garbled


def assert_counted(run: Run, what: str, total: int) -> None:
    counts = run.counts(what)
    assert counts, run.lines()
    assert {m for _, m in counts} == {total}
    assert [n for n, _ in counts if n] == sorted(n for n, _ in counts if n)  # never backwards
    assert max(n for n, _ in counts) == total


# --------------------------------------------------------------------------- the demo sandbox
DEMO_DATE = date(2026, 10, 20)  # the demo data's date (releaser/data/demo/releases.json)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    root = tmp_path_factory.mktemp("progress")
    with serve_demo_charts(DEMO_DATE) as mirrors:  # no Argo CD is asked: nothing waits
        built = build_sandbox(root / "demo", mirrors, argocd_url="http://127.0.0.1:9")
        yield built


@pytest.fixture
def kit_args(sandbox: Sandbox) -> list[str]:
    return ["--kit", str(sandbox.kit), "--fleet", str(sandbox.fleet),
            "--mirrors", str(sandbox.mirrors)]


@pytest.fixture
def cache_env(sandbox: Sandbox) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(sandbox.root / ".cache")}


def test_check_counts_components(kit_args: list[str], cache_env: dict[str, str]) -> None:
    piped, shown = both([*kit_args, "check"], cache_env)
    assert shown.exit_code == 0, shown.stderr
    assert_progress_only_on_the_terminal(piped, shown)
    assert_counted(shown, "checking", 16)


def test_compat_counts_components_and_names_what_it_reads(
    kit_args: list[str], cache_env: dict[str, str]
) -> None:
    piped, shown = both([*kit_args, "compat"], cache_env)
    assert_progress_only_on_the_terminal(piped, shown)
    assert_counted(shown, "judging", 16)
    assert "judging 1/16 cert-manager v1.21.0" in shown.lines()
    text = "\n".join(shown.lines())
    assert "reading the index of https://charts.jetstack.io" in text
    assert "reading the chart archive argo-cd-9.7.1.tgz" in text
    assert "127.0.0.1" not in text  # the upstream, as everywhere else, never the mirror


def test_plan_counts_components_and_names_the_candidate(
    kit_args: list[str], cache_env: dict[str, str]
) -> None:
    piped, shown = both([*kit_args, "plan"], cache_env)
    assert shown.exit_code == 0, shown.stderr
    assert_progress_only_on_the_terminal(piped, shown)
    assert_counted(shown, "planning", 16)
    assert any(re.search(r"planning \d+/16 cert-manager v1.21.0: judging v1\.21\.1", line)
               for line in shown.lines()), shown.lines()


def test_cut_counts_its_compatibility_gate(
    kit_args: list[str], cache_env: dict[str, str]
) -> None:
    piped, shown = both([*kit_args, "cut", "2026.4", "--dry-run"], cache_env)
    assert shown.exit_code == 0, shown.stderr
    assert_progress_only_on_the_terminal(piped, shown)
    assert_counted(shown, "compatibility gate", 16)


def test_report_counts_matrix_drift_and_customers(
    sandbox: Sandbox, kit_args: list[str], cache_env: dict[str, str]
) -> None:
    cut = releaser([*kit_args, "cut", "2026.4"], stderr_tty=False, env=cache_env)
    assert cut.exit_code == 0, cut.stderr
    piped, shown = both([*kit_args, "report", "2026.4", "--format", "md"], cache_env)
    assert shown.exit_code == 0, shown.stderr
    assert_progress_only_on_the_terminal(piped, shown)
    assert_counted(shown, "judging", 16)
    assert_counted(shown, "weighing drift", 16)
    assert_counted(shown, "preflight", 3)
    assert any(line.startswith("preflight 3/3 menetekel on Kubernetes") for line in shown.lines())
    phases = [line.split(" ")[0] for line in shown.lines()]
    assert phases.index("judging") < phases.index("weighing") < phases.index("preflight")


# --------------------------------------------------------------------------- archives and helm


@pytest.fixture
def demo_repo(tmp_path: Path) -> Iterator[Path]:
    """The compat tests' chart repository (archives included) behind a mirrors file."""
    write_chart_repo(tmp_path / "demo-repo", DEMO_CHARTS)
    with FileServer(root=tmp_path / "demo-repo") as server:
        mirrors = tmp_path / "mirrors.yaml"
        mirrors.write_text(yaml.safe_dump({DEMO_URL: server.url}), encoding="utf-8")
        yield mirrors


@pytest.mark.skipif(find_helm() is None, reason="helm not installed (.ci/install-helm.sh)")
def test_compat_names_each_archive_and_helm_render(
    tmp_path: Path, demo_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    helm = find_helm()
    assert helm is not None
    monkeypatch.setenv("PATH", f"{Path(helm).parent}:/usr/bin:/bin")
    kit = demo_kit(tmp_path / "kit", "2.1.0")
    argv = ["--kit", str(kit), "--mirrors", str(demo_repo), "compat", "--kubernetes", "1.35,1.36"]
    shown = releaser(argv, stderr_tty=True)
    piped = releaser(argv, stderr_tty=False)
    assert shown.stdout == piped.stdout and shown.exit_code == piped.exit_code
    lines = shown.lines()
    assert "judging 1/1 demo 2.1.0: reading the chart archive legacy-2.1.0.tgz" in lines
    for minor in ("1.35", "1.36"):
        assert f"judging 1/1 demo 2.1.0: helm template legacy 2.1.0 --kube-version {minor}.0" in lines


# --------------------------------------------------------------------------- data refresh


@pytest.fixture
def endoflife() -> Iterator[Upstream]:
    """The data refresh tests' endoflife.date and pluto answers on 127.0.0.1."""
    with serving_upstream() as state:
        yield state


def test_data_refresh_counts_every_fetch(endoflife: Upstream) -> None:
    reader, terminal = _terminal()
    received = bytearray()
    drained = _drain(reader, received)
    with open(terminal, "w", encoding="utf-8") as stream:
        client = HttpClient(HttpSettings(read_timeout=5, retries=0))
        build = upstream_snapshots(http_fetcher(client), endoflife.urls, TODAY,
                                   progress=TerminalProgress(stream))
        documents = build()
    drained.join(10)
    run = Run(0, "", received.decode())
    total = 3 + len(endoflife.urls.products) + 1
    assert_counted(run, "fetching", total)
    assert run.lines()[-1].startswith(f"fetching {total}/{total} http://127.0.0.1:")
    assert run.lines()[-1].endswith("/pluto/versions.yaml")
    assert run.stderr.endswith(ERASE) and documents["deprecated-apis"]["entries"]


def test_data_refresh_failure_leaves_one_clean_error_line(tmp_path: Path) -> None:
    env = {"RELEASER_DATA_DIR": str(tmp_path / "data")}
    piped, shown = both(["data", "refresh"], env)
    assert shown.exit_code == 4
    assert_progress_only_on_the_terminal(piped, shown)
    assert shown.lines()[-1].startswith("fetching 1/")
    assert "https://endoflife.date/api/v1/products/kubernetes" in shown.lines()[-1]
    # The line is erased before the error: the message starts a clean line.
    assert shown.stderr.split(ERASE)[-1].startswith("error: could not fetch")


# --------------------------------------------------------------------------- the line itself


def test_threads_count_every_item_once() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.start(400, "checking")
    workers = [threading.Thread(target=lambda: [bar.advance("x") for _ in range(100)])
               for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    bar.finish()
    run = Run(0, "", stream.getvalue())
    assert sorted(n for n, _ in run.counts("checking")) == list(range(401))


def test_upstream_text_cannot_steer_the_terminal() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.start(1, "judging")
    bar.advance("evil\x1b]52;c;cm0gLXJmIH4=\x07 1.0\nnext")
    bar.detail("reading the index of https://user:s3cret@charts.example.test\r")
    bar.finish()
    drawn = Run(0, "", stream.getvalue()).lines()
    assert drawn[-1] == "judging 1/1 evil 1.0 next: reading the index of https://***@charts.example.test"


def test_long_lines_are_cut_to_the_terminal() -> None:
    reader, terminal = _terminal()
    received = bytearray()
    drained = _drain(reader, received)
    with open(terminal, "w", encoding="utf-8") as stream:
        bar = TerminalProgress(stream)
        bar.start(3, "judging")
        bar.advance("x" * 300)
        bar.finish()
    drained.join(10)
    [line] = Run(0, "", received.decode()).lines()[-1:]
    assert len(line) == COLUMNS - 1 and line.endswith("…")


def test_a_diagnostic_steps_around_the_line() -> None:
    reader, terminal = _terminal()
    received = bytearray()
    drained = _drain(reader, received)
    with open(terminal, "w", encoding="utf-8") as stream:
        saved, sys.stderr = sys.stderr, stream
        try:
            bar = TerminalProgress(stream)
            bar.start(2, "judging")
            bar.advance("cert-manager")
            info("warning: using a cached copy")
            bar.advance("loki")
            bar.finish()
            info("done")
        finally:
            sys.stderr = saved
    drained.join(10)
    text = received.decode()
    assert text == (f"{ERASE}judging 0/2{ERASE}judging 1/2 cert-manager{ERASE}"
                    f"warning: using a cached copy\n{ERASE}judging 1/2 cert-manager"
                    f"{ERASE}judging 2/2 loki{ERASE}done\n")


def test_outside_a_batch_nothing_is_drawn() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.detail("helm template")  # a rollout preflight asks the engine without a batch
    bar.start(0, "judging")  # nothing to count
    bar.advance("x")
    bar.finish()
    assert stream.getvalue() == ""


def test_a_rollout_counts_its_preflight_steps(
    kit_args: list[str], cache_env: dict[str, str]
) -> None:
    """The preflight's own line (a dry run: nothing is written, so both runs see the same)."""
    argv = [*kit_args, "rollout", "--customer", "kuvaq", "--to", "2026.3", "--dry-run"]
    piped, shown = both(argv, {**cache_env, "RELEASER_TODAY": DEMO_DATE.isoformat()})
    assert_progress_only_on_the_terminal(piped, shown)
    assert_counted(shown, "preflight of kuvaq", 3)
    assert "preflight of kuvaq 3/3 its components on Kubernetes v1.35.4-eks-3025e55" in "\n".join(
        shown.lines()
    )

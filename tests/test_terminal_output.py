"""Colour and width on a real terminal.

Commands run as the user runs them, in a subprocess whose stdout is a pseudo-terminal (python's
`pty`) of a given size, against the real Helm index files served on 127.0.0.1; the same commands
through a pipe are the reference. On a terminal: verdicts and outcomes in colour, lines that fit;
through a pipe, `--no-color` or `NO_COLOR`: no escape sequence at all, and full lines.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import tempfile
import termios
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from releaser.render import style
from releaser.render.sanitize import one_line
from releaser.render.style import Styled
from releaser.render.text import FLOOR, GAP, Column, table
from releaser.settings import TerminalSettings
from tests.compat_support import chart_archive, write_chart_repo
from tests.helmrepos import component, serve_repos, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import FileServer

ROOT = Path(__file__).resolve().parents[1]
SGR = re.compile(r"\x1b\[[0-9;]*m")
OURS = {f"\x1b[{code}m" for code in [*style.STYLES.values(), "0"]}  # every code releaser writes
JETSTACK = "https://charts.jetstack.io"
ZALANDO = "https://opensource.zalando.com/postgres-operator/charts/postgres-operator"
KIT = {
    "base": {
        "cert-manager": component(JETSTACK, "cert-manager", "v1.12.3"),
        "ingress-nginx": component(
            "https://kubernetes.github.io/ingress-nginx", "ingress-nginx", "3.40.0"
        ),
        "promtail": component("https://grafana.github.io/helm-charts", "promtail", "6.15.0"),
    },
    "aws": {
        "aws-load-balancer-controller": component(
            "https://aws.github.io/eks-charts", "aws-load-balancer-controller", "1.8.1"
        ),
    },
    "gcp": {},
    "addons": {"postgres-operator": component(ZALANDO, "postgres-operator", "1.14.0")},
}
HOSTILE_URL = "https://charts.hostile.test"
# A kubeVersion that clears the screen, writes the clipboard, and carries a style mark of ours.
HOSTILE_KUBE = ">=1.2 \x1b[2J\ue003forged\ue000 \x1b]52;c;ZXZpbA==\x07 \x9b31mred"


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return SGR.sub("", self.stdout).splitlines()


def base_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This test's environment without any terminal preference, plus `extra`."""
    unset = ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR")
    env = {k: v for k, v in os.environ.items() if k not in unset}
    return {**env, "PYTHONPATH": str(ROOT), "TERM": "xterm-256color", **(extra or {})}


def on_terminal(argv: list[str], columns: int = 200, env: dict[str, str] | None = None) -> Run:
    """`releaser ARGV` with stdout on a pseudo-terminal `columns` wide (stderr to a file)."""
    leader, follower = os.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "releaser", *argv],
            stdin=subprocess.DEVNULL, stdout=follower, stderr=errors, env=base_env(env),
        )  # fmt: skip
        os.close(follower)
        stdout = read_terminal(leader, process)
        errors.seek(0)
        stderr = errors.read().decode()
    # The terminal turns each "\n" into "\r\n" (onlcr); what the program wrote had "\n".
    return Run(process.returncode, stdout.replace("\r\n", "\n"), stderr)


def read_terminal(leader: int, process: subprocess.Popen[bytes]) -> str:
    chunks = []
    try:
        while select.select([leader], [], [], 60)[0]:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the program exited and closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        process.wait(timeout=60)
    finally:
        process.kill()
        os.close(leader)
    return b"".join(chunks).decode()


def piped(argv: list[str], env: dict[str, str] | None = None) -> Run:
    done = subprocess.run(
        [sys.executable, "-m", "releaser", *argv],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=base_env(env), timeout=60,
    )  # fmt: skip
    return Run(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def site(tmp_path: Path, upstream: Path) -> Iterator[list[str]]:
    """The global options of a kit whose components' real indexes are served on 127.0.0.1."""
    kit = make_kit_repo(tmp_path / "kit", components=KIT)
    with FileServer() as server:
        serve_repos(server, upstream / "helm-repos")
        mirrors = write_mirrors(tmp_path / "mirrors.yaml", server)
        yield ["--kit", str(kit), "--mirrors", str(mirrors)]


def widest(run: Run) -> int:
    return max(len(line) for line in run.lines)


def rows_of(run: Run) -> list[dict[str, str]]:
    """The rows of the table that opens `run`'s output, by header, cut where the dashes are;
    the lines under a row (a column folded there, a note) are not rows."""
    head, dashes, *rest = run.lines
    spans = [m.span() for m in re.finditer(r"-+", dashes)]
    rows = []
    for line in rest:
        if not line or line.startswith((" ", "(")):
            continue
        if line.startswith("-") or not line[: spans[0][1]].strip():
            break
        cells = [line[a:b] if i + 1 < len(spans) else line[a:] for i, (a, b) in enumerate(spans)]
        rows.append({head[a:b].strip(): c.strip() for (a, b), c in zip(spans, cells, strict=True)})
    return rows


# ------------------------------------------------------------------ width


def test_check_table_fits_80_columns_on_a_terminal_and_stays_whole_in_a_pipe(
    site: list[str],
) -> None:
    wide = piped([*site, "check"])
    assert wide.code == 0, wide.stderr
    assert widest(wide) > 80  # the real data is wider than the terminal
    assert "\x1b" not in wide.stdout

    narrow = on_terminal([*site, "check"], env={"COLUMNS": "80"})
    assert narrow.code == 0, narrow.stderr
    assert widest(narrow) <= 80, "\n".join(narrow.lines)
    wide_rows, narrow_rows = rows_of(wide), rows_of(narrow)
    assert [r["NAME"] for r in narrow_rows] == [r["NAME"] for r in wide_rows] == list(
        {name: 0 for section in KIT.values() for name in section}
    )
    for cut, whole in zip(narrow_rows, wide_rows, strict=True):  # a version is never cut
        assert "REPOSITORY" not in cut and "NOTES" not in cut
        for column in ("CURRENT", "PATCH", "MINOR", "MAJOR"):
            assert cut[column] == whole[column] or (
                cut[column].endswith("…") and cut[column].split()[0] == whole[column].split()[0]
            ), (cut, whole)
    assert "    NOTES: chart deprecated upstream" in narrow.lines
    assert narrow.lines[-1].startswith("(REPOSITORY: not shown in 80 columns")


def test_compat_fits_80_columns_on_a_terminal_and_stays_whole_in_a_pipe(
    site: list[str],
) -> None:
    assert piped([*site, "check"]).code == 0  # caches the indexes; the archives stay unread
    wide = piped([*site, "compat", "--offline"])
    assert wide.code == 0, wide.stderr
    assert widest(wide) > 80
    narrow = on_terminal([*site, "compat", "--offline"], env={"COLUMNS": "80"})
    assert narrow.code == 0, narrow.stderr
    assert widest(narrow) <= 80, "\n".join(narrow.lines)
    # the reasons wrap: every word is still there, in order
    assert " ".join(narrow.lines).split() == " ".join(wide.lines).split()


def test_the_width_is_the_terminal_s_when_columns_is_unset(site: list[str]) -> None:
    run = on_terminal([*site, "check"], columns=100)
    assert run.code == 0, run.stderr
    assert 80 < widest(run) <= 100


def test_a_narrow_table_cuts_then_folds_then_leaves_out_with_a_note() -> None:
    columns = ("NAME", Column("VERSION", cut=True), Column("NOTES", cut=True, leave=2, fold=True),
               Column("URL", cut=True, leave=1))  # fmt: skip
    rows = [
        ("cert-manager", Styled("1.2.3 (deprecated)", "warn", keep=5), "", "https://a.example/x"),
        ("promtail", "10.0.0", "chart deprecated upstream", "https://b.example/charts/y"),
    ]
    # wide enough for every column at its floor: cut, widest first, a version kept whole
    assert style.plain(table(columns, rows, 44)).split("\n") == [
        "NAME          VERSION   NOTES     URL",
        "------------  --------  --------  --------",
        "cert-manager  1.2.3 (…            https:/…",
        "promtail      10.0.0    chart d…  https:/…",
    ]
    # narrower: URL is left out (named in a note), then NOTES (shown under its row)
    narrow = table(columns, rows, 24)
    assert style.plain(narrow).split("\n") == [
        "NAME          VERSION",
        "------------  ----------",
        "cert-manager  1.2.3 (de…",
        "promtail      10.0.0",
        "    NOTES: chart",
        "      deprecated",
        "      upstream",
        "(URL: not shown in 24",
        " columns; a pipe shows",
        " every column)",
    ]
    assert narrow.split("\n")[2] == f"cert-manager  {style.paint('1.2.3 (de…', 'warn')}"
    assert table(columns, rows) == table(columns, rows, 200)  # wide enough: as in a pipe


def test_every_fitted_table_line_fits_and_keeps_its_fixed_columns() -> None:
    @given(
        st.lists(st.tuples(st.text(max_size=30), st.text(max_size=90), st.text(max_size=90)),
                 min_size=1, max_size=8),
        st.integers(min_value=0, max_value=120),
    )  # fmt: skip
    def check(rows: list[tuple[str, str, str]], extra: int) -> None:
        names = [one_line(name) for name, _, _ in rows]
        needed = max(len(name) for name in ["NAME", *names])
        width = needed + len(GAP) + FLOOR + extra  # NAME and the floor of NOTES always fit
        columns = ("NAME", Column("NOTES", cut=True), Column("URL", cut=True, leave=1))
        lines = table(columns, rows, width).split("\n")
        assert all(style.width(line) <= width for line in lines), (width, lines)
        assert [line[:needed].rstrip() for line in lines[2 : 2 + len(rows)]] == names

    check()


# ------------------------------------------------------------------ colour


def test_verdicts_and_change_kinds_are_coloured_on_a_terminal(site: list[str]) -> None:
    checked = on_terminal([*site, "check"])
    assert checked.code == 0, checked.stderr
    assert re.search(r"\x1b\[35m[\d.]+\x1b\[0m", checked.stdout)  # a major bump, magenta
    assert "\x1b[33mchart deprecated upstream\x1b[0m" in checked.stdout
    matrix = on_terminal([*site, "compat", "--offline"])
    assert matrix.code == 0, matrix.stderr
    assert "\x1b[33mWARN\x1b[0m" in matrix.stdout and "\x1b[32mok\x1b[0m" in matrix.stdout
    assert set(SGR.findall(checked.stdout + matrix.stdout)) <= OURS


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-color"], {}),
        ([], {"NO_COLOR": "1"}),
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}),
        ([], {"TERM": "dumb"}),
    ],
)
def test_no_color_option_and_environment_turn_colour_off(
    site: list[str], args: list[str], env: dict[str, str]
) -> None:
    run = on_terminal([*args, *site, "check"], columns=80, env=env)
    assert run.code == 0, run.stderr
    assert "\x1b" not in run.stdout
    assert widest(run) <= 80  # still a terminal: still fitted


def test_an_empty_no_color_is_not_set_and_force_color_colours_a_pipe(site: list[str]) -> None:
    assert "\x1b[" in on_terminal([*site, "check"], env={"NO_COLOR": ""}).stdout
    forced = piped([*site, "check"], env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    assert widest(forced) > 80  # a pipe keeps whole lines, coloured or not


def test_json_and_markdown_are_never_coloured(site: list[str]) -> None:
    offline = ["compat", "--offline"]  # after `check` cached the indexes
    for argv in (["--json", "check"], ["check", "--format", "md"], ["--json", *offline],
                 [*offline, "--format", "md"]):  # fmt: skip
        run = on_terminal([*site, *argv], env={"FORCE_COLOR": "1"})
        assert run.code == 0, run.stderr
        assert "\x1b" not in run.stdout, argv


def test_terminal_settings_read_no_color_force_color_and_dumb_terminals() -> None:
    assert TerminalSettings.from_env({}).color is None
    assert TerminalSettings.from_env({"NO_COLOR": ""}).color is None
    assert TerminalSettings.from_env({"NO_COLOR": "0"}).color is False  # any value
    assert TerminalSettings.from_env({"FORCE_COLOR": "1", "TERM": "dumb"}).color is True
    assert TerminalSettings.from_env({"TERM": "dumb"}).color is False


# ------------------------------------------------------------------ upstream text


@pytest.fixture
def hostile_site(tmp_path: Path) -> Iterator[list[str]]:
    archive = chart_archive("hostile", "1.0.0", {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"})
    repo = write_chart_repo(tmp_path / "repo", {("hostile", "1.0.0"): (archive, HOSTILE_KUBE)})
    hostile = component(HOSTILE_URL, "hostile", "1.0.0")
    kit = make_kit_repo(
        tmp_path / "kit", components={"base": {"hostile": hostile}, "aws": {}, "gcp": {},
                                      "addons": {}}
    )  # fmt: skip
    with FileServer(root=repo) as server:
        mirrors = tmp_path / "mirrors.yaml"
        mirrors.write_text(yaml.safe_dump({HOSTILE_URL: server.url}), encoding="utf-8")
        yield ["--kit", str(kit), "--mirrors", str(mirrors)]


def test_upstream_escape_sequences_and_marks_are_stripped_while_ours_colour(
    hostile_site: list[str],
) -> None:
    run = on_terminal(["-v", *hostile_site, "compat"], columns=80)
    assert run.code in (0, 1), run.stderr
    assert "forged" in run.stdout and "red" in run.stdout  # the text stays, inert
    assert not re.search(r"\x1b[^\[]|\x9b|\x07", run.stdout)  # no OSC, no C1 CSI, no bell
    assert set(SGR.findall(run.stdout)) <= OURS
    assert "\x1b[2J" not in run.stdout
    assert "\x1b[1;31mforged" not in run.stdout  # the forged mark did not become colour
    assert not re.search("[\ue000-\ue01f]", run.stdout)
    assert widest(run) <= 80


def test_a_styled_cell_is_sanitized_before_it_is_painted() -> None:
    text = table(("A",), [[Styled("x\x1b]52;c;ZXZp\x07\ue003y\nz", "ok")]])
    assert text.splitlines()[2] == style.paint("xy z", "ok")
    assert style.ansi(text).splitlines()[2] == "\x1b[32mxy z\x1b[0m"
    assert style.plain(text).splitlines()[2] == "xy z"

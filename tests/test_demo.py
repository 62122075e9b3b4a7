"""`releaser demo` as a newcomer runs it: a real process in a network namespace with only
loopback, every step succeeding, on its data's date and two years later, under 15 s; and the
parts it runs on 127.0.0.1: the Helm repositories with stand-in archives, the Argo CD API
emulator."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from releaser.adapters.chart_archive import archive_url, check_digest, read_archive
from releaser.adapters.demo_argocd import EmulatedInstance, serve_argocd
from releaser.adapters.demo_history import History, Snapshot, write_history
from releaser.adapters.demo_sandbox import CUSTOMERS, history
from releaser.adapters.helm_index import chart_entries, releases_from_entries
from releaser.adapters.local_helm_repo import repository_files, serve_demo_charts, shipped_charts
from releaser.adapters.mirrors import Mirrors
from releaser.app.demo import DemoRequest, run_demo
from releaser.domain.demo import (
    FIRST_CUSTOMER,
    HOTFIX_RELEASE,
    HOTFIX_SET,
    LAST_RELEASE,
    NEXT_RELEASE,
    DemoStep,
    Sandbox,
    data_date,
)
from releaser.domain.errors import ProblemsFound
from releaser.domain.versions import ChartVersion
from tests.helm_support import helm_or_skip, run_helm

ROOT = Path(__file__).resolve().parents[1]
BUDGET = 15.0  # seconds, the whole demo on a 2-core machine
DATA_DATE = data_date(history())
TWO_YEARS_LATER = DATA_DATE.replace(year=DATA_DATE.year + 2)

# Loaded by every Python process of the demo (the command and each step): records where
# each one resolves or connects, so the test can prove nothing leaves 127.0.0.1.
AUDIT_HOOK = """\
import json, os, sys

def _record(event, args):
    if event == "socket.getaddrinfo":
        host, port = args[0], args[1]
    elif event == "socket.connect" and isinstance(args[1], tuple):
        host, port = args[1][0], args[1][1]
    else:
        return
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    with open(os.environ["DEMO_NET_AUDIT"], "a") as log:
        log.write(json.dumps([event, str(host), str(port), os.getpid()]) + "\\n")

if os.environ.get("DEMO_NET_AUDIT"):
    sys.addaudithook(_record)
"""
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _loopback_namespace() -> list[str]:
    """A command prefix running its command in a new network namespace with only loopback
    (as root, else in a user namespace); [] where this machine allows neither."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return []
    for flags in (["--net"], ["--net", "--map-root-user"]):
        probe = ["unshare", *flags, "sh", "-c", "ip link set lo up"]
        if subprocess.run(probe, capture_output=True, check=False).returncode == 0:
            return ["unshare", *flags, "sh", "-c", 'ip link set lo up && exec "$@"', "demo"]
    return []


@dataclass(frozen=True)
class DemoRun:
    root: Path
    done: subprocess.CompletedProcess[str]
    seconds: float
    lookups: list[tuple[str, str, str, int]]  # (event, host, port, pid)
    isolated: bool  # ran in a loopback-only network namespace


def _run_demo(tmp_path: Path, today: date | None) -> DemoRun:
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_HOOK)
    audit = tmp_path / "net-audit.jsonl"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{hook}:{ROOT}",
        "DEMO_NET_AUDIT": str(audit),
    }
    if today is not None:
        env["RELEASER_TODAY"] = today.isoformat()
    namespace = _loopback_namespace()
    target = tmp_path / "sandbox"
    started = time.monotonic()
    done = subprocess.run(
        [*namespace, sys.executable, "-m", "releaser", "demo", str(target)],
        capture_output=True, text=True, timeout=300, env=env, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - started
    lines = audit.read_text().splitlines() if audit.exists() else []
    lookups = [(e, host, port, int(pid)) for e, host, port, pid in map(json.loads, lines)]
    return DemoRun(target, done, seconds, lookups, bool(namespace))


def _check_offline_and_fast(run: DemoRun, label: str) -> None:
    where = "in a loopback-only network namespace" if run.isolated else "(no namespace allowed)"
    print(f"\nreleaser demo, {label}: {run.seconds:.1f} s {where}, exit {run.done.returncode}")
    assert run.done.returncode == 0, run.done.stdout[-4000:] + run.done.stderr[-4000:]
    outside = sorted({(host, port) for _, host, port, _ in run.lookups if host not in LOOPBACK})
    assert outside == [], f"the demo reached beyond 127.0.0.1: {outside}"
    # The hook ran in the step processes that connect: the check above saw what they did.
    assert len({pid for *_, pid in run.lookups}) >= 5
    assert run.seconds < BUDGET, f"the demo took {run.seconds:.1f} s"
    printed = run.done.stdout.split("Done in ", 1)[1].split(" s.", 1)[0]
    assert float(printed) < BUDGET
    assert "chart archive unavailable" not in run.done.stdout + run.done.stderr
    assert "EMULATOR" in run.done.stdout  # the Argo CD it gates on says what it is


def _git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _port(url: str) -> int:
    return int(url.split(":")[2].split("/")[0])


def test_demo_on_its_data_date_walks_through_the_release_offline(tmp_path: Path) -> None:
    run = _run_demo(tmp_path, None)
    _check_offline_and_fast(run, f"RELEASER_TODAY unset (pinned to {DATA_DATE})")
    out = run.done.stdout
    assert f"Today is {DATA_DATE} for every step (the demo data's date" in out
    shown = [
        "$ releaser check",
        "$ releaser plan --apply",
        '$ git diff --quiet || git commit -qam "Bump components for the next release"',
        "$ releaser compat",
        f"$ releaser diff release/{LAST_RELEASE} main",
        f"$ releaser cut {NEXT_RELEASE} --push",
        "$ releaser releases",
        "$ releaser rollout --status",
        f"$ releaser rollout --customer {FIRST_CUSTOMER} --to {NEXT_RELEASE} --push --direct --wait",
        "$ releaser rollout --next --push --direct --wait",
        f"$ releaser hotfix {HOTFIX_RELEASE} --set {HOTFIX_SET}",
        f"$ releaser report {NEXT_RELEASE} --format md",
        f"$ releaser report {NEXT_RELEASE} --format html -o",
    ]
    positions = [out.index(step) for step in shown]
    assert positions == sorted(positions)
    assert f"{FIRST_CUSTOMER}: {LAST_RELEASE} → {NEXT_RELEASE}: healthy" in out
    assert "next: lintu" in run.done.stderr  # the gated one went first
    assert f"lintu: {LAST_RELEASE} → {NEXT_RELEASE}: healthy" in out
    assert f"receive it through release/{HOTFIX_RELEASE}: menetekel" in out
    assert f"generated {DATA_DATE}" in out and "--allow-incompatible" not in out
    assert "(exit 1" not in out  # on its date, no step needs its answer excused
    html = (run.root / f"report-{NEXT_RELEASE}.html").read_text(encoding="utf-8")
    assert 'id="compat-matrix"' in html
    kuvaq = run.root / "remotes/kuvaq-gitops.git"
    assert f"release/{NEXT_RELEASE}" in _git(kuvaq, "show", "main:argocd/core-base.yaml")
    kit = run.root / "remotes/core-kit.git"
    fixed = yaml.safe_load(_git(kit, "show", f"release/{HOTFIX_RELEASE}:core/kit.yaml"))
    assert fixed["version"] == f"{HOTFIX_RELEASE}.1"
    assert str(DATA_DATE) in _git(kit, "log", "-1", "--format=%cI", f"release/{NEXT_RELEASE}")
    # The local servers are gone with the demo.
    fleet = yaml.safe_load((run.root / "fleet.yaml").read_text())
    mirror = next(iter(yaml.safe_load((run.root / "mirrors.yaml").read_text()).values()))
    for port in (_port(mirror), _port(fleet["customers"][0]["argocd"]["url"])):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_demo_two_years_later_still_succeeds(tmp_path: Path) -> None:
    run = _run_demo(tmp_path, TWO_YEARS_LATER)
    _check_offline_and_fast(run, f"RELEASER_TODAY={TWO_YEARS_LATER}")
    out = run.done.stdout
    assert f"Today is {TWO_YEARS_LATER} for every step (RELEASER_TODAY)" in out
    # The kit's Kubernetes minors are past their end of life by then: the gate refuses the
    # cut, the demo shows how to accept it, and the preflight blocks the rollouts.
    assert f"$ releaser cut {NEXT_RELEASE} --push --allow-incompatible" in out
    assert f"{FIRST_CUSTOMER}: {LAST_RELEASE} → {NEXT_RELEASE}: blocked" in out
    assert "(exit 1: problems found, which on this date is the answer" in out
    assert f"generated {TWO_YEARS_LATER}" in out


def test_demo_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "something").write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "releaser", "demo", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 2 and "is not empty" in done.stderr


# --------------------------------------------------------------------------- Helm repositories


def _chart_yaml(archive: bytes, chart: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(read_archive(archive, chart)["Chart.yaml"])
    return loaded


def test_every_stand_in_archive_matches_its_index_entry_and_digest() -> None:
    count = 0
    for upstream, repo in shipped_charts().items():
        files = repository_files(repo["charts"], DATA_DATE)
        for chart, entries in repo["charts"].items():
            releases = releases_from_entries(chart_entries(files["index.yaml"], chart) or [], chart)
            assert [r.version for r in releases] == [e["version"] for e in entries]
            for release, entry in zip(releases, entries, strict=True):
                url = archive_url(upstream, release)
                assert url.startswith(upstream.rstrip("/") + "/")  # resolves via the mirror
                archive = files[release.urls[0]]
                check_digest(archive, release, url)  # raises on a mismatch
                meta = _chart_yaml(archive, chart)
                for key in ("apiVersion", "name", "version", "kubeVersion", "appVersion"):
                    assert meta.get(key) == entry.get(key), (chart, release.version, key)
                count += 1
    assert count > 400


def test_stand_in_archives_are_the_same_bytes_on_every_build() -> None:
    repo = shipped_charts()["https://charts.jetstack.io"]
    first = repository_files(repo["charts"], DATA_DATE)
    assert first == repository_files(repo["charts"], DATA_DATE)


def test_the_demo_data_covers_every_version_the_demo_history_pins() -> None:
    data, charts = history(), shipped_charts()
    pins = [r["versions"] for r in data["releases"]] + [data["main"]["versions"]]
    for name, component in data["components"].items():
        served = {e["version"] for e in charts[component["repoURL"]]["charts"][component["chart"]]}
        assert {p[name] for p in pins} <= served, name
    assert all(date.fromisoformat(r["date"]) < DATA_DATE for r in data["releases"])


def test_the_hotfix_moves_up_within_the_upgrade_path() -> None:
    data = history()
    name, version = HOTFIX_SET.split("=")
    by_version = {r["version"]: r["versions"][name] for r in data["releases"]}
    fixed, later = ChartVersion.parse(by_version[HOTFIX_RELEASE]), ChartVersion.parse(version)
    assert fixed < later <= ChartVersion.parse(by_version[LAST_RELEASE])
    chart = data["components"][name]
    assert version in {
        e["version"] for e in shipped_charts()[chart["repoURL"]]["charts"][chart["chart"]]
    }
    customers_on_it = [c.name for c in CUSTOMERS if c.release == HOTFIX_RELEASE]
    assert customers_on_it == ["menetekel"]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, Any]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read(), answer.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


def test_the_local_repositories_answer_through_the_mirrors_with_etags() -> None:
    with serve_demo_charts(DATA_DATE) as mirrors:
        assert set(mirrors) == set(shipped_charts())
        assert all(m.startswith("http://127.0.0.1:") for m in mirrors.values())
        upstream = "https://charts.jetstack.io"
        status, index, headers = _get(f"{mirrors[upstream]}/index.yaml")
        assert status == 200 and b"generated: '2026-10-20T00:00:00Z'" in index
        assert _get(f"{mirrors[upstream]}/index.yaml", {"If-None-Match": headers["ETag"]})[0] == 304
        release = next(
            r
            for r in releases_from_entries(
                chart_entries(index, "cert-manager") or [], "cert-manager"
            )
            if r.version == "v1.20.3"
        )
        local = Mirrors(mirrors).apply(archive_url(upstream, release))
        status, archive, _ = _get(local)
        assert status == 200 and local.startswith(mirrors[upstream])
        check_digest(archive, release, local)
        assert _get(f"{mirrors[upstream]}/nothing-1.0.0.tgz")[0] == 404


def test_helm_itself_reads_the_local_repository(tmp_path: Path) -> None:
    helm = helm_or_skip()
    with serve_demo_charts(DATA_DATE) as mirrors:
        repo = mirrors["https://charts.jetstack.io"]
        args = ["show", "chart", "--repo", repo, "cert-manager", "--version", "v1.20.3"]
        done = run_helm(helm, args, tmp_path)
    assert done.returncode == 0, done.stderr
    shown = yaml.safe_load(done.stdout)
    assert shown["name"] == "cert-manager" and shown["version"] == "v1.20.3"
    assert shown["kubeVersion"] and shown["apiVersion"] == "v2"


# --------------------------------------------------------------------------- git histories


def test_a_history_forks_branches_and_writes_the_same_commits_every_time(tmp_path: Path) -> None:
    commits = History()
    commits.commit(Snapshot("main", "first", "2026-01-02", {"a.txt": "1\n", "d/b.txt": "b\n"}))
    commits.commit(Snapshot("release/1", "on the branch", "2026-01-03", {"a.txt": "2\n"}), "main")
    commits.commit(Snapshot("main", "second", "2026-01-04", {"a.txt": "3\n"}))
    write_history(tmp_path / "work", commits)
    write_history(tmp_path / "bare.git", commits, bare=True)
    work, bare = tmp_path / "work", tmp_path / "bare.git"
    assert (work / "a.txt").read_text() == "3\n" and not (work / "d").exists()
    assert _git(work, "status", "--porcelain") == ""
    log = _git(work, "log", "--format=%s|%cI", "main").splitlines()
    assert log == ["second|2026-01-04T10:00:00+00:00", "first|2026-01-02T10:00:00+00:00"]
    fork = _git(work, "merge-base", "main", "release/1").strip()
    assert _git(work, "log", "-1", "--format=%s", fork).strip() == "first"
    for branch in ("main", "release/1"):
        assert _git(work, "rev-parse", branch) == _git(bare, "rev-parse", branch)


# --------------------------------------------------------------------------- Argo CD emulator


@pytest.fixture
def gitops(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A customer's GitOps remote and a clone to push from."""
    work, remote = tmp_path / "work", tmp_path / "remote.git"
    work.mkdir()
    identity = ["-c", "user.name=Demo", "-c", "user.email=demo@example.com"]
    _git(work, "init", "-q", "-b", "main")
    (work / "app.yaml").write_text("revision: 1\n")
    _git(work, "add", "-A")
    _git(work, *identity, "commit", "-qm", "first")
    _git(tmp_path, "clone", "-q", "--bare", str(work), str(remote))
    _git(work, "remote", "add", "origin", str(remote))
    yield work, remote


def _push(work: Path, text: str) -> str:
    (work / "app.yaml").write_text(text)
    _git(work, "-c", "user.name=Demo", "-c", "user.email=demo@example.com", "commit", "-qam", text)
    _git(work, "push", "-q", "origin", "main")
    return _git(work, "rev-parse", "HEAD").strip()


def _app(url: str, token: str, app: str = "core-base", refresh: bool = True) -> Any:
    query = "?refresh=normal" if refresh else ""
    status, body, _ = _get(
        f"{url}/api/v1/applications/{app}{query}", {"Authorization": f"Bearer {token}"}
    )
    assert status == 200, body
    return json.loads(body)


def test_the_argocd_emulator_syncs_a_push_and_reports_it_as_a_strict_gate_needs(
    gitops: tuple[Path, Path],
) -> None:
    work, remote = gitops
    with serve_argocd() as argocd:
        argocd.follow({"kuvaq": EmulatedInstance(remote, "main", ("core-base", "core-aws"))})
        url = f"{argocd.url}/kuvaq"
        before = _app(url, argocd.token)["status"]
        head = _git(work, "rev-parse", "HEAD").strip()
        assert (before["sync"], before["health"]["status"]) == (
            {"status": "Synced", "revision": head},
            "Healthy",
        )
        pushed_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        pushed = _push(work, "revision: 2\n")
        during = _app(url, argocd.token)["status"]
        while during["sync"]["revision"] != pushed:  # it looks at the branch every 0.1 s
            during = _app(url, argocd.token)["status"]
        # The answer that first sees the push has started a sync of it.
        assert during["operationState"]["phase"] == "Running"
        assert during["sync"]["status"] == "OutOfSync" and during["health"]["status"] != "Healthy"
        assert during["operationState"]["startedAt"] >= pushed_at
        deadline = time.monotonic() + 5
        while True:
            status = _app(url, argocd.token)["status"]
            operation = status["operationState"]
            if (
                operation["phase"] == "Succeeded"
                and status["reconciledAt"] > operation["finishedAt"]
            ):
                break
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        assert status["sync"] == {"status": "Synced", "revision": pushed}
        assert (
            operation["syncResult"]["revision"] == pushed
            and status["health"]["status"] == "Healthy"
        )
        assert (
            operation["startedAt"] >= pushed_at
            and operation["finishedAt"] >= operation["startedAt"]
        )
        # Without a refresh, Argo CD reports its last reconcile, not a new one.
        time.sleep(1.1)
        assert (
            _app(url, argocd.token, refresh=False)["status"]["reconciledAt"]
            == status["reconciledAt"]
        )


def test_the_argocd_emulator_refuses_a_bad_token_and_unknown_apps(
    gitops: tuple[Path, Path],
) -> None:
    _, remote = gitops
    with serve_argocd() as argocd:
        argocd.follow({"kuvaq": EmulatedInstance(remote, "main", ("core-base",))})
        app = f"{argocd.url}/kuvaq/api/v1/applications/core-base"
        assert _get(app)[0] == 401
        assert _get(app, {"Authorization": "Bearer wrong"})[0] == 401
        good = {"Authorization": f"Bearer {argocd.token}"}
        assert _get(f"{argocd.url}/kuvaq/api/v1/applications/shop", good)[0] == 404
        status, body, _ = _get(f"{argocd.url}/lintu/api/v1/applications/core-base", good)
        assert status == 404 and json.loads(body)["code"] == 5
        assert _get(f"{argocd.url}/kuvaq/api/v1/other", good)[0] == 404


def test_the_argocd_emulator_answers_500_when_the_branch_is_gone(gitops: tuple[Path, Path]) -> None:
    _, remote = gitops
    with serve_argocd() as argocd:
        argocd.follow({"kuvaq": EmulatedInstance(remote, "main", ("core-base",))})
        _git(remote, "update-ref", "-d", "refs/heads/main")
        status, body, _ = _get(
            f"{argocd.url}/kuvaq/api/v1/applications/core-base",
            {"Authorization": f"Bearer {argocd.token}"},
        )
    assert status == 500 and "rev-parse" in json.loads(body)["error"]


# --------------------------------------------------------------------------- orchestration


class _ScriptedSteps:
    """Exit codes by the exact command line; every other step exits 0."""

    def __init__(self, codes: dict[str, int]) -> None:
        self.codes = codes
        self.ran: list[str] = []

    def __call__(self, step: DemoStep, sandbox: Sandbox, env: Any) -> int:
        self.ran.append(step.shown)
        assert env["RELEASER_TODAY"] == "2030-01-02"
        assert env["GIT_COMMITTER_DATE"].startswith("2030-01-02T")
        return self.codes.get(step.shown, 0)


def _demo(tmp_path: Path, steps: _ScriptedSteps) -> list[str]:
    from contextlib import contextmanager

    @contextmanager
    def sandbox(root: Path, today: date) -> Iterator[Sandbox]:
        yield Sandbox(root, root / "kit", root / "fleet.yaml", root / "mirrors.yaml", "http://x")

    said: list[str] = []
    run_demo(DemoRequest(tmp_path, date(2030, 1, 2), True), sandbox, steps, said.append)
    return said


def test_a_refused_cut_is_accepted_explicitly_and_answers_do_not_fail_the_demo(
    tmp_path: Path,
) -> None:
    steps = _ScriptedSteps({f"releaser cut {NEXT_RELEASE} --push": 1, "releaser compat": 1})
    said = "\n".join(_demo(tmp_path, steps))
    assert f"releaser cut {NEXT_RELEASE} --push --allow-incompatible" in steps.ran
    assert said.count("(exit 1: problems found") == 1  # compat; the cut was redone
    assert steps.ran[-1].startswith(f"releaser report {NEXT_RELEASE} --format html")


CUT = f"releaser cut {NEXT_RELEASE} --push"


@pytest.mark.parametrize(
    ("codes", "failing"),
    [
        ({"releaser check": 4}, "releaser check"),
        ({"releaser plan --apply": 1}, "releaser plan --apply"),
        ({CUT: 5}, CUT),  # only "problems found" has a way out
        ({CUT: 1, f"{CUT} --allow-incompatible": 1}, f"{CUT} --allow-incompatible"),
    ],
)
def test_a_failing_step_stops_the_demo_and_names_itself(
    tmp_path: Path, codes: dict[str, int], failing: str
) -> None:
    steps = _ScriptedSteps(codes)
    with pytest.raises(ProblemsFound, match=f"demo step `{failing}` exited {codes[failing]}"):
        _demo(tmp_path, steps)
    assert steps.ran[-1] == failing

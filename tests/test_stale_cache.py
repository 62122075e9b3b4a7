"""Caches a user can reason about: keyed by the upstream URL, and standing in for a failing
upstream while younger than RELEASER_STALE_MAX (SPEC §8).

Real servers throughout: the real index files on 127.0.0.1 behind a mirrors file, a mirror
that is stopped or answers 500, a server that requires the credentials a repoURL carries,
and a real OCI registry. A copy is made older by rewriting the `fetchedAt` its cache entry
records, the date releaser itself reads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from releaser.cli.main import app
from releaser.domain.errors import UsageError
from releaser.domain.unverified import age_text, may_stand_in
from releaser.settings import Settings
from tests.customerrepo import STORY_DATE
from tests.helmrepos import component, kit_components, run_check, serve_repos, write_mirrors
from tests.kitrepo import make_kit_repo
from tests.registry import demo_registries, free_port
from tests.servers import Fault, FileServer

JETSTACK = "https://charts.jetstack.io"
DNS = "https://kubernetes-sigs.github.io/external-dns/"
KIT = kit_components(base={
    "cert-manager": component(JETSTACK, "cert-manager", "v1.12.3"),
    "external-dns": component(DNS, "external-dns", "1.19.0"),
})
SECRET = "hunter2-secret"


def cache_root() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "releaser"


def backdate(age: timedelta) -> int:
    """Make every cached index and OCI tag list `age` old; how many entries were changed."""
    stamp = (datetime.now(UTC) - age).isoformat(timespec="seconds")
    entries = [*cache_root().glob("indexes/*/meta.json"), *cache_root().glob("oci/tags/*.json")]
    for path in entries:
        data = json.loads(path.read_text())
        data["fetchedAt"] = stamp
        path.write_text(json.dumps(data))
    return len(entries)


def by_name(stdout: str) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(stdout)["components"]}


def without_stale(stdout: str) -> dict[str, Any]:
    data = json.loads(stdout)
    data.pop("stale", None)
    for item in data["components"]:
        item.pop("stale", None)
    return dict(data)


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    return make_kit_repo(tmp_path / "kit", components=KIT)


@dataclass
class Upstreams:
    """The kit's repositories behind a mirrors file; jetstack's mirror is a server of its
    own, which `fail()` stops or turns into a 500."""

    mirrors: Path
    jetstack: FileServer
    how: str

    def fail(self) -> str:
        """Break jetstack's mirror; the reason the run will give."""
        if self.how == "http-500":
            self.jetstack.fault("/jetstack/index.yaml", Fault(status=500))
            return "HTTP 500"
        self.jetstack.stop()
        return "connection refused"


@pytest.fixture(params=["server-stopped", "http-500"])
def upstreams(
    request: pytest.FixtureRequest, tmp_path: Path, helm_server: FileServer, upstream: Path
) -> Iterator[Upstreams]:
    own = FileServer().start()
    serve_repos(own, upstream / "helm-repos")
    mirrors = write_mirrors(tmp_path / "mirrors.yaml", helm_server, {JETSTACK: f"{own.url}/jetstack"})
    yield Upstreams(mirrors, own, request.param)
    own.stop()


# --------------------------------------------------------------------------- keyed by upstream


def test_a_cache_warmed_through_a_mirror_answers_offline_without_it(
    kit: Path, tmp_path: Path, helm_server: FileServer
) -> None:
    mirrors = write_mirrors(tmp_path / "mirrors.yaml", helm_server)
    online = run_check(kit, mirrors)
    assert online.exit_code == 0, online.stderr
    helm_server.log.clear()
    offline = run_check(kit, None, "--offline")
    assert offline.exit_code == 0, offline.stderr
    assert offline.stdout == online.stdout
    assert run_check(kit, mirrors, "--offline").stdout == online.stdout
    assert helm_server.log == []
    metas = [json.loads(p.read_text()) for p in cache_root().glob("indexes/*/meta.json")]
    assert sorted(m["url"] for m in metas) == [
        f"{JETSTACK}/index.yaml", f"{DNS.rstrip('/')}/index.yaml"
    ]
    assert all(m["mirror"].startswith(f"{helm_server.url}/") for m in metas)


def test_offline_without_a_cache_names_the_upstream(kit: Path) -> None:
    result = run_check(kit, None, "--offline")
    assert result.exit_code == 4
    error = by_name(result.stdout)["cert-manager"]["error"]
    assert f"repository {JETSTACK}: no cached index" in error


# --------------------------------------------------------------------------- stale stand-in


def test_a_young_copy_stands_in_for_a_failing_upstream(kit: Path, upstreams: Upstreams) -> None:
    warm = run_check(kit, upstreams.mirrors)
    assert warm.exit_code == 0, warm.stderr
    assert backdate(timedelta(hours=1)) == 2
    reason = upstreams.fail()
    result = run_check(kit, upstreams.mirrors)
    assert result.exit_code == 0, result.stderr
    notice = f"using a cached copy of {JETSTACK} from 1 h ago: {reason}"
    assert result.stderr.count(notice) == 1, result.stderr
    assert "127.0.0.1" not in result.stderr.split(notice)[0]  # the upstream is named
    got = by_name(result.stdout)
    assert got["cert-manager"]["stale"] is True and got["cert-manager"]["error"] is None
    assert got["external-dns"]["stale"] is False
    assert without_stale(result.stdout) == without_stale(warm.stdout)
    [stale] = json.loads(result.stdout)["stale"]
    assert stale["name"] == "cert-manager" and stale["repoURL"] == JETSTACK
    assert 3600 <= stale["ageSeconds"] < 3700 and reason in stale["reason"]
    table = run_check(kit, upstreams.mirrors, json_output=False)
    assert table.exit_code == 0 and notice in table.stderr


def test_the_copy_stands_in_from_the_raw_index_too(kit: Path, upstreams: Upstreams) -> None:
    """No parsed chart or remembered answer left: the cached index itself is read."""
    warm = run_check(kit, upstreams.mirrors)
    for parsed in [*cache_root().glob("indexes/*/charts/*.json"), *cache_root().glob("checks/*")]:
        parsed.unlink()
    backdate(timedelta(minutes=20))
    upstreams.fail()
    result = run_check(kit, upstreams.mirrors)
    assert result.exit_code == 0, result.stderr
    assert f"using a cached copy of {JETSTACK} from 20 min ago" in result.stderr
    assert without_stale(result.stdout) == without_stale(warm.stdout)


def test_a_copy_older_than_the_limit_fails_closed(kit: Path, upstreams: Upstreams) -> None:
    run_check(kit, upstreams.mirrors)
    backdate(timedelta(hours=25))
    reason = upstreams.fail()
    result = run_check(kit, upstreams.mirrors)
    assert result.exit_code == 4
    assert "using a cached copy" not in result.stderr
    got = by_name(result.stdout)
    error = got["cert-manager"]["error"]
    assert error.startswith(f"repository {JETSTACK}: {reason}")
    assert error.endswith("the cached copy from 25 h ago is older than RELEASER_STALE_MAX (24 h)")
    assert got["cert-manager"]["stale"] is False and "stale" not in json.loads(result.stdout)
    assert got["external-dns"]["error"] is None
    assert "cert-manager" in result.stderr


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_refusal_is_never_hidden_behind_a_copy(
    kit: Path, tmp_path: Path, helm_server: FileServer, status: int
) -> None:
    """Credentials refused, a repository gone: someone has to act, so the run fails closed."""
    mirrors = write_mirrors(tmp_path / "mirrors.yaml", helm_server)
    run_check(kit, mirrors)
    backdate(timedelta(minutes=5))
    helm_server.fault("/jetstack/index.yaml", Fault(status=status))
    result = run_check(kit, mirrors)
    assert result.exit_code == 4
    assert "using a cached copy" not in result.stderr
    error = by_name(result.stdout)["cert-manager"]["error"]
    assert error.startswith(f"repository {JETSTACK}: HTTP {status}")


@pytest.mark.parametrize(
    ("limit", "age", "exit_code", "said"),
    [
        ("2d", timedelta(hours=25), 0, "from 25 h ago"),
        ("90m", timedelta(hours=1), 0, "from 1 h ago"),
        ("30m", timedelta(hours=1), 4, "older than RELEASER_STALE_MAX (30 min)"),
        ("0", timedelta(minutes=1), 4, "is not used (RELEASER_STALE_MAX=0)"),
    ],
)
def test_the_limit_is_releaser_stale_max(
    kit: Path, tmp_path: Path, helm_server: FileServer, monkeypatch: pytest.MonkeyPatch,
    limit: str, age: timedelta, exit_code: int, said: str,
) -> None:
    run_check(kit, write_mirrors(tmp_path / "mirrors.yaml", helm_server))
    backdate(age)
    helm_server.fault("/jetstack/index.yaml", Fault(status=503))
    monkeypatch.setenv("RELEASER_STALE_MAX", limit)
    result = run_check(kit, tmp_path / "mirrors.yaml")
    assert result.exit_code == exit_code, result.stderr
    assert said in result.stdout + result.stderr


def test_an_unchanged_index_renews_the_copy(kit: Path, upstreams: Upstreams) -> None:
    """The age counts from the upstream's last word: a 304 makes the copy current again."""
    run_check(kit, upstreams.mirrors)
    backdate(timedelta(hours=30))
    upstreams.jetstack.log.clear()
    assert run_check(kit, upstreams.mirrors).exit_code == 0
    assert upstreams.jetstack.statuses("/jetstack/index.yaml") == [304]
    upstreams.fail()
    result = run_check(kit, upstreams.mirrors)
    assert result.exit_code == 0, result.stderr
    assert f"using a cached copy of {JETSTACK} from " in result.stderr
    assert " s ago: " in result.stderr


def test_plan_and_compat_mark_the_stale_component_and_pass(
    tmp_path: Path, helm_server: FileServer, upstream: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = "https://kubernetes.github.io/ingress-nginx"
    monkeypatch.setenv("RELEASER_TODAY", STORY_DATE)
    kit = make_kit_repo(tmp_path / "kit")
    with FileServer() as own:
        serve_repos(own, upstream / "helm-repos")
        mirrors = write_mirrors(tmp_path / "m.yaml", helm_server, {broken: f"{own.url}/ingress-nginx"})
        monkeypatch.setenv("RELEASER_MIRRORS", str(mirrors))
        warm_plan = invoke(kit, "--json", "plan", "--no-render")
        warm_compat = invoke(kit, "--json", "compat", "--no-render")
    assert warm_plan.exit_code == 0, warm_plan.stderr
    backdate(timedelta(hours=2))
    plan = invoke(kit, "--json", "plan", "--no-render")
    assert plan.exit_code == 0, plan.stderr
    assert f"using a cached copy of {broken} from 2 h ago: connection refused" in plan.stderr
    data = json.loads(plan.stdout)
    assert "unverified" not in data and [s["name"] for s in data["stale"]] == ["ingress-nginx"]
    assert data["proposals"] == json.loads(warm_plan.stdout)["proposals"]
    compat = invoke(kit, "--json", "compat", "--no-render")
    assert compat.exit_code == warm_compat.exit_code != 4, compat.stderr
    matrix = json.loads(compat.stdout)
    rows = {row["name"]: row for row in matrix["components"]}
    assert rows["ingress-nginx"]["stale"] is True and "stale" not in rows["cert-manager"]
    assert rows["ingress-nginx"]["verdicts"] == by_name(warm_compat.stdout)["ingress-nginx"]["verdicts"]
    assert [s["name"] for s in matrix["stale"]] == ["ingress-nginx"]


def invoke(kit: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["--kit", str(kit), *args])


# --------------------------------------------------------------------------- credentials


def test_cache_keys_and_entries_never_hold_credentials(tmp_path: Path, upstream: Path) -> None:
    with FileServer(basic_auth=f"robot:{SECRET}") as server:
        serve_repos(server, upstream / "helm-repos")
        port = server.port
        private = f"http://robot:{SECRET}@127.0.0.1:{port}/jetstack"
        kit = make_kit_repo(tmp_path / "kit", components=kit_components(
            base={"cert-manager": component(private, "cert-manager", "v1.12.3")}
        ))
        online = run_check(kit, None)
        assert online.exit_code == 0, online.stderr
    files = [p for p in cache_root().rglob("*")]
    assert files and not [p for p in files if SECRET in str(p)]
    assert not [p for p in files if p.is_file() and SECRET.encode() in p.read_bytes()]
    [meta] = [json.loads(p.read_text()) for p in cache_root().glob("indexes/*/meta.json")]
    assert meta["url"] == f"http://127.0.0.1:{port}/jetstack/index.yaml"
    backdate(timedelta(hours=1))
    stale = run_check(kit, None)  # the server has stopped
    assert stale.exit_code == 0, stale.stderr
    assert "using a cached copy of http://***@127.0.0.1:" in stale.stderr
    assert SECRET not in stale.stdout + stale.stderr
    rotated = make_kit_repo(tmp_path / "rotated", components=kit_components(
        base={"cert-manager": component(private.replace(SECRET, "rotated-pw"), "cert-manager", "v1.12.3")}
    ))
    offline = run_check(rotated, None, "--offline")  # the same repository, other credentials
    assert offline.exit_code == 0, offline.stderr
    assert by_name(offline.stdout)["cert-manager"]["latest"] == by_name(online.stdout)["cert-manager"]["latest"]


# --------------------------------------------------------------------------- OCI


def test_oci_tag_lists_answer_offline_and_stand_in(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    registry = demo_registries(tmp_path_factory).plain
    repo = f"oci://{registry.host}/charts"
    kit = make_kit_repo(tmp_path / "kit", components=kit_components(
        base={"demo": component(repo, "demo", "v1.2.3")}
    ))
    missing = run_check(kit, None, "--offline")
    assert missing.exit_code == 4 and "no cached tag list" in by_name(missing.stdout)["demo"]["error"]
    online = run_check(kit, None)
    assert online.exit_code == 0, online.stderr
    down = tmp_path / "down.yaml"
    down.write_text(f"{repo}: oci://127.0.0.1:{free_port()}/charts\n", encoding="utf-8")
    assert run_check(kit, down, "--offline").stdout == online.stdout  # no request made
    assert backdate(timedelta(hours=1)) == 1
    stale = run_check(kit, down)
    assert stale.exit_code == 0, stale.stderr
    assert f"using a cached copy of {repo} from 1 h ago: " in stale.stderr
    assert by_name(stale.stdout)["demo"]["stale"] is True
    assert without_stale(stale.stdout) == without_stale(online.stdout)
    backdate(timedelta(days=3))
    old = run_check(kit, down)
    assert old.exit_code == 4
    assert "older than RELEASER_STALE_MAX (24 h)" in by_name(old.stdout)["demo"]["error"]


# --------------------------------------------------------------------------- RELEASER_STALE_MAX


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, timedelta(hours=24)),
        ("24h", timedelta(hours=24)),
        ("90m", timedelta(minutes=90)),
        ("90min", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("45s", timedelta(seconds=45)),
        ("1.5h", timedelta(minutes=90)),
        (" 12H ", timedelta(hours=12)),
        ("0", timedelta(0)),
        ("0h", timedelta(0)),
    ],
)
def test_stale_max_forms(tmp_path: Path, text: str | None, expected: timedelta) -> None:
    env = {"RELEASER_CACHE_DIR": str(tmp_path)}
    if text is not None:
        env["RELEASER_STALE_MAX"] = text
    assert Settings.from_env(env).stale_max == expected


@pytest.mark.parametrize("text", ["24", "h", "-1h", "1w", "soon", "1h-30m", "99999999999d"])
def test_bad_stale_max_is_refused(tmp_path: Path, text: str) -> None:
    with pytest.raises(UsageError, match="RELEASER_STALE_MAX="):
        Settings.from_env({"RELEASER_CACHE_DIR": str(tmp_path), "RELEASER_STALE_MAX": text})


def test_bad_stale_max_exits_2_with_a_clear_message(
    kit: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELEASER_STALE_MAX", "24")
    result = run_check(kit, None)
    assert result.exit_code == 2
    assert "RELEASER_STALE_MAX='24' is not a duration" in result.stderr
    assert "24h" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=-5), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=20), "20 min"),
        (timedelta(hours=3, minutes=10), "3 h"),
        (timedelta(hours=47), "47 h"),
        (timedelta(days=3), "3 d"),
    ],
)
def test_ages_are_said_in_the_unit_a_reader_picks(age: timedelta, text: str) -> None:
    assert age_text(age) == text


def test_only_a_copy_younger_than_a_positive_limit_stands_in() -> None:
    day = timedelta(days=1)
    assert may_stand_in(timedelta(hours=23), day)
    assert not may_stand_in(day, day)
    assert not may_stand_in(timedelta(0), timedelta(0))

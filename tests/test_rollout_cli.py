"""End to end: kuvaq rolls to 2024.3 with --push --wait, then --next moves menetekel; the
rollout log, --status, the webhook and the command's error paths."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from releaser.adapters.rollout_log import JsonlRolloutLog
from releaser.domain.errors import InvalidFileError
from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import (
    TOKEN,
    cli,
    git,
    has_ref,
    make_fleet,
    remote_head,
)

APPS = ("core-base", "core-aws", "core-addons")
ENV = {"KUVAQ_ARGOCD_TOKEN": TOKEN, "MENETEKEL_ARGOCD_TOKEN": TOKEN}
CUSTOMERS = [
    {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"},
    {"name": "menetekel", "version": "2024.2", "kubernetes": "1.31"},
]

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")



@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/secret", received
    server.shutdown()
    server.server_close()



def merged_on_poll(bare: Path, branch: str) -> Callable[[], str]:
    """Argo CD follows `main`; the first poll after the push 'merges' the rollout branch
    (a fast-forward, as a reviewer's merge would be) and reports main's tip."""

    def revision() -> str:
        if has_ref(bare, f"refs/heads/{branch}"):
            git(bare, "update-ref", "refs/heads/main", remote_head(bare, branch))
        return remote_head(bare)

    return revision


def script_healthy(argocd: ArgoCdEmulator, revision: Callable[[], str]) -> None:
    for app in APPS:
        argocd.script(
            app,
            lambda app=app: app_json(app, revision(), health="Progressing", phase="Running"),
            lambda app=app: app_json(app, revision()),
        )


def test_kuvaq_then_next_moves_menetekel(
    kit_remote: Path,
    tmp_path: Path,
    argocd: ArgoCdEmulator,
    webhook: tuple[str, list[dict[str, Any]]],
) -> None:
    url, messages = webhook
    bed = make_fleet(tmp_path, CUSTOMERS, argocd_url=argocd.url, notify=url, kit_remote=kit_remote)
    kuvaq, menetekel = bed.remotes["kuvaq"], bed.remotes["menetekel"]
    script_healthy(argocd, merged_on_poll(kuvaq, "releaser/kuvaq-2024.3"))
    wait = ["--push", "--wait", "--poll-interval", "0.05s", "--timeout", "30s"]

    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", *wait, env=ENV)
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[0] == "kuvaq: 2024.2 → 2024.3: healthy"
    status = cli(bed, "--json", "rollout", "--status").json["customers"]
    assert [(c["name"], c["version"]) for c in status] == [
        ("kuvaq", "2024.3"),
        ("menetekel", "2024.2"),
    ]
    assert status[0]["last"]["outcome"] == "healthy" and status[1]["last"] is None

    script_healthy(argocd, merged_on_poll(menetekel, "releaser/menetekel-2024.3"))
    result = cli(bed, "rollout", "--next", "--to", "2024.3", *wait, env=ENV)
    assert result.code == 0, result.out + result.err
    assert "next: menetekel" in result.err
    assert result.out.splitlines()[0] == "menetekel: 2024.2 → 2024.3: healthy"

    done = cli(bed, "rollout", "--next", "--to", "2024.3", *wait, env=ENV)
    assert done.code == 0 and "every customer is on 2024.3 or newer" in done.err
    assert [(r["customer"], r["outcome"]) for r in bed.log()] == [
        ("kuvaq", "healthy"),
        ("menetekel", "healthy"),
    ]
    assert [m["text"].splitlines()[0] for m in messages] == [
        f"releaser: kuvaq 2024.2 → 2024.3: healthy (commit {bed.log()[0]['commit'][:12]} on releaser/kuvaq-2024.3)",
        f"releaser: menetekel 2024.2 → 2024.3: healthy (commit {bed.log()[1]['commit'][:12]} on releaser/menetekel-2024.3)",
    ]
    table = cli(bed, "rollout", "--status").out
    assert "menetekel  2024.3   1.31" in table and "healthy" in table
    assert "secret" not in result.out + result.err


def test_next_refuses_after_an_unconfirmed_rollout_unless_forced(
    kit_remote: Path, tmp_path: Path
) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS, kit_remote=kit_remote)
    first = cli(bed, "rollout", "--next", "--to", "2024.3", "--push", "--direct")
    assert first.code == 0 and "next: kuvaq" in first.err
    refused = cli(bed, "rollout", "--next", "--to", "2024.3", "--push", "--direct")
    assert refused.code == 1
    assert "the last rollout (kuvaq to 2024.3) is pushed, not confirmed healthy" in refused.err
    assert remote_head(bed.remotes["menetekel"]) == git(
        bed.remotes["menetekel"], "rev-parse", "main"
    )
    assert len(bed.log()) == 1
    forced = cli(bed, "rollout", "--next", "--to", "2024.3", "--push", "--direct", "--force")
    assert forced.code == 0 and "next: menetekel" in forced.err
    assert [r["customer"] for r in bed.log()] == ["kuvaq", "menetekel"]


def test_next_refuses_after_a_failed_gate(
    kit_remote: Path, tmp_path: Path, argocd: ArgoCdEmulator
) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS, argocd_url=argocd.url, kit_remote=kit_remote)
    def degraded(app: str) -> dict[str, Any]:
        """Degraded on the pushed commit (old-revision state would not count); before the push
        (the token check) on the old one."""
        try:
            pushed = remote_head(bed.remotes["kuvaq"], "releaser/kuvaq-2024.3")
        except subprocess.CalledProcessError:
            return app_json(app, "0" * 40)
        return app_json(app, pushed, health="Degraded")

    for app in APPS:
        argocd.script(app, lambda app=app: degraded(app))
    failed = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--wait",
                 "--poll-interval", "0.05s", env=ENV)  # fmt: skip
    assert failed.code == 1
    refused = cli(bed, "rollout", "--next", "--to", "2024.3")
    assert refused.code == 1 and "is degraded" in refused.err


def test_default_target_is_the_newest_release(kit_remote: Path, tmp_path: Path) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--dry-run")
    assert result.out.splitlines()[0] == "kuvaq: 2024.2 → 2024.4: blocked"
    assert bed.log() == []  # a dry run changes nothing, the rollout log included


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rollout"], "pass exactly one of --customer NAME, --next or --status"),
        (["rollout", "--status", "--next"], "pass exactly one of"),
        (["rollout", "--customer", "kuvak"], "unknown customer 'kuvak'"),
        (["rollout", "--customer", "kuvaq", "--to", "24.3"], "invalid kit version '24.3'"),
        (
            ["rollout", "--customer", "kuvaq", "--timeout", "soon", "--wait", "--push"],
            "invalid duration 'soon'",
        ),
        (["rollout", "--customer", "kuvaq", "--wait"], "--wait needs --push"),
        (["rollout", "--customer", "kuvaq", "--wait", "--push"], "has no argocd settings"),
    ],
)
def test_usage_errors_exit_2(
    kit_remote: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    result = cli(bed, *args)
    assert result.code == 2, result.out + result.err
    assert message in result.err


def test_invalid_fleet_exits_3_with_file_and_line(kit_remote: Path, tmp_path: Path) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    bed.fleet.write_text(
        bed.fleet.read_text().replace("kubernetes: v1.30.4-eks-a737599", "kubernetes: latest")
    )
    result = cli(bed, "rollout", "--status")
    assert result.code == 3
    assert (
        f"{bed.fleet}:10: customers[0].kubernetes: invalid Kubernetes version 'latest'"
        in result.err
    )


def test_fleet_from_environment_and_missing_fleet(
    kit_remote: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    from typer.testing import CliRunner

    from releaser.cli.main import app

    monkeypatch.chdir(tmp_path)
    missing = CliRunner().invoke(app, ["rollout", "--status"])
    assert missing.exit_code == 2 and "no fleet file" in missing.stderr
    found = CliRunner().invoke(app, ["rollout", "--status"], env={"RELEASER_FLEET": str(bed.fleet)})
    assert found.exit_code == 0, found.stderr
    assert found.exit_code == 0 and "kuvaq" in found.stdout


def test_failing_webhook_only_warns(kit_remote: Path, tmp_path: Path) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    result = cli(
        bed,
        "rollout",
        "--customer",
        "kuvaq",
        "--to",
        "2024.3",
        "--notify",
        "http://127.0.0.1:9/hook/secret",
    )
    assert result.code == 0
    assert "warning: notification to 127.0.0.1 failed" in result.err
    assert "secret" not in result.err


def test_log_is_append_only_and_survives_a_torn_last_line(tmp_path: Path) -> None:
    log = JsonlRolloutLog(tmp_path / ".releaser/rollouts.jsonl")
    log.append({"customer": "a", "outcome": "healthy"})
    log.append({"customer": "b", "outcome": "pushed"})
    with log.path.open("a") as handle:
        handle.write('{"customer": "c", "outc')
    assert [r["customer"] for r in log.records()] == ["a", "b"]
    log.path.write_text('{"customer": "a"}\nnot json\n{"customer": "b"}\n')
    with pytest.raises(InvalidFileError, match=r"rollouts\.jsonl:2: not a JSON record"):
        log.records()


def test_kit_remote_defaults_to_the_kit_checkouts_origin(kit_remote: Path, tmp_path: Path) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    bed.fleet.write_text(bed.fleet.read_text().replace(f"  remote: {kit_remote.as_uri()}\n", ""))
    checkout = kit_remote.parent / "kit"  # make_kit_remote wired it as this checkout's origin
    result = cli(
        bed, "--kit", str(checkout), "rollout", "--customer", "kuvaq", "--to", "2024.3", "--dry-run"
    )
    assert result.code == 0, result.err
    assert "dry run, preflight passed" in result.out
    lonely = tmp_path / "lonely"
    git(tmp_path, "init", "-q", str(lonely))
    result = cli(bed, "--kit", str(lonely), "rollout", "--customer", "kuvaq", "--dry-run")
    assert result.code == 2 and "has no 'origin' remote" in result.err


def test_unreachable_kit_remote_is_a_git_error(kit_remote: Path, tmp_path: Path) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], kit_remote=kit_remote)
    bed.fleet.write_text(
        bed.fleet.read_text().replace(kit_remote.as_uri(), (tmp_path / "nope.git").as_uri())
    )
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3")
    assert result.code == 5
    assert "cannot list the kit's release branches" in result.err


def test_a_refused_argocd_token_blocks_before_anything_is_pushed(
    kit_remote: Path, tmp_path: Path, argocd: ArgoCdEmulator
) -> None:
    bed = make_fleet(tmp_path, CUSTOMERS[:1], argocd_url=argocd.url, kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    before = remote_head(bare)
    for app in APPS:
        argocd.script(app, app_json(app, before))
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--wait",
                 env={"KUVAQ_ARGOCD_TOKEN": "not-the-token"})  # fmt: skip
    assert result.code == 1
    assert result.out.splitlines() == [
        "kuvaq: 2024.2 → 2024.3: blocked",
        f"  - argocd: Argo CD refused the token for {argocd.url}/api/v1/applications/core-base "
        "(HTTP 401); nothing was pushed",
    ]
    assert remote_head(bare) == before
    assert not has_ref(bare, "refs/heads/releaser/kuvaq-2024.3")
    assert not has_ref(bare, "refs/releaser/lock/kuvaq")
    assert bed.log()[-1]["outcome"] == "blocked"
    assert "not-the-token" not in result.out + result.err

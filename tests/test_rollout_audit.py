"""The audit trail: every rollout-log record says who (git user.email, else the OS user),
where, with which releaser and command line (no secrets), what was waived and exactly what,
the exact versions (hotfix patch included) and when the push, sync and verdict happened."""

from __future__ import annotations

import os
import pwd
import socket
from pathlib import Path

import pytest

from releaser import __version__
from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import (
    RELEASES,
    TOKEN,
    cli,
    make_fleet,
    make_kit_remote,
    remote_head,
)
from tests.kitrepo import commit_all, git, write_kit

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")

KUVAQ = {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The usual releases, with hotfixes on top: release/2024.2 carries 2024.2.1, and
    release/2024.3 carries 2024.3.2."""
    base = tmp_path_factory.mktemp("kit")
    bare = make_kit_remote(base)
    work = base / "kit"
    for version, patch in (("2024.2", "2024.2.1"), ("2024.3", "2024.3.2")):
        git(work, "checkout", "-q", f"release/{version}")
        write_kit(work, version=patch, **RELEASES[version])
        commit_all(work, f"Hotfix {patch}")
        git(work, "push", "-q", "origin", f"release/{version}")
    git(work, "checkout", "-q", "main")
    return bare



def test_a_gated_rollout_records_who_where_what_and_when(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    (Path.home() / ".gitconfig").write_text("[user]\n\temail = sre@example.com\n")
    bed = make_fleet(tmp_path, [KUVAQ], argocd_url=argocd.url, kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    for app in ("core-base", "core-aws", "core-addons"):
        argocd.script(
            app,
            lambda app=app: app_json(app, remote_head(bare), sync="OutOfSync", phase="Running"),
            lambda app=app: app_json(app, remote_head(bare)),
        )
    hook = "http://127.0.0.1:9/services/T0/B0/hook-secret-path"
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--direct",
                 "--wait", "--poll-interval", "0.05s", "--notify", hook,
                 env={"KUVAQ_ARGOCD_TOKEN": TOKEN})  # fmt: skip
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[0] == "kuvaq: 2024.2.1 → 2024.3.2: healthy"

    record = bed.log()[-1]
    assert record["kind"] == "rollout"
    assert (record["from"], record["to"]) == ("2024.2.1", "2024.3.2")
    assert record["actor"] == "sre@example.com"
    assert record["host"] == socket.gethostname()
    assert record["releaser"] == __version__
    assert record["command"] == (
        f"releaser --fleet {bed.fleet} rollout --customer kuvaq --to 2024.3 --push --direct "
        "--wait --poll-interval 0.05s --notify http://127.0.0.1"
    )
    assert record["waivers"] == []
    times = [record[k] for k in ("started", "pushedAt", "syncedAt", "verdictAt", "finished")]
    assert all(times) and times == sorted(times), times
    text = (bed.fleet.parent / ".releaser/rollouts.jsonl").read_text()
    assert "hook-secret-path" not in text and TOKEN not in text


def test_a_waiver_records_the_key_paths_it_accepted(tmp_path: Path, kit_remote: Path) -> None:
    bed = make_fleet(tmp_path, [{**KUVAQ, "addons": ""}], kit_remote=kit_remote)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.4", "--push",
                 "--accept-dropped-keys")  # fmt: skip
    assert result.code == 0, result.out + result.err
    record = bed.log()[-1]
    assert record["reasons"] == []
    assert record["waivers"] == [
        {
            "rule": "dropped-key",
            "option": "--accept-dropped-keys",
            "what": [
                "addons: components.external-dns.values.txtOwnerId",
                "base: components.ingress-nginx.values.controller.replicaCount",
            ],
        }
    ]
    # no git identity configured: the OS user is the actor
    assert record["actor"] == pwd.getpwuid(os.getuid()).pw_name
    assert record["pushedAt"] and record["syncedAt"] is None and record["verdictAt"] is None

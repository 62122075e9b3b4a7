"""The change itself: byte-identical files apart from the revisions, idempotent re-runs,
no force-push ever, and the clone cache."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from releaser.adapters.customer_repo import GitCustomerRepos
from releaser.domain.errors import GitError
from releaser.domain.fleet import Customer
from releaser.domain.versions import KubeVersion
from tests.argocd_server import ArgoCdEmulator, app_json
from tests.customerrepo import (
    STORY_DATE,
    TOKEN,
    FleetBed,
    cli,
    commit_count,
    git,
    git_files,
    has_ref,
    make_fleet,
    remote_head,
)

ROOT = Path(__file__).resolve().parents[1]
KUVAQ = {"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}
WORK = "releaser/kuvaq-2024.3"

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")



@pytest.fixture
def bed(tmp_path: Path, kit_remote: Path) -> FleetBed:
    return make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)


def expected_after(before: bytes) -> bytes:
    """What a kit file must become: each kit revision line changed, nothing else."""
    lines = before.decode().splitlines(keepends=True)
    out = []
    for line in lines:
        kit_line = "targetRevision:" in line and "release/2024.2" in line
        out.append(line.replace("release/2024.2", "release/2024.3") if kit_line else line)
    # the non-kit Application's targetRevision (dashboards repo) must stay on 2024.2
    text = "".join(out)
    return text.replace(
        "dashboards.git\n    targetRevision: release/2024.3",
        "dashboards.git\n    targetRevision: release/2024.2",
    ).encode()


@pytest.mark.parametrize("quote", ["", "'", '"'])
def test_files_are_byte_identical_apart_from_revision_values(
    tmp_path: Path, kit_remote: Path, quote: str
) -> None:
    bed = make_fleet(tmp_path, [{**KUVAQ, "quote": quote}], kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
    assert result.code == 0, result.out + result.err
    before, after = git_files(bare, "main"), git_files(bare, WORK)
    assert before.keys() == after.keys()
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"argocd/apps.yaml", "argocd/addons.yml"}
    for name in changed:
        assert after[name] == expected_after(before[name]), name
    assert after["argocd/apps.yaml"].count(b"release/2024.3") == 2
    assert (
        f"targetRevision: {quote}release/2024.3{quote}    # the kit version".encode()
        in after["argocd/apps.yaml"]
    )
    message = git(bare, "log", "-1", "--format=%B", WORK)
    assert message.startswith("Roll kuvaq to core kit 2024.3 (from 2024.2)")
    assert git(bare, "rev-parse", f"{WORK}^") == remote_head(bare)


def test_direct_pushes_to_the_customer_branch(bed: FleetBed) -> None:
    bare = bed.remotes["kuvaq"]
    old = remote_head(bare)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--direct")
    assert result.code == 0, result.err
    assert git(bare, "rev-parse", "main^") == old
    assert not has_ref(bare, f"refs/heads/{WORK}")
    assert bed.log()[-1]["pushed"] == "main"
    # again: nothing to do, no second commit
    again = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--direct")
    assert again.code == 0
    assert commit_count(bare) == 2
    assert "existing commit" in again.out
    status = cli(bed, "--json", "rollout", "--status").json["customers"][0]
    assert status["version"] == "2024.3"
    assert status["last"]["to"] == "2024.3" and status["last"]["outcome"] == "pushed"


def test_dry_run_changes_nothing_and_logs_nothing(bed: FleetBed) -> None:
    bare = bed.remotes["kuvaq"]
    old = remote_head(bare)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push", "--dry-run")
    assert result.code == 0
    assert "would rewrite: argocd/addons.yml, argocd/apps.yaml" in result.out
    assert remote_head(bare) == old and not has_ref(bare, f"refs/heads/{WORK}")
    assert bed.log() == []


def test_local_commit_then_push_reuses_the_commit(bed: FleetBed) -> None:
    first = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3")
    assert first.code == 0 and "not pushed" in first.out
    assert not has_ref(bed.remotes["kuvaq"], f"refs/heads/{WORK}")
    second = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
    assert second.code == 0
    log = bed.log()
    assert [r["outcome"] for r in log] == ["committed", "pushed"]
    assert log[0]["commit"] == log[1]["commit"] == remote_head(bed.remotes["kuvaq"], WORK)
    assert log[1]["created"] is False
    assert commit_count(bed.remotes["kuvaq"], WORK) == 2


def test_push_rejection_is_a_git_error_that_changes_nothing(bed: FleetBed, tmp_path: Path) -> None:
    """Someone else's commit already sits on the rollout branch: a plain push is refused."""
    bare = bed.remotes["kuvaq"]
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", bare.as_uri(), str(other))
    (other / "NOTES.md").write_text("unrelated\n")
    git(other, "add", "NOTES.md")
    git(other, "commit", "-qm", "someone else's work")
    git(other, "push", "-q", "origin", f"HEAD:refs/heads/{WORK}")
    theirs = remote_head(bare, WORK)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
    assert result.code == 5
    assert "rejected" in result.err and "not a fast-forward" in result.err
    assert remote_head(bare, WORK) == theirs
    assert bed.log()[-1]["outcome"] == "error"


def test_adapter_push_never_forces(tmp_path: Path, kit_remote: Path) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    customer = Customer("kuvaq", bare.as_uri(), "main", "argocd", "aws", KubeVersion.parse("1.30"))
    repo = GitCustomerRepos(tmp_path / "cache").open(customer, WORK)
    base = repo.base()
    commit = repo.commit(base.commit, {"README.md": b"changed\n"}, "mine")
    src = tmp_path / "kuvaq-src"
    (src / "README.md").write_text("moved on\n")
    git(src, "commit", "-qam", "moved on")
    git(src, "push", "-q", bare.as_uri(), "main")
    moved = remote_head(bare)
    with pytest.raises(GitError, match="rejected"):
        repo.push(commit, "main")
    assert remote_head(bare) == moved


def test_clone_cache_is_shallow_and_under_the_user_cache(bed: FleetBed) -> None:
    assert cli(bed, "rollout", "--status").code == 0
    clones = list((Path(os.environ["XDG_CACHE_HOME"]) / "releaser/customers").iterdir())
    assert [c.name.split("-")[0] for c in clones] == ["kuvaq"]
    assert (clones[0] / "shallow").is_file()


def test_releaser_cache_dir_holds_the_customer_and_kit_clones(
    bed: FleetBed, tmp_path: Path
) -> None:
    cache = tmp_path / "elsewhere"
    args = ("rollout", "--customer", "kuvaq", "--to", "2024.3")
    assert cli(bed, *args, env={"RELEASER_CACHE_DIR": str(cache)}).code == 0
    assert [p.name.split("-")[0] for p in (cache / "customers").iterdir()] == ["kuvaq"]
    assert len(list((cache / "kits").iterdir())) == 1
    assert not (Path(os.environ["XDG_CACHE_HOME"]) / "releaser").exists()


def test_unreachable_customer_repo_is_reported_per_customer(bed: FleetBed, tmp_path: Path) -> None:
    bed.remotes["kuvaq"].rename(tmp_path / "gone.git")
    result = cli(bed, "--json", "rollout", "--status")
    assert result.code == 5
    row = result.json["customers"][0]
    assert row["version"] is None and "cannot fetch kuvaq's repository" in row["error"]



def test_rerun_after_a_kill_finishes_without_a_second_commit(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    bed = make_fleet(tmp_path, [KUVAQ], argocd_url=argocd.url, kit_remote=kit_remote)
    bare = bed.remotes["kuvaq"]
    old = remote_head(bare)
    for app in ("core-base", "core-aws", "core-addons"):
        argocd.script(app, app_json(app, old))  # never sees the new commit
    args = ["--fleet", str(bed.fleet), "rollout", "--customer", "kuvaq", "--to", "2024.3",
            "--push", "--wait", "--poll-interval", "0.05s"]  # fmt: skip
    env = {**os.environ, "KUVAQ_ARGOCD_TOKEN": TOKEN, "PYTHONPATH": str(ROOT),
           "RELEASER_TODAY": STORY_DATE}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "releaser", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not has_ref(bare, f"refs/heads/{WORK}") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert has_ref(bare, f"refs/heads/{WORK}"), "the first run never pushed"
        time.sleep(0.3)  # well inside the gate now
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    commit = remote_head(bare, WORK)
    assert bed.log() == []  # killed: nothing logged
    for app in ("core-base", "core-aws", "core-addons"):
        argocd.script(app, app_json(app, commit))
    result = cli(bed, *args[2:], env={"KUVAQ_ARGOCD_TOKEN": TOKEN})
    assert result.code == 0, result.out + result.err
    assert remote_head(bare, WORK) == commit
    assert commit_count(bare, WORK) == 2
    record = bed.log()[-1]
    assert (record["outcome"], record["commit"], record["created"]) == ("healthy", commit, False)


def test_reads_packed_objects_after_a_repack(bed: FleetBed) -> None:
    assert cli(bed, "--json", "rollout", "--status").json["customers"][0]["version"] == "2024.2"
    (clone,) = (Path(os.environ["XDG_CACHE_HOME"]) / "releaser/customers").iterdir()
    git(clone, "repack", "-adq")
    git(clone, "prune-packed")
    assert not any(p.name != "pack" and p.name != "info" for p in (clone / "objects").iterdir())
    assert cli(bed, "--json", "rollout", "--status").json["customers"][0]["version"] == "2024.2"
    customer = Customer(
        "kuvaq", bed.remotes["kuvaq"].as_uri(), "main", "argocd", None, KubeVersion.parse("1.30")
    )
    snapshot = GitCustomerRepos(clone.parent).open(customer).base()
    assert snapshot.files("argocd") == ["argocd/addons.yml", "argocd/apps.yaml"]
    assert snapshot.files("nowhere") == []
    assert snapshot.read(["README.md", "missing.txt"]) == {"README.md": b"# kuvaq gitops\n"}
    assert snapshot.parent is None


def test_credentials_in_repository_urls_never_reach_output(bed: FleetBed) -> None:
    text = bed.fleet.read_text().replace(
        bed.remotes["kuvaq"].as_uri(), "https://bot:hunter2@127.0.0.1:9/kuvaq.git"
    )
    bed.fleet.write_text(text)
    result = cli(bed, "--json", "rollout", "--status")
    assert result.code == 5
    assert "hunter2" not in result.out + result.err
    assert "https://***@127.0.0.1:9/kuvaq.git" in result.err

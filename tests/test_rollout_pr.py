"""`rollout --pr` on GitHub: the pull request opened, found and updated, reviewed, merged by
each method GitHub offers, or closed; and the API's refusals.

GitHub cannot run here: tests/review_server.py emulates its documented REST endpoints
(docs.github.com/en/rest/pulls/pulls: list with `head=owner:branch&state=open`, create,
update, get with `merged` and `merge_commit_sha`; /rest/pulls/review-requests;
/rest/issues/labels) on 127.0.0.1 and merges for real into the customer's bare repository
(merge commit, squash, rebase), so the commit the API names is the one on the branch. Argo CD
is the emulator of tests/argocd_server.py, following that branch.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.argocd_server import ArgoCdEmulator
from tests.customerrepo import FleetBed, cli, has_ref, make_fleet, remote_head
from tests.kitrepo import git
from tests.pr_support import (
    BRANCH,
    REVIEW_TOKEN,
    env,
    follow_branch,
    kit_with_changelog,
    rollout_pr,
    set_review,
)
from tests.review_server import ReviewEmulator, running

pytestmark = pytest.mark.usefixtures("readable_upstreams", "outside_the_kit")
REPOSITORY = "example/kuvaq-gitops"


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit_with_changelog(tmp_path_factory.mktemp("kit"))



@pytest.fixture
def bed(tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator) -> FleetBed:
    customers = [{"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}]
    return make_fleet(tmp_path, customers, argocd_url=argocd.url, kit_remote=kit_remote)


@pytest.fixture
def github(bed: FleetBed) -> Iterator[ReviewEmulator]:
    with running("github", bed.remotes["kuvaq"], REVIEW_TOKEN, REPOSITORY) as emulator:
        set_review(bed, "kuvaq", {
            "provider": "github", "url": emulator.url, "tokenEnv": "KUVAQ_REVIEW_TOKEN",
            "repository": REPOSITORY, "reviewers": ["alice", "example/platform"],
            "labels": ["rollout", "core-kit"],
        })  # fmt: skip
        yield emulator


def test_opens_a_pull_request_with_what_a_reviewer_needs(
    bed: FleetBed, github: ReviewEmulator
) -> None:
    bare = bed.remotes["kuvaq"]
    main_before = remote_head(bare)
    result = rollout_pr(bed)
    assert result.code == 0, result.out + result.err
    data = result.json
    assert data["outcome"] == "pushed"
    assert data["review"] == {"provider": "github", "number": 1, "created": True, "landed": None,
                              "url": f"{github.url}/{REPOSITORY}/pull/1"}  # fmt: skip
    assert "pull request #1 opened" in result.err
    pull = github.pulls[1]
    assert (pull.head, pull.base, pull.state) == (BRANCH, "main", "open")
    assert pull.title == "Roll kuvaq to core kit 2024.3 (from 2024.2)"
    assert (pull.reviewers, pull.teams, pull.labels) == (["alice"], ["platform"],
                                                         ["rollout", "core-kit"])  # fmt: skip
    assert remote_head(bare, BRANCH) == data["commit"] and remote_head(bare) == main_before
    body = pull.body
    assert body.startswith("## Core kit 2024.2 → 2024.3")
    assert "- Cluster: `v1.30.4-eks-a737599`" in body
    assert "cert-manager v1.20.0 → v1.21.0" in body  # the target's changelog entry
    assert "#### 2024.2.1" in body  # a hotfix the customer does not run yet
    assert "first release" not in body and "the beginning" not in body  # what it runs
    assert "<img" not in body and "javascript:" not in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "_Not rendered: the manifests were not rendered for this rollout._" in body
    record = bed.log()[-1]
    assert (record["outcome"], record["review"]["number"]) == ("pushed", 1)
    assert set(github.auth_headers) == {f"Bearer {REVIEW_TOKEN}"}


def test_a_rerun_updates_the_open_pull_request_never_a_second(
    bed: FleetBed, github: ReviewEmulator
) -> None:
    first = rollout_pr(bed)
    second = rollout_pr(bed)
    assert second.code == 0, second.out + second.err
    assert len(github.pulls) == 1
    assert len(github.calls("POST", "/pulls")) == 1 and len(github.calls("PATCH")) == 1
    assert second.json["review"]["created"] is False
    assert second.json["commit"] == first.json["commit"] and second.json["created"] is False
    assert github.pulls[1].labels == ["rollout", "core-kit"]  # asked again, not duplicated


@pytest.mark.parametrize("method", ["merge", "squash", "rebase"])
def test_wait_gates_the_commit_the_merge_landed(
    bed: FleetBed, github: ReviewEmulator, argocd: ArgoCdEmulator, method: str
) -> None:
    bare = bed.remotes["kuvaq"]
    before = remote_head(bare)
    follow_branch(argocd, bare)
    github.merge_after(3, method)
    result = rollout_pr(bed, "--wait")
    assert result.code == 0, result.out + result.err
    data = result.json
    landed = remote_head(bare)
    assert data["outcome"] == "healthy" and data["review"]["landed"] == landed
    parents = git(bare, "rev-list", "--parents", "-n", "1", landed).split()[1:]
    if method == "merge":
        assert parents == [before, data["commit"]]
    else:  # squash and rebase: one new commit on the old tip, with the rollout's tree
        assert parents == [before] and landed != data["commit"]
        assert git(bare, "rev-parse", f"{landed}^{{tree}}") == git(
            bare, "rev-parse", f"{data['commit']}^{{tree}}"
        )
    assert f"pull request #1 merged as {landed[:12]}" in result.err
    record = bed.log()[-1]
    assert (record["outcome"], record["review"]["landed"]) == ("healthy", landed)


def test_closed_without_merging_is_abandoned(
    bed: FleetBed, github: ReviewEmulator, argocd: ArgoCdEmulator
) -> None:
    bare = bed.remotes["kuvaq"]
    follow_branch(argocd, bare)
    main_before = remote_head(bare)
    github.close_after(2)
    result = rollout_pr(bed, "--wait")
    assert result.code == 1
    assert result.json["outcome"] == "abandoned"
    assert result.json["gate"] == ["pull request #1 was closed without merging"]
    assert remote_head(bare) == main_before
    assert bed.log()[-1]["outcome"] == "abandoned"


def test_wait_times_out_on_a_request_nobody_merges(
    bed: FleetBed, github: ReviewEmulator, argocd: ArgoCdEmulator
) -> None:
    follow_branch(argocd, bed.remotes["kuvaq"])
    result = rollout_pr(bed, "--wait", "--merge-timeout", "0.3s")
    assert result.code == 1
    assert result.json["outcome"] == "timeout"
    assert result.json["gate"] == ["pull request #1 not merged after 0.3s"]


def test_auto_merge_is_enabled_through_graphql(bed: FleetBed, github: ReviewEmulator) -> None:
    set_review(bed, "kuvaq", {"provider": "github", "url": github.url, "autoMerge": True,
                              "tokenEnv": "KUVAQ_REVIEW_TOKEN", "repository": REPOSITORY})  # fmt: skip
    assert rollout_pr(bed).code == 0
    assert github.pulls[1].auto_merge
    assert github.calls("POST", "/graphql")[0]["variables"] == {"id": "PR_1"}


def test_a_refused_token_stops_before_anything_is_pushed(
    bed: FleetBed, github: ReviewEmulator
) -> None:
    wrong = "wrong-s3cr3t-token-value"
    result = rollout_pr(bed, environment=env(KUVAQ_REVIEW_TOKEN=wrong))
    assert result.code == 4
    assert f"GitHub at {github.url} refused the token (HTTP 401)" in result.err
    assert "KUVAQ_REVIEW_TOKEN is invalid or expired" in result.err
    assert wrong not in result.out + result.err
    assert not has_ref(bed.remotes["kuvaq"], f"refs/heads/{BRANCH}")
    assert not github.pulls


def test_a_forbidden_read_names_the_missing_permission(
    bed: FleetBed, github: ReviewEmulator
) -> None:
    github.fault("GET", 403, {"message": "Resource not accessible by personal access token"})
    result = rollout_pr(bed)
    assert result.code == 4
    assert "denied the request (HTTP 403) to list its open pull requests: Resource not " \
           "accessible by personal access token" in result.err  # fmt: skip
    assert "'pull requests: write'" in result.err
    assert REVIEW_TOKEN not in result.out + result.err


def test_a_validation_failure_quotes_github(bed: FleetBed, github: ReviewEmulator) -> None:
    github.fault("POST", 422, {"message": "Validation Failed", "errors": [
        {"message": f"No commits between main and {BRANCH}"}]})  # fmt: skip
    result = rollout_pr(bed)
    assert result.code == 4
    assert ("refused to open a pull request (HTTP 422): Validation Failed; No commits between "
            f"main and {BRANCH}") in result.err  # fmt: skip
    assert REVIEW_TOKEN not in result.out + result.err
    assert bed.log()[-1]["outcome"] == "error"


def test_pr_without_review_settings_is_a_usage_error(bed: FleetBed) -> None:
    result = rollout_pr(bed)
    assert result.code == 2
    assert "customer kuvaq has no review settings; --pr needs them" in result.err


def test_pr_and_direct_exclude_each_other(bed: FleetBed, github: ReviewEmulator) -> None:
    result = rollout_pr(bed, "--direct")
    assert result.code == 2 and "--pr and --direct exclude each other" in result.err


def test_next_pr_moves_on_only_after_the_previous_request_merged_and_passed(
    tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator
) -> None:
    customers = [{"name": name, "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}
                 for name in ("kuvaq", "menetekel")]  # fmt: skip
    bed = make_fleet(tmp_path, customers, argocd_url=argocd.url, kit_remote=kit_remote)
    with (
        running("github", bed.remotes["kuvaq"], REVIEW_TOKEN, REPOSITORY) as first,
        running("github", bed.remotes["menetekel"], REVIEW_TOKEN, "example/menetekel") as second,
    ):
        for name, emulator, repository in (("kuvaq", first, REPOSITORY),
                                           ("menetekel", second, "example/menetekel")):
            set_review(bed, name, {"provider": "github", "url": emulator.url,
                                   "tokenEnv": "KUVAQ_REVIEW_TOKEN", "repository": repository})
        next_pr = ["--json", "rollout", "--next", "--to", "2024.3", "--pr"]  # fmt: skip
        opened = cli(bed, *next_pr, env=env())
        assert opened.code == 0, opened.out + opened.err
        assert opened.json["moved"]["customer"] == "kuvaq" and len(first.pulls) == 1
        refused = cli(bed, *next_pr, env=env())
        assert refused.code == 1
        assert "the last rollout (kuvaq to 2024.3) is pushed, not confirmed healthy" in refused.err
        assert not second.pulls
        follow_branch(argocd, bed.remotes["kuvaq"])
        first.merge_after(1, "squash")
        merged = rollout_pr(bed, "--wait")
        assert merged.json["outcome"] == "healthy", merged.out + merged.err
        assert len(first.pulls) == 1  # the same request, merged
        moved = cli(bed, *next_pr, env=env())
        assert moved.code == 0, moved.out + moved.err
        assert moved.json["moved"]["customer"] == "menetekel"
        assert second.pulls[1].head == "releaser/menetekel-2024.3"


def test_the_review_token_is_nowhere_but_the_authorization_header(
    bed: FleetBed, github: ReviewEmulator, argocd: ArgoCdEmulator
) -> None:
    """A planted token: after a merged, gated rollout it is in no output, log, commit, cache
    file, git argument or text sent to the code host, only in the header that needs it."""
    bare = bed.remotes["kuvaq"]
    follow_branch(argocd, bare)
    github.merge_after(2, "squash")
    result = rollout_pr(bed, "--wait", "-v")
    assert result.code == 0, result.out + result.err
    history = git(bare, "log", "-p", "--all", "--format=%H %s%n%b")
    log = (bed.fleet.parent / ".releaser/rollouts.jsonl").read_text(encoding="utf-8")
    cache = Path(os.environ["XDG_CACHE_HOME"])
    cached = b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())
    sent = "".join(p.title + p.body for p in github.pulls.values())
    for where, text in {"stdout": result.out, "stderr": result.err, "history": history,
                        "log": log, "sent": sent}.items():  # fmt: skip
        assert REVIEW_TOKEN not in text, where
    assert REVIEW_TOKEN.encode() not in cached
    assert set(github.auth_headers) == {f"Bearer {REVIEW_TOKEN}"}

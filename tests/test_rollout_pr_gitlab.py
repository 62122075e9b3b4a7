"""`rollout --pr` on GitLab: the merge request through the REST API, and through push options
for teams without an API token.

GitLab cannot run here: tests/review_server.py emulates its documented REST endpoints
(docs.gitlab.com/ee/api/merge_requests.html: list with `source_branch` and `state=opened`,
create, update (PUT), get with `merge_commit_sha`, `squash_commit_sha` and `sha`; `:id` the
URL-encoded project path; docs.gitlab.com/ee/api/users.html for reviewer ids) on 127.0.0.1
and merges for real into the customer's bare repository. The push-options path
(docs.gitlab.com/ee/user/project/push_options.html: `merge_request.create`,
`merge_request.target`, `merge_request.title`, `merge_request.description`,
`merge_request.label`, `merge_request.merge_when_pipeline_succeeds`) runs against a real bare
repository with `receive.advertisePushOptions` and a post-receive hook that records them, as
GitLab's own hook reads them.
"""

from __future__ import annotations

import stat
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
PROJECT = "platform/customers/kuvaq-gitops"  # a subgroup: `:id` is platform%2Fcustomers%2F…


@pytest.fixture(scope="module")
def kit_remote(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return kit_with_changelog(tmp_path_factory.mktemp("kit"))



@pytest.fixture
def bed(tmp_path: Path, kit_remote: Path, argocd: ArgoCdEmulator) -> FleetBed:
    customers = [{"name": "kuvaq", "version": "2024.2", "kubernetes": "v1.30.4-eks-a737599"}]
    return make_fleet(tmp_path, customers, argocd_url=argocd.url, kit_remote=kit_remote)


@pytest.fixture
def gitlab(bed: FleetBed) -> Iterator[ReviewEmulator]:
    with running("gitlab", bed.remotes["kuvaq"], REVIEW_TOKEN, PROJECT) as emulator:
        set_review(bed, "kuvaq", {
            "provider": "gitlab", "url": emulator.url, "tokenEnv": "KUVAQ_REVIEW_TOKEN",
            "repository": PROJECT, "reviewers": ["alice", "bob"], "labels": ["rollout", "kit"],
            "draft": True,
        })  # fmt: skip
        yield emulator


def test_opens_a_merge_request_then_updates_it(bed: FleetBed, gitlab: ReviewEmulator) -> None:
    first = rollout_pr(bed)
    assert first.code == 0, first.out + first.err
    assert first.json["review"] == {"provider": "gitlab", "number": 1, "created": True,
                                    "landed": None,
                                    "url": f"{gitlab.url}/{PROJECT}/-/merge_requests/1"}  # fmt: skip
    request = gitlab.pulls[1]
    assert (request.head, request.base) == (BRANCH, "main")
    assert request.title == "Draft: Roll kuvaq to core kit 2024.3 (from 2024.2)"
    assert (request.reviewers, request.labels) == ([11, 12], ["rollout", "kit"])
    assert "### Preflight" in request.body and "merge request #1 opened" in first.err
    assert gitlab.calls("POST", "/projects/platform%2Fcustomers%2Fkuvaq-gitops/merge_requests")
    second = rollout_pr(bed)
    assert second.code == 0, second.out + second.err
    assert second.json["review"]["created"] is False and len(gitlab.pulls) == 1
    assert len(gitlab.calls("PUT", "/merge_requests/1")) == 1
    assert set(gitlab.auth_headers) == {REVIEW_TOKEN}


@pytest.mark.parametrize(
    ("method", "field"),
    [("merge", "merge_commit_sha"), ("squash", "squash_commit_sha"), ("rebase", "sha")],
)
def test_wait_gates_what_each_merge_method_landed(
    bed: FleetBed, gitlab: ReviewEmulator, argocd: ArgoCdEmulator, method: str, field: str
) -> None:
    bare = bed.remotes["kuvaq"]
    follow_branch(argocd, bare)
    gitlab.merge_after(2, method)
    result = rollout_pr(bed, "--wait")
    assert result.code == 0, result.out + result.err
    landed = remote_head(bare)
    assert result.json["outcome"] == "healthy" and result.json["review"]["landed"] == landed
    answer = gitlab.pulls[1]
    reported = {"merge": answer.merge_commit, "squash": answer.squash_commit,
                "rebase": answer.rebased_head}[method]  # fmt: skip
    assert reported == landed, field
    if method == "rebase":  # fast-forward: the rebased source head is the branch's tip
        assert remote_head(bare, BRANCH) == landed != result.json["commit"]


def test_closed_without_merging_is_abandoned(
    bed: FleetBed, gitlab: ReviewEmulator, argocd: ArgoCdEmulator
) -> None:
    follow_branch(argocd, bed.remotes["kuvaq"])
    gitlab.close_after(1)
    result = rollout_pr(bed, "--wait")
    assert result.code == 1
    assert result.json["outcome"] == "abandoned"
    assert "merge request #1 was closed without merging" in result.err


def test_an_unknown_reviewer_is_named(bed: FleetBed, gitlab: ReviewEmulator) -> None:
    set_review(bed, "kuvaq", {"provider": "gitlab", "url": gitlab.url, "repository": PROJECT,
                              "tokenEnv": "KUVAQ_REVIEW_TOKEN", "reviewers": ["mallory"]})  # fmt: skip
    result = rollout_pr(bed)
    assert result.code == 4
    assert "has no user 'mallory' (review.reviewers)" in result.err


@pytest.mark.parametrize(("status", "says"), [
    (401, "refused the token (HTTP 401) while trying to list its open merge requests"),
    (403, "denied the request (HTTP 403) to list its open merge requests: 403 Forbidden"),
])  # fmt: skip
def test_refusals_are_clear_and_never_show_the_token(
    bed: FleetBed, gitlab: ReviewEmulator, status: int, says: str
) -> None:
    gitlab.fault("GET", status, {"message": f"{status} {'Forbidden' * (status == 403)}"})
    result = rollout_pr(bed)
    assert result.code == 4
    assert says in result.err
    assert REVIEW_TOKEN not in result.out + result.err
    assert not has_ref(bed.remotes["kuvaq"], f"refs/heads/{BRANCH}")


def test_a_422_quotes_gitlab(bed: FleetBed, gitlab: ReviewEmulator) -> None:
    gitlab.fault("POST", 422, {"message": ["Source branch is protected"]})
    result = rollout_pr(bed)
    assert result.code == 4
    assert "refused to open a merge request (HTTP 422): Source branch is protected" in result.err


# --------------------------------------------------------------------------- push options
HOOK = """#!/bin/sh
# Records the push options the way a server-side hook (GitLab's included) receives them.
i=0
while [ "$i" -lt "${GIT_PUSH_OPTION_COUNT:-0}" ]; do
  eval "printf '%s\\n' \\"\\$GIT_PUSH_OPTION_$i\\"" >> "$(dirname "$0")/../push-options.txt"
  i=$((i + 1))
done
"""


def test_push_options_open_the_merge_request_without_a_token(bed: FleetBed) -> None:
    bare = bed.remotes["kuvaq"]
    git(bare, "config", "receive.advertisePushOptions", "true")
    hook = bare / "hooks/post-receive"
    hook.write_text(HOOK, encoding="utf-8")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    set_review(bed, "kuvaq", {"provider": "gitlab", "url": "https://gitlab.example.com/api/v4",
                              "pushOptions": True, "autoMerge": True,
                              "labels": ["rollout"]})  # fmt: skip
    result = rollout_pr(bed, environment={})
    assert result.code == 0, result.out + result.err
    assert result.json["review"] == {"provider": "gitlab", "number": None, "url": None,
                                     "created": True, "landed": None}  # fmt: skip
    assert "merge request requested with git push options" in result.err
    options = (bare / "push-options.txt").read_text().splitlines()
    assert options == [
        "merge_request.create",
        "merge_request.target=main",
        "merge_request.title=Roll kuvaq to core kit 2024.3 (from 2024.2)",
        "merge_request.description=## Core kit 2024.2 → 2024.3",
        "merge_request.label=rollout",
        "merge_request.merge_when_pipeline_succeeds",
    ]
    assert remote_head(bare, BRANCH) == result.json["commit"]


def test_push_options_cannot_follow_the_merge(bed: FleetBed) -> None:
    set_review(bed, "kuvaq", {"provider": "gitlab", "url": "https://gitlab.example.com/api/v4",
                              "pushOptions": True})  # fmt: skip
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--pr", "--wait",
                 env=env())  # fmt: skip
    assert result.code == 2
    assert "--pr --wait follows the merge through the API: set review.tokenEnv" in result.err

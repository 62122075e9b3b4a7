"""The pure parts of `rollout --pr`: the fleet's `review:` block (problems with file:line,
exit 3), which commit a merge landed, the changelog between two versions, the description a
reviewer reads (sanitized, the rendered-diff hook, cut at the provider's limit)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from releaser.adapters.fleet_file import load_fleet
from releaser.domain.errors import InvalidFileError, UsageError
from releaser.domain.review import (
    BODY_LIMITS,
    ReviewContext,
    ReviewSettings,
    changelog_between,
    fit_blocks,
    landed_commit,
    repository_of,
)
from releaser.render.review import description, title
from tests.pr_support import CHANGELOG

FLEET = """\
kit:
  repoURL: https://github.com/example/core-kit.git
customers:
  - name: kuvaq
    repo: git@github.com:example/kuvaq-gitops.git
    kubernetes: v1.30.4-eks-a737599
    review:
      provider: github
      url: https://api.github.com
      tokenEnv: KUVAQ_GITHUB_TOKEN
      reviewers: [alice, example/platform]
      labels: [rollout]
"""


def fleet_at(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_review_block_is_read(tmp_path: Path) -> None:
    review = load_fleet(fleet_at(tmp_path, FLEET)).customer("kuvaq").review
    assert review == ReviewSettings("github", "https://api.github.com", "KUVAQ_GITHUB_TOKEN",
                                    None, ("alice", "example/platform"), ("rollout",))  # fmt: skip
    assert repository_of(review, "git@github.com:example/kuvaq-gitops.git") == (
        "example/kuvaq-gitops"
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("provider: github", "provider: gitlub",
         "fleet.yaml:8: customers[0].review.provider: unknown provider 'gitlub'; did you mean "
         "'gitlab'?"),
        ("url: https://api.github.com", "url: https://me:pw@api.github.com",
         "fleet.yaml:9: customers[0].review.url: credentials do not belong in the URL"),
        ("      tokenEnv: KUVAQ_GITHUB_TOKEN\n", "",
         "fleet.yaml:7: customers[0].review.tokenEnv: missing required value"),
        ("tokenEnv: KUVAQ_GITHUB_TOKEN", "tokenEnv: ghp_abc-123",
         "fleet.yaml:10: customers[0].review.tokenEnv: expected the name of an environment"),
        ("labels: [rollout]", "labels: [rollout]\n      repository: just-a-name",
         "fleet.yaml:13: customers[0].review.repository: expected owner/name, got 'just-a-name'"),
        ("labels: [rollout]", "labels: [rollout]\n      pushOptions: true",
         "fleet.yaml:13: customers[0].review.pushOptions: push options open merge requests on "
         "GitLab only"),
        ("labels: [rollout]", "labels: [rollout]\n      draft: maybe",
         "fleet.yaml:13: customers[0].review.draft: expected true or false, got 'maybe'"),
        ("labels: [rollout]", "labels: [rollout]\n      reviewer: [bob]",
         "fleet.yaml:13: customers[0].review.reviewer: unknown key; did you mean 'reviewers'?"),
        ("provider: github", "provider: gitlab\n      autoMerge: true",
         "fleet.yaml:9: customers[0].review.autoMerge: on GitLab, auto-merge is set by push "
         "options"),
    ],
)  # fmt: skip
def test_review_problems_name_file_line_and_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in FLEET
    with pytest.raises(InvalidFileError) as err:
        load_fleet(fleet_at(tmp_path, FLEET.replace(old, new)))
    assert err.value.exit_code == 3
    assert expected in err.value.message, err.value.message


def test_the_example_fleet_has_a_review_block(tmp_path: Path) -> None:
    text = (resources.files("releaser") / "data/examples/fleet.yaml").read_text()
    review = load_fleet(fleet_at(tmp_path, text)).customer("kuvaq").review
    assert review is not None and (review.provider, review.token_env) == (
        "github", "KUVAQ_GITHUB_TOKEN"
    )


@pytest.mark.parametrize(
    ("merge", "squash", "head", "landed"),
    [("m", "s", "h", "m"), (None, "s", "h", "s"), (None, None, "h", "h"), (None, None, None, None)],
)
def test_the_landed_commit(merge: str | None, squash: str | None, head: str | None,
                           landed: str | None) -> None:  # fmt: skip
    assert landed_commit(merge, squash, head) == landed


def test_a_repository_that_the_url_does_not_name_needs_the_key() -> None:
    settings = ReviewSettings("github", "https://api.github.com", "T")
    with pytest.raises(UsageError, match=r"set review\.repository"):
        repository_of(settings, "file:///srv/git/kuvaq.git")
    gitlab = ReviewSettings("gitlab", "https://gitlab.example.com/api/v4", "T")
    assert repository_of(gitlab, "https://gitlab.example.com/a/b/c.git/") == "a/b/c"


def test_changelog_between_takes_what_the_customer_does_not_run_yet() -> None:
    heads = [e.splitlines()[0] for e in changelog_between(CHANGELOG, "2024.2", "2024.3")]
    assert heads == ["## 2024.3", "## 2024.2.1"]
    assert [e.splitlines()[0] for e in changelog_between(CHANGELOG, "2024.2.1", "2024.3")] == [
        "## 2024.3"
    ]
    only = changelog_between(CHANGELOG, "mixed: 2024.1, 2024.2", "2024.3")
    assert [e.splitlines()[0] for e in only] == ["## 2024.3"]


def context(**changes: object) -> ReviewContext:
    base = ReviewContext(
        customer="kuvaq", branch="main", from_version="2024.2", to_version="2024.3",
        cluster="v1.30.4-eks-a737599", profile="Argo CD >= 3.4",
        judged=("cert-manager", "ingress-nginx"),
        findings=("dropped-key: base: controller.replicaCount (accepted by --accept-dropped-keys)",),
        changelog=("## 2024.3\n\n- <b>bold</b> [x](javascript:alert(1))",),
        files=("argocd/apps.yaml",), provider="github", rendered=None,
    )  # fmt: skip
    return ReviewContext(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_the_description_sanitizes_and_shows_the_preflight() -> None:
    body = description(context())
    assert title(context()) == "Roll kuvaq to core kit 2024.3 (from 2024.2)"
    assert "- Cluster: `v1.30.4-eks-a737599`, deploy profile Argo CD &gt;= 3.4" in body
    assert "- Compatible with this exact cluster: cert-manager, ingress-nginx" in body
    assert "controller.replicaCount" in body
    assert "<b>" not in body and "javascript:" not in body and "#### 2024.3" in body


def test_the_rendered_diff_hook_gives_one_collapsed_block_per_app() -> None:
    diff = "--- a/Deployment/web\n+++ b/Deployment/web\n-  replicas: 2\n+  replicas: 3\n```\n"
    body = description(context(rendered={"core-base": diff, "<script>": "+ x\n"}))
    assert "<details>\n<summary>core-base</summary>\n\n````diff\n--- a/Deployment/web" in body
    assert "<summary>&lt;script&gt;</summary>" in body
    assert description(context(rendered={})).count("No application's manifests change.") == 1


def test_a_description_over_the_limit_is_cut_by_whole_blocks_with_a_note() -> None:
    apps = {f"app-{i}": "+ line\n" * 2000 for i in range(10)}  # ~14k characters each
    body = description(context(rendered=apps))
    assert len(body) <= BODY_LIMITS["github"]
    assert body.count("<details") == body.count("</details>")
    assert body.count("```diff") == body.count("<details>") == body.count("\n```\n") == 4
    assert "> **Cut:** " in body and "GitHub's limit of 65,536 characters" in body
    assert "`releaser diff 2024.2 2024.3 --render --customer kuvaq` shows everything" in body
    assert "> **Cut:**" not in description(context(rendered=apps, provider="gitlab"))


def test_fit_blocks_keeps_what_fits() -> None:
    assert fit_blocks(["a", "b"], 10, "{count} cut") == "a\n\nb"
    assert fit_blocks(["aaaa", "bbbbbbbbbb", "c"], 16, "{count} cut") == "aaaa\n\n2 cut"

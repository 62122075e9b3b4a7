"""`rollout --pr`: the rollout branch pushed and a GitHub pull request or GitLab merge request
opened for it (or the open one updated: never a second one), carrying the description a
reviewer needs; with `--wait`, the merge awaited and the commit that landed handed to the
health gate. Closed without merging is the outcome `abandoned`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from releaser.app.ports_rollout import Clock, SecretLookup
from releaser.domain.errors import UsageError
from releaser.domain.fleet import Customer
from releaser.domain.review import (
    PullRequest,
    ReviewContext,
    ReviewDraft,
    ReviewLink,
    ReviewRefused,
    ReviewSettings,
    ReviewState,
    changelog_between,
    push_options,
    repository_of,
)
from releaser.domain.rollout import Outcome
from releaser.domain.versions import KitVersion

if TYPE_CHECKING:  # the use case imports this module
    from releaser.app.rollout import RolloutRequest, RolloutResult

CHANGELOG = "CHANGELOG.md"


class ReviewApi(Protocol):
    """One repository's pull/merge requests; failures raise `ReviewRefused`."""

    def find_open(self, source: str) -> PullRequest | None: ...

    def create(self, draft: ReviewDraft) -> PullRequest: ...

    def update(self, number: int, draft: ReviewDraft) -> PullRequest: ...

    def get(self, number: int) -> PullRequest: ...


# (settings, repository, token) -> the provider's API
ReviewApiFactory = Callable[[ReviewSettings, str, str], ReviewApi]
# The rendered manifest diff of one customer between two kit versions, per Argo CD
# application; None when it is not rendered (then the description says so).
RenderedDiff = Callable[[Customer, str, KitVersion], Mapping[str, str] | None]


def not_rendered(customer: Customer, from_version: str, target: KitVersion) -> None:
    return None


@dataclass(frozen=True)
class ReviewPorts:
    api: ReviewApiFactory
    describe: Callable[[ReviewContext], tuple[str, str]]  # the title and the description
    kit_file: Callable[[KitVersion, str], str | None]  # a file on a kit release branch
    rendered_diff: RenderedDiff = not_rendered


@dataclass
class Review:
    """A rollout's request in the making: the API (None: push options only) and the open
    request found before anything was pushed."""

    settings: ReviewSettings
    api: ReviewApi | None
    existing: PullRequest | None
    request: PullRequest | None = None


def require_review(req: RolloutRequest, ports: ReviewPorts | None) -> ReviewSettings:
    """The customer's `review:` settings, fit for what was asked (a usage error before any
    work when they are missing, or when --wait has no API token to follow the merge)."""
    settings = req.customer.review
    if settings is None or ports is None:
        raise UsageError(
            f"customer {req.customer.name} has no review settings; --pr needs them",
            hint="add review: {provider, url, tokenEnv} to the customer in the fleet file",
        )
    if req.wait and settings.token_env is None:
        raise UsageError("--pr --wait follows the merge through the API: set review.tokenEnv")
    return settings


def begin_review(
    req: RolloutRequest, target: KitVersion, secret: SecretLookup, ports: ReviewPorts | None
) -> Review:
    """The review settings and token, checked with one read of the open requests before
    anything is pushed (a refused token changes nothing)."""
    settings = require_review(req, ports)
    assert ports is not None  # require_review checked it
    token = secret(settings.token_env) if settings.token_env else None
    if settings.token_env and not token:
        raise UsageError(f"the {settings.provider_name} token variable {settings.token_env} "
                         "is not set")  # fmt: skip
    if token is None:  # push options only
        return Review(settings, None, None)
    api = ports.api(settings, repository_of(settings, req.customer.repo), token)
    return Review(settings, api, api.find_open(req.customer.work_branch(str(target))))


def review_draft(
    req: RolloutRequest, ports: ReviewPorts, result: RolloutResult, target: KitVersion
) -> ReviewDraft:
    """Title and description from what the preflight found and the kit's changelog."""
    settings = req.customer.review
    assert settings is not None  # begin_review checked it
    changelog = ports.kit_file(target, CHANGELOG) or ""
    context = ReviewContext(
        customer=req.customer.name,
        branch=req.customer.branch,
        from_version=result.from_version,
        to_version=result.to_version,
        cluster=str(req.customer.kubernetes),
        profile=req.customer.deploy.title if req.customer.deploy else "the kit's default",
        judged=result.judged,
        findings=tuple(str(b) for b in result.blocks if b.waived) + tuple(result.notes),
        changelog=tuple(changelog_between(changelog, result.from_version, result.to_version)),
        files=tuple(result.files),
        provider=settings.provider,
        rendered=ports.rendered_diff(req.customer, result.from_version, target),
    )
    title, body = ports.describe(context)
    source = req.customer.work_branch(str(target))
    return ReviewDraft(source, req.customer.branch, title, body, settings)


def options_for(review: Review, draft: ReviewDraft) -> list[str]:
    """`git push -o` options when the customer opens merge requests by push."""
    return push_options(draft) if review.settings.push_options else []


def submit(review: Review, draft: ReviewDraft, result: RolloutResult) -> None:
    """Update the open request for the branch, or open one; `result.review` says which."""
    if review.api is None:  # push options asked GitLab for it: no API to see it through
        result.review = ReviewLink(review.settings.provider, None, None, created=True)
        return
    # Asked again when none was open before the push: push options may have just opened one.
    found = review.existing or review.api.find_open(draft.source)
    if found is not None and found.state is ReviewState.OPEN:
        review.request = review.api.update(found.number, draft)
    else:
        review.request = review.api.create(draft)
    created = found is None
    result.review = ReviewLink(review.settings.provider, review.request.number,
                               review.request.url, created)  # fmt: skip


@dataclass(frozen=True)
class MergeWait:
    timeout: float
    poll: float


def await_merge(
    review: Review,
    wait: MergeWait,
    clock: Clock,
    progress: Callable[[str], None],
    result: RolloutResult,
) -> str | None:
    """The commit the merge put on the customer's branch; None when the request was closed
    (`abandoned`) or is still open at the timeout, with the outcome and reason set."""
    assert review.api is not None and review.request is not None  # begin_review, submit
    number, noun = review.request.number, review.settings.noun
    deadline = clock.monotonic() + wait.timeout
    progress(f"waiting for {noun} #{number} to be merged: {review.request.url}")
    pull = review.api.get(number)
    while pull.state is ReviewState.OPEN and clock.monotonic() < deadline:
        clock.sleep(wait.poll)
        pull = review.api.get(number)
    if result.review is not None:
        result.review = replace(result.review, landed=pull.landed)
    if pull.state is ReviewState.CLOSED:
        result.outcome = Outcome.ABANDONED
        result.gate.append(f"{noun} #{number} was closed without merging")
        return None
    if pull.state is ReviewState.OPEN:
        result.outcome = Outcome.TIMEOUT
        result.gate.append(f"{noun} #{number} not merged after {wait.timeout:g}s")
        return None
    if not pull.landed:
        raise ReviewRefused(f"{review.settings.provider_name} reports {noun} #{number} merged "
                            "but names no commit")  # fmt: skip
    progress(f"{noun} #{number} merged as {pull.landed[:12]}")
    return pull.landed

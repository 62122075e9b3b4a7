"""Rollouts as reviewable changes: a customer's `review:` settings (a GitHub pull request or
a GitLab merge request), the request's state as the provider reports it, and the pure rules
around it (which commit landed, what fits in a description, the changelog between versions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from releaser.domain.document import KeyPath
from releaser.domain.errors import UpstreamError, UsageError
from releaser.domain.fleet_fields import env_name_at, optional_text, server_url_at
from releaser.domain.kit_schema import Problems, as_mapping, check_keys, did_you_mean, text_at
from releaser.domain.versions import InvalidVersion, KitVersion

PROVIDERS = ("github", "gitlab")
REVIEW_KEYS = ("provider", "url", "tokenEnv", "repository", "reviewers", "labels", "draft",
               "autoMerge", "pushOptions")  # fmt: skip
# The description's size limit of each provider: GitHub's pull request `body` and GitLab's
# merge request `description` (in characters).
BODY_LIMITS = {"github": 65_536, "gitlab": 1_048_576}
_REPOSITORY = {"github": re.compile(r"^[\w.-]+/[\w.-]+$"),
               "gitlab": re.compile(r"^[\w.-]+(?:/[\w.-]+)+$")}  # fmt: skip
_HEADING = re.compile(r"^## +(\S+)", re.MULTILINE)
_NAME = re.compile(r"^[\w.@/-]+$")
_LABEL = re.compile(r"^[^,\n\r]+$")  # GitLab takes labels as one comma-separated list


class ReviewState(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    CLOSED = "closed"  # closed without merging


@dataclass(frozen=True)
class ReviewSettings:
    """`review:` of one customer: where its pull/merge requests are opened and how."""

    provider: str  # github | gitlab
    url: str  # the API root: https://api.github.com, https://gitlab.example.com/api/v4
    token_env: str | None  # None only with push_options (no API token at all)
    repository: str | None = None  # owner/name or GitLab project path; None: from the repo URL
    reviewers: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    draft: bool = False
    auto_merge: bool = False
    push_options: bool = False  # GitLab: create the merge request with `git push -o`

    @property
    def noun(self) -> str:
        return "pull request" if self.provider == "github" else "merge request"

    @property
    def provider_name(self) -> str:
        return "GitHub" if self.provider == "github" else "GitLab"

    @property
    def body_limit(self) -> int:
        return BODY_LIMITS[self.provider]


@dataclass(frozen=True)
class PullRequest:
    """A pull/merge request as the provider reports it now."""

    number: int  # GitHub's number, GitLab's iid
    url: str  # where a person opens it
    state: ReviewState
    head: str | None = None  # the source branch's commit
    landed: str | None = None  # merged: the commit that reached the target branch


@dataclass(frozen=True)
class ReviewDraft:
    """What releaser asks for: the request's branches, text and people."""

    source: str  # the rollout branch
    target: str  # the customer's branch
    title: str
    body: str
    settings: ReviewSettings


@dataclass(frozen=True)
class ReviewLink:
    """The request a rollout opened or updated, for the result, the log and the webhook."""

    provider: str
    number: int | None  # None: requested by push options, not seen through the API
    url: str | None
    created: bool
    landed: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "number": self.number, "url": self.url,
                "created": self.created, "landed": self.landed}  # fmt: skip


@dataclass(frozen=True)
class ReviewContext:
    """Everything the description shows, gathered by the rollout; `rendered` maps each
    Argo CD application to its rendered manifest diff, None when it was not rendered."""

    customer: str
    branch: str  # the customer's branch the request merges into
    from_version: str  # as it runs now, hotfix patch included
    to_version: str
    cluster: str  # the Kubernetes version the cluster reports
    profile: str  # the deploy path the verdicts were computed for
    judged: tuple[str, ...]  # components judged compatible with that exact cluster
    findings: tuple[str, ...]  # waived preflight blocks (dropped/renamed keys, ...) and notes
    changelog: tuple[str, ...]  # kit CHANGELOG.md entries after from_version up to to_version
    files: tuple[str, ...]  # the files the rollout rewrote
    provider: str
    rendered: Mapping[str, str] | None = None


class ReviewRefused(UpstreamError):
    """The GitHub or GitLab API refused or failed a request (exit 4); names no token."""


def landed_commit(
    merge_commit: str | None, squash_commit: str | None, head: str | None
) -> str | None:
    """What a merge put on the target branch: the merge commit, else the squash commit, else
    (a fast-forward after a rebase) the source branch's head."""
    return merge_commit or squash_commit or head


def repository_of(settings: ReviewSettings, repo_url: str) -> str:
    """`review.repository`, else the path the customer's git URL names (`owner/name`)."""
    if settings.repository:
        return settings.repository
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]+/|^[^/@:]+@[^:]+:", "", repo_url.strip())
    path = path.rstrip("/").removesuffix(".git").strip("/")
    if not _REPOSITORY[settings.provider].match(path):
        raise UsageError(
            f"cannot tell the {settings.provider_name} repository from {repo_url!r}",
            hint="set review.repository (owner/name, or the GitLab project path)",
        )
    return path


def push_options(draft: ReviewDraft) -> list[str]:
    """GitLab's `git push -o` options that open (or retarget) the merge request.

    A push option cannot hold a newline, so the description is its first line only."""
    settings = draft.settings
    options = ["merge_request.create", f"merge_request.target={draft.target}",
               f"merge_request.title={_draft_title(draft)}"]  # fmt: skip
    first = next((line for line in draft.body.splitlines() if line.strip()), "")
    if first:
        options.append(f"merge_request.description={first.strip()}")
    options += [f"merge_request.label={label}" for label in settings.labels]
    if settings.auto_merge:
        options.append("merge_request.merge_when_pipeline_succeeds")
    return options


def _draft_title(draft: ReviewDraft) -> str:
    return f"Draft: {draft.title}" if draft.settings.draft else draft.title


def changelog_between(changelog: str, after: str, upto: str) -> list[str]:
    """The entries (`## VERSION` sections) newer than `after` up to `upto`, newest first;
    only `upto`'s when `after` is not a version."""
    top, low = _version(upto), _version(after)
    matches = list(_HEADING.finditer(changelog))
    entries: list[str] = []
    for index, match in enumerate(matches):
        version = _version(match[1])
        if version is None or top is None or version > top:
            continue
        if (low is not None and version <= low) or (low is None and version != top):
            continue
        end = matches[index + 1].start() if index + 1 < len(matches) else len(changelog)
        entries.append(changelog[match.start() : end].strip("\n"))
    return entries


def _version(text: str) -> KitVersion | None:
    try:
        return KitVersion.parse(text.strip())
    except InvalidVersion:
        return None


def fit_blocks(blocks: Sequence[str], limit: int, note: str) -> str:
    """The blocks joined by blank lines while they fit in `limit` characters; the first
    block that does not fit and every later one are left out and `note` (with `{count}`)
    says so. Whole blocks only: a cut never leaves a code fence or `<details>` open."""
    kept: list[str] = []
    for index, block in enumerate(blocks):
        rest = len(blocks) - index - 1
        text = "\n\n".join([*kept, block])
        tail = "\n\n" + note.format(count=rest) if rest else ""
        if len(text) + len(tail) <= limit:
            kept.append(block)
            continue
        return "\n\n".join([*kept, note.format(count=len(blocks) - index)])[:limit]
    return "\n\n".join(kept)


# --------------------------------------------------------------------------- the fleet key
def read_review(problems: Problems, value: Any, path: KeyPath) -> ReviewSettings | None:
    """`customers[].review`, every problem added with its line."""
    if value is None:
        return None
    data = as_mapping(problems, value, path)
    if not data:
        return None
    check_keys(problems, data, path, REVIEW_KEYS)
    provider = text_at(problems, data, (*path, "provider"))
    if provider is not None and provider not in PROVIDERS:
        problems.add((*path, "provider"), f"unknown provider '{provider}'"
                     + did_you_mean(provider, PROVIDERS))  # fmt: skip
        provider = None
    url = server_url_at(problems, data, (*path, "url"), "the GitHub or GitLab API")
    flags = {key: _flag(problems, data, (*path, key)) for key in ("draft", "autoMerge",
                                                                   "pushOptions")}  # fmt: skip
    token_env = _token_env(problems, data, path, flags["pushOptions"])
    repository = _repository(problems, data, (*path, "repository"), provider)
    reviewers = _names(problems, data, (*path, "reviewers"), _NAME, "a user or org/team name")
    labels = _names(problems, data, (*path, "labels"), _LABEL, "a label without commas")
    if flags["pushOptions"] and provider == "github":
        problems.add((*path, "pushOptions"), "push options open merge requests on GitLab only")
    if flags["autoMerge"] and provider == "gitlab" and not flags["pushOptions"]:
        problems.add((*path, "autoMerge"), "on GitLab, auto-merge is set by push options: "
                     "add pushOptions: true")  # fmt: skip
    if provider is None or url is None:
        return None
    return ReviewSettings(provider, url.rstrip("/"), token_env, repository, reviewers, labels,
                          flags["draft"], flags["autoMerge"], flags["pushOptions"])  # fmt: skip


def _token_env(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, push_only: bool
) -> str | None:
    if push_only and data.get("tokenEnv") is None:
        return None  # push options need no API token (and --wait will ask for one)
    return env_name_at(problems, data, (*path, "tokenEnv"))


def _repository(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, provider: str | None
) -> str | None:
    text = optional_text(problems, data, path)
    if text is None or provider is None:
        return text
    if not _REPOSITORY[provider].match(text.strip("/")):
        shape = "owner/name" if provider == "github" else "group/project (subgroups allowed)"
        problems.add(path, f"expected {shape}, got {text!r}")
        return None
    return text.strip("/")


def _flag(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> bool:
    value = data.get(str(path[-1]), False)
    if not isinstance(value, bool):
        problems.add(path, f"expected true or false, got {value!r}")
        return False
    return value


def _names(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, shape: re.Pattern[str], what: str
) -> tuple[str, ...]:
    value = data.get(str(path[-1]))
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        problems.add(path, "expected a list of names")
        return ()
    bad = [v for v in value if not shape.match(v)]
    for item in bad:
        problems.add(path, f"{item!r} is not {what}")
    return tuple(v for v in value if v not in bad)

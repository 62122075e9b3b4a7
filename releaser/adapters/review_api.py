"""GitHub's and GitLab's REST APIs for a rollout's pull/merge request, through the one HTTP
client. The token goes into a header only; no message built here contains it.

GitHub (docs.github.com/en/rest/pulls): `GET /repos/{owner}/{repo}/pulls?head=owner:branch
&state=open`, `POST .../pulls`, `PATCH .../pulls/{n}`, `GET .../pulls/{n}` (`merged`,
`merge_commit_sha`: the merge, squash or rebased commit the base branch moved to),
`POST .../pulls/{n}/requested_reviewers`, `POST .../issues/{n}/labels`; auto-merge with the
GraphQL mutation `enablePullRequestAutoMerge`.
GitLab (docs.gitlab.com/ee/api/merge_requests.html): `:id` is the URL-encoded project path;
`GET /projects/:id/merge_requests?source_branch=…&state=opened`, `POST …/merge_requests`,
`PUT …/merge_requests/:iid`, `GET …/merge_requests/:iid` (`merge_commit_sha`,
`squash_commit_sha`, `sha`); reviewers are user ids, looked up with `GET /users?username=`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from releaser.adapters.http import FetchError, HttpClient
from releaser.domain.redaction import redact, redact_url
from releaser.domain.review import (
    PullRequest,
    ReviewDraft,
    ReviewRefused,
    ReviewSettings,
    ReviewState,
    landed_commit,
)

_MAX_BYTES = 16 * 1024 * 1024
_DETAIL = 300  # characters of the provider's own error text a message quotes
_AUTO_MERGE = (
    "mutation($id: ID!) { enablePullRequestAutoMerge(input: {pullRequestId: $id}) "
    "{ clientMutationId } }"
)


class _Api:
    """One provider's API root, its auth header and its error messages."""

    def __init__(
        self, client: HttpClient, settings: ReviewSettings, repository: str, auth: dict[str, str]
    ) -> None:
        self.client = client
        self.settings = settings
        self.repository = repository
        self._headers = {"Accept": "application/json", **auth}

    @property
    def where(self) -> str:
        return f"{self.settings.provider_name} at {redact_url(self.settings.url)}"

    def call(
        self, method: str, path: str, action: str, body: Any = None, root: str | None = None
    ) -> Any:
        """The JSON answer of one request; any failure is a `ReviewRefused` naming `action`."""
        url = (root or self.settings.url) + path
        try:
            response = self.client.request(method, url, json=body,
                                           headers=self._headers, max_bytes=_MAX_BYTES)  # fmt: skip
        except FetchError as err:  # its reason names no URL and no header
            raise ReviewRefused(f"{self.where} did not answer while trying to {action}: "
                                f"{err.reason}") from None  # fmt: skip
        if response.status >= 300:
            raise self.refused(response.status, action, _detail(response.content))
        try:
            return response.json()
        except ValueError:
            raise ReviewRefused(
                f"{self.where} sent invalid JSON while trying to {action}"
            ) from None

    def refused(self, status: int, action: str, detail: str) -> ReviewRefused:
        env = self.settings.token_env
        why = f": {detail}" if detail else ""
        if status == 401:
            return ReviewRefused(
                f"{self.where} refused the token (HTTP 401) while trying to {action}",
                hint=f"the token in ${env} is invalid or expired: set a valid one",
            )
        if status == 403:
            return ReviewRefused(
                f"{self.where} denied the request (HTTP 403) to {action}{why}",
                hint=f"the token in ${env} lacks the permission "
                + ("'pull requests: write'" if self.settings.provider == "github" else "'api'"),
            )
        if status == 404:
            return ReviewRefused(
                f"{self.where} has no {self.repository} visible to this token (HTTP 404) while "
                f"trying to {action}",
                hint="check review.repository and the token's access to it",
            )
        if status == 422:
            return ReviewRefused(f"{self.where} refused to {action} (HTTP 422){why}")
        return ReviewRefused(f"{self.where} answered HTTP {status} while trying to {action}{why}")


def _detail(content: bytes) -> str:
    """The provider's own explanation of an error, one short line, redacted."""
    try:
        data = json.loads(content)
    except ValueError:
        return ""
    parts: list[str] = []
    if isinstance(data, Mapping):
        for key in ("message", "error", "errors"):
            parts += _texts(data.get(key))
    text = "; ".join(p for p in parts if p)
    text = " ".join(redact(text).split())
    return text if len(text) <= _DETAIL else text[: _DETAIL - 1] + "…"


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, Mapping):
        if "message" in value:
            return _texts(value["message"])
        return [f"{k} {'; '.join(_texts(v))}" for k, v in value.items()]
    return []


# --------------------------------------------------------------------------- GitHub
class GitHubReviews(_Api):
    def __init__(
        self, client: HttpClient, settings: ReviewSettings, repository: str, token: str
    ) -> None:
        auth = {"Authorization": f"Bearer {token}", "X-GitHub-Api-Version": "2022-11-28"}
        super().__init__(client, settings, repository, auth)
        self._headers["Accept"] = "application/vnd.github+json"
        self.base = f"/repos/{repository}"

    def find_open(self, source: str) -> PullRequest | None:
        owner = self.repository.split("/", 1)[0]
        query = urlencode({"head": f"{owner}:{source}", "state": "open"})
        found = self.call("GET", f"{self.base}/pulls?{query}", "list its open pull requests")
        return _github(found[0]) if isinstance(found, list) and found else None

    def create(self, draft: ReviewDraft) -> PullRequest:
        body = {"title": draft.title, "body": draft.body, "head": draft.source,
                "base": draft.target, "draft": draft.settings.draft}  # fmt: skip
        data = self.call("POST", f"{self.base}/pulls", "open a pull request", body)
        pull = _github(data)
        self._people(pull.number, draft.settings)
        if draft.settings.auto_merge:
            self._auto_merge(str(data.get("node_id", "")))
        return pull

    def update(self, number: int, draft: ReviewDraft) -> PullRequest:
        body = {"title": draft.title, "body": draft.body}
        data = self.call("PATCH", f"{self.base}/pulls/{number}", f"update #{number}", body)
        self._people(number, draft.settings)
        return _github(data)

    def get(self, number: int) -> PullRequest:
        return _github(self.call("GET", f"{self.base}/pulls/{number}", f"read #{number}"))

    def _people(self, number: int, settings: ReviewSettings) -> None:
        """Reviewers (`org/team` names a team) and labels; both calls add, so a re-run
        asks again without duplicating anything."""
        teams = [r.split("/", 1)[1] for r in settings.reviewers if "/" in r]
        users = [r for r in settings.reviewers if "/" not in r]
        if users or teams:
            self.call("POST", f"{self.base}/pulls/{number}/requested_reviewers",
                      f"request reviewers on #{number}",
                      {"reviewers": users, "team_reviewers": teams})  # fmt: skip
        if settings.labels:
            self.call("POST", f"{self.base}/issues/{number}/labels", f"label #{number}",
                      {"labels": list(settings.labels)})  # fmt: skip

    def _auto_merge(self, node_id: str) -> None:
        """GraphQL lives at /graphql (GitHub Enterprise: /api/graphql beside /api/v3)."""
        root = self.settings.url
        graphql = root.removesuffix("/v3") + "/graphql" if root.endswith("/api/v3") else root
        path = "" if graphql != root else "/graphql"
        body = {"query": _AUTO_MERGE, "variables": {"id": node_id}}
        answer = self.call("POST", path, "enable auto-merge", body, root=graphql)
        errors = answer.get("errors") if isinstance(answer, Mapping) else None
        if errors:
            detail = "; ".join(_texts(errors))[:_DETAIL]
            raise ReviewRefused(f"{self.where} refused to enable auto-merge: {redact(detail)}")


def _github(data: Any) -> PullRequest:
    if not isinstance(data, Mapping) or not isinstance(data.get("number"), int):
        raise ReviewRefused("GitHub sent a pull request without a number")
    merged = bool(data.get("merged") or data.get("merged_at"))
    state = ReviewState.MERGED if merged else (
        ReviewState.CLOSED if data.get("state") == "closed" else ReviewState.OPEN)  # fmt: skip
    head = data.get("head")
    sha = head.get("sha") if isinstance(head, Mapping) else None
    landed = data.get("merge_commit_sha") if merged else None
    return PullRequest(data["number"], str(data.get("html_url") or ""), state, sha, landed)


# --------------------------------------------------------------------------- GitLab
class GitLabReviews(_Api):
    def __init__(
        self, client: HttpClient, settings: ReviewSettings, repository: str, token: str
    ) -> None:
        super().__init__(client, settings, repository, {"PRIVATE-TOKEN": token})
        self.base = f"/projects/{quote(repository, safe='')}/merge_requests"

    def find_open(self, source: str) -> PullRequest | None:
        query = urlencode({"source_branch": source, "state": "opened"})
        found = self.call("GET", f"{self.base}?{query}", "list its open merge requests")
        return _gitlab(found[0]) if isinstance(found, list) and found else None

    def create(self, draft: ReviewDraft) -> PullRequest:
        body = {"source_branch": draft.source, "target_branch": draft.target,
                **self._fields(draft)}  # fmt: skip
        return _gitlab(self.call("POST", self.base, "open a merge request", body))

    def update(self, number: int, draft: ReviewDraft) -> PullRequest:
        path = f"{self.base}/{number}"
        return _gitlab(self.call("PUT", path, f"update !{number}", self._fields(draft)))

    def get(self, number: int) -> PullRequest:
        return _gitlab(self.call("GET", f"{self.base}/{number}", f"read !{number}"))

    def _fields(self, draft: ReviewDraft) -> dict[str, Any]:
        settings = draft.settings
        title = f"Draft: {draft.title}" if settings.draft else draft.title
        fields: dict[str, Any] = {"title": title, "description": draft.body}
        if settings.labels:
            fields["labels"] = ",".join(settings.labels)
        if settings.reviewers:
            fields["reviewer_ids"] = [self._user_id(name) for name in settings.reviewers]
        return fields

    def _user_id(self, username: str) -> int:
        query = urlencode({"username": username})
        found = self.call("GET", f"/users?{query}", f"look up the reviewer {username}")
        if not isinstance(found, list) or not found or not isinstance(found[0].get("id"), int):
            raise ReviewRefused(f"{self.where} has no user '{username}' (review.reviewers)")
        return int(found[0]["id"])


def _gitlab(data: Any) -> PullRequest:
    if not isinstance(data, Mapping) or not isinstance(data.get("iid"), int):
        raise ReviewRefused("GitLab sent a merge request without an iid")
    state = {"merged": ReviewState.MERGED, "closed": ReviewState.CLOSED}.get(
        str(data.get("state")), ReviewState.OPEN
    )
    sha = data.get("sha")
    landed = None
    if state is ReviewState.MERGED:
        landed = landed_commit(data.get("merge_commit_sha"), data.get("squash_commit_sha"), sha)
    return PullRequest(data["iid"], str(data.get("web_url") or ""), state, sha, landed)

"""Local emulations of the GitHub and GitLab REST endpoints a rollout's pull/merge request
uses, for tests.

Neither GitHub nor GitLab can run here, so this is a real HTTP server on 127.0.0.1 that
answers the documented endpoints with the documented fields, and acts on a real bare git
repository (the customer's remote, over file://): merging really merges into the target
branch of that repository, so the commit the API names is the one on the branch.

GitHub (docs.github.com/en/rest/pulls/pulls, /rest/pulls/review-requests,
/rest/issues/labels; auto-merge: the GraphQL mutation `enablePullRequestAutoMerge`):
  GET   /repos/{owner}/{repo}/pulls?head=owner:branch&state=open
  POST  /repos/{owner}/{repo}/pulls                     {title, body, head, base, draft}
  PATCH /repos/{owner}/{repo}/pulls/{number}            {title, body}
  GET   /repos/{owner}/{repo}/pulls/{number}            state, merged, merge_commit_sha
  POST  /repos/{owner}/{repo}/pulls/{number}/requested_reviewers  {reviewers, team_reviewers}
  POST  /repos/{owner}/{repo}/issues/{number}/labels    {labels}
  POST  /graphql
  `Authorization: Bearer <token>`; a bad token is 401 {"message": "Bad credentials"}; a
  second open pull request for the same head is 422, as on GitHub.
GitLab (docs.gitlab.com/ee/api/merge_requests.html, /api/users.html), `:id` the URL-encoded
project path (a path with a raw `/` is a 404, as on GitLab):
  GET  /projects/:id/merge_requests?source_branch=…&state=opened
  POST /projects/:id/merge_requests       {source_branch, target_branch, title, description,
                                           labels (comma-separated), reviewer_ids}
  PUT  /projects/:id/merge_requests/:iid  {title, description, labels, reviewer_ids}
  GET  /projects/:id/merge_requests/:iid  state, merge_commit_sha, squash_commit_sha, sha
  GET  /users?username=NAME
  `PRIVATE-TOKEN: <token>`; a bad token is 401 {"message": "401 Unauthorized"}.

A test scripts what the reviewer does: `merge_after(polls, method)` merges (merge commit,
squash or rebase) when the request has been read that many times; `close_after(polls)`
closes it unmerged; `fault(method, status, body)` answers requests of a method with an error.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, quote, urlsplit

# The host commits (and rebases) as itself: a rebased commit gets a new id, as on GitHub.
BOT = {"GIT_COMMITTER_NAME": "Code Host", "GIT_COMMITTER_EMAIL": "noreply@code-host.test",
       "GIT_AUTHOR_NAME": "Code Host", "GIT_AUTHOR_EMAIL": "noreply@code-host.test"}  # fmt: skip
USERS = {"alice": 11, "bob": 12}  # the GitLab users known by name


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True,
                          text=True, env={**os.environ, **BOT})  # fmt: skip
    return done.stdout.strip()


def head_of(bare: Path, branch: str) -> str | None:
    done = subprocess.run(["git", "rev-parse", "--verify", "-q", f"refs/heads/{branch}"],
                          cwd=bare, capture_output=True, text=True)  # fmt: skip
    return done.stdout.strip() or None


def merge_in(bare: Path, source: str, target: str, method: str, message: str) -> str:
    """Merge `source` into `target` of the bare repository as a code host does; the new tip.

    merge: a merge commit; squash: one new commit with the source's changes; rebase: the
    source's commits replayed (new ids, as the host's committer) and fast-forwarded."""
    with tempfile.TemporaryDirectory(prefix="code-host-") as tmp:
        work = Path(tmp)
        _git(work, "clone", "-q", str(bare), ".")
        _git(work, "checkout", "-q", target)
        if method == "merge":
            _git(work, "merge", "-q", "--no-ff", "-m", message, f"origin/{source}")
        elif method == "squash":
            _git(work, "merge", "-q", "--squash", f"origin/{source}")
            _git(work, "commit", "-q", "-m", message)
        else:
            _git(work, "checkout", "-q", "-b", "rebased", f"origin/{source}")
            _git(work, "rebase", "-q", "--force-rebase", target)
            _git(work, "checkout", "-q", target)
            _git(work, "merge", "-q", "--ff-only", "rebased")
            _git(work, "push", "-q", "--force", "origin", f"rebased:{source}")
        _git(work, "push", "-q", "origin", target)
        return _git(work, "rev-parse", "HEAD")


@dataclass
class Pull:
    number: int
    title: str
    body: str
    head: str
    base: str
    draft: bool = False
    state: str = "open"  # open | closed | merged
    labels: list[str] = field(default_factory=list)
    reviewers: list[Any] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    merge_commit: str | None = None
    squash_commit: str | None = None
    rebased_head: str | None = None
    auto_merge: bool = False
    reads: int = 0


@dataclass
class Plan:
    polls: int
    method: str  # merge | squash | rebase | close


class ReviewEmulator:
    """The shared state of one emulated code host over one bare repository."""

    def __init__(self, bare: Path, token: str, repository: str) -> None:
        self.bare = bare
        self.token = token
        self.repository = repository
        self.pulls: dict[int, Pull] = {}
        self.log: list[tuple[str, str, Any]] = []  # method, raw path, JSON body
        self.auth_headers: list[str] = []
        self.faults: dict[str, tuple[int, Any]] = {}
        self.plan: Plan | None = None
        self.lock = threading.RLock()
        self.url = ""

    def merge_after(self, polls: int, method: str) -> None:
        self.plan = Plan(polls, method)

    def close_after(self, polls: int) -> None:
        self.plan = Plan(polls, "close")

    def fault(self, method: str, status: int, body: Any) -> None:
        self.faults[method] = (status, body)

    def calls(self, method: str, ending: str = "") -> list[Any]:
        """The bodies of the requests of `method` whose path (without query) ends so."""
        return [body for m, path, body in self.log
                if m == method and urlsplit(path).path.endswith(ending)]  # fmt: skip

    def new_pull(self, **fields: Any) -> Pull:
        pull = Pull(len(self.pulls) + 1, **fields)
        self.pulls[pull.number] = pull
        return pull

    def read(self, pull: Pull) -> None:
        """A read of one request: the reviewer acts when the plan says so."""
        pull.reads += 1
        plan = self.plan
        if plan is None or pull.state != "open" or pull.reads < plan.polls:
            return
        if plan.method == "close":
            pull.state = "closed"
            return
        message = f"{pull.title} (#{pull.number})"
        tip = merge_in(self.bare, pull.head, pull.base, plan.method, message)
        pull.state = "merged"
        if plan.method == "merge":
            pull.merge_commit = tip
        elif plan.method == "squash":
            pull.squash_commit = tip
        else:
            pull.rebased_head = tip


class _Handler(BaseHTTPRequestHandler):
    emulator: ReviewEmulator

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def send(self, code: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length)) if length else None

    def handle_any(self) -> None:
        em = self.emulator
        data = self.body()
        with em.lock:
            em.log.append((self.command, self.path, data))
            if not self.authorized():
                self.send(401, {"message": self.unauthorized})
                return
            if self.command in em.faults:
                self.send(*em.faults[self.command])
                return
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            code, answer = self.route(parts.path, query, data)
        self.send(code, answer)

    do_GET = do_POST = do_PUT = do_PATCH = handle_any

    unauthorized: ClassVar[str] = ""  # the message of the provider's 401 answer

    def authorized(self) -> bool:
        raise NotImplementedError

    def route(self, path: str, query: dict[str, str], data: Any) -> tuple[int, Any]:
        raise NotImplementedError


class GitHubHandler(_Handler):
    unauthorized = "Bad credentials"

    def authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        self.emulator.auth_headers.append(header)
        return header == f"Bearer {self.emulator.token}"

    def route(self, path: str, query: dict[str, str], data: Any) -> tuple[int, Any]:
        em = self.emulator
        if path == "/graphql":
            node = data["variables"]["id"]
            for pull in em.pulls.values():
                if f"PR_{pull.number}" == node:
                    pull.auto_merge = True
            return 200, {"data": {"enablePullRequestAutoMerge": {"clientMutationId": None}}}
        prefix = f"/repos/{em.repository}/"
        if not path.startswith(prefix):
            return 404, {"message": "Not Found"}
        rest = path[len(prefix) :].split("/")
        if rest == ["pulls"] and self.command == "GET":
            owner = em.repository.split("/")[0]
            found = [p for p in em.pulls.values() if p.state == "open"
                     and f"{owner}:{p.head}" == query.get("head")]  # fmt: skip
            return 200, [self.pull_json(p) for p in found]
        if rest == ["pulls"] and self.command == "POST":
            return self.create(data)
        pull = em.pulls.get(int(rest[1])) if len(rest) >= 2 and rest[1].isdigit() else None
        if pull is None:
            return 404, {"message": "Not Found"}
        if rest[0] == "pulls" and len(rest) == 2 and self.command == "PATCH":
            pull.title, pull.body = data["title"], data["body"]
        elif rest[0] == "pulls" and len(rest) == 2:
            em.read(pull)
        elif rest[2:] == ["requested_reviewers"]:
            pull.reviewers += [r for r in data["reviewers"] if r not in pull.reviewers]
            pull.teams += [t for t in data["team_reviewers"] if t not in pull.teams]
        elif rest[0] == "issues" and rest[2:] == ["labels"]:
            pull.labels += [label for label in data["labels"] if label not in pull.labels]
            return 200, [{"name": label} for label in pull.labels]
        return (201 if self.command == "POST" else 200), self.pull_json(pull)

    def create(self, data: Any) -> tuple[int, Any]:
        em = self.emulator
        owner = em.repository.split("/")[0]
        if head_of(em.bare, data["head"]) is None:
            return 422, {"message": "Validation Failed",
                         "errors": [{"resource": "PullRequest", "field": "head",
                                     "code": "invalid"}]}  # fmt: skip
        if any(p.head == data["head"] and p.state == "open" for p in em.pulls.values()):
            return 422, {"message": "Validation Failed", "errors": [{"message": (
                f"A pull request already exists for {owner}:{data['head']}.")}]}  # fmt: skip
        pull = em.new_pull(title=data["title"], body=data["body"], head=data["head"],
                           base=data["base"], draft=bool(data.get("draft")))  # fmt: skip
        return 201, self.pull_json(pull)

    def pull_json(self, pull: Pull) -> dict[str, Any]:
        merged = pull.state == "merged"
        landed = pull.merge_commit or pull.squash_commit or pull.rebased_head
        return {
            "number": pull.number, "node_id": f"PR_{pull.number}",
            "html_url": f"{self.emulator.url}/{self.emulator.repository}/pull/{pull.number}",
            "state": "open" if pull.state == "open" else "closed",
            "merged": merged, "merged_at": "2026-03-03T10:00:00Z" if merged else None,
            # GitHub names a test merge commit while the pull request is open
            "merge_commit_sha": landed if merged else "f" * 40,
            "title": pull.title, "body": pull.body, "draft": pull.draft,
            "head": {"ref": pull.head, "sha": head_of(self.emulator.bare, pull.head)},
            "base": {"ref": pull.base},
            "labels": [{"name": label} for label in pull.labels],
            "requested_reviewers": [{"login": r} for r in pull.reviewers],
            "requested_teams": [{"slug": t} for t in pull.teams],
        }  # fmt: skip


class GitLabHandler(_Handler):
    unauthorized = "401 Unauthorized"

    def authorized(self) -> bool:
        header = self.headers.get("PRIVATE-TOKEN", "")
        self.emulator.auth_headers.append(header)
        return header == self.emulator.token

    def route(self, path: str, query: dict[str, str], data: Any) -> tuple[int, Any]:
        em = self.emulator
        if path == "/users":
            user = query.get("username", "")
            return 200, ([{"id": USERS[user], "username": user}] if user in USERS else [])
        raw = urlsplit(self.path).path  # still percent-encoded: `:id` must be one segment
        prefix = f"/projects/{quote(em.repository, safe='')}/merge_requests"
        if not raw.startswith(prefix):
            return 404, {"message": "404 Project Not Found"}
        rest = raw[len(prefix) :].strip("/")
        if not rest and self.command == "GET":
            found = [p for p in em.pulls.values() if p.state == "open"
                     and p.head == query.get("source_branch")]  # fmt: skip
            return 200, [self.mr_json(p) for p in found]
        if not rest and self.command == "POST":
            pull = em.new_pull(title=data["title"], body=data["description"],
                               head=data["source_branch"], base=data["target_branch"])  # fmt: skip
            self.apply(pull, data)
            return 201, self.mr_json(pull)
        pull = em.pulls.get(int(rest)) if rest.isdigit() else None
        if pull is None:
            return 404, {"message": "404 Not found"}
        if self.command == "PUT":
            pull.title, pull.body = data["title"], data["description"]
            self.apply(pull, data)
        else:
            em.read(pull)
        return 200, self.mr_json(pull)

    @staticmethod
    def apply(pull: Pull, data: Any) -> None:
        pull.labels = [x for x in str(data.get("labels") or "").split(",") if x]
        pull.reviewers = list(data.get("reviewer_ids") or [])

    def mr_json(self, pull: Pull) -> dict[str, Any]:
        state = {"open": "opened"}.get(pull.state, pull.state)
        sha = pull.rebased_head or head_of(self.emulator.bare, pull.head)
        return {
            "iid": pull.number, "id": 1000 + pull.number, "state": state,
            "web_url": f"{self.emulator.url}/{self.emulator.repository}/-/merge_requests/"
                       f"{pull.number}",
            "title": pull.title, "description": pull.body,
            "source_branch": pull.head, "target_branch": pull.base, "sha": sha,
            "merge_commit_sha": pull.merge_commit, "squash_commit_sha": pull.squash_commit,
            "labels": pull.labels, "reviewers": [{"id": i} for i in pull.reviewers],
        }  # fmt: skip


@contextmanager
def running(kind: str, bare: Path, token: str, repository: str) -> Iterator[ReviewEmulator]:
    """A GitHub (`kind="github"`) or GitLab emulator over `bare`, on 127.0.0.1."""
    emulator = ReviewEmulator(bare, token, repository)
    base = GitHubHandler if kind == "github" else GitLabHandler
    handler = type("Handler", (base,), {"emulator": emulator})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    emulator.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield emulator
    finally:
        server.shutdown()
        server.server_close()

"""An EMULATOR of Argo CD's REST API on 127.0.0.1, for `releaser demo`'s health gate.

No real Argo CD can run in the demo (it needs a Kubernetes cluster). This small server answers
the endpoint the gate reads, `GET /api/v1/applications/{name}`, with the documented fields of
an `Application` (`status.sync.{status,revision}`, `status.health.status`,
`status.reconciledAt`, `status.operationState.{phase,startedAt,finishedAt,syncResult.revision}`)
and, like Argo CD, refuses a request without the right `Authorization: Bearer` token. Each
customer's Argo CD lives under its own path (`/<customer>/api/v1/...`).

What it emulates: each application follows the branch its customer's GitOps repository
deploys from. When that branch's head moves (a rollout pushed), the next request starts a
sync operation on the new commit, which runs for `SYNC_SECONDS` and then succeeds; from then
on the app is Synced and Healthy at that commit. `reconciledAt` moves to the time of each
request that asks for a refresh (`?refresh=normal`), so health is reported as computed after
the sync only once a refresh came after it finished. Timestamps are RFC 3339 to the second, as
Argo CD writes them, and never in the future.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from releaser.adapters.git import run_git
from releaser.adapters.local_server import serving
from releaser.domain.errors import GitError

SYNC_SECONDS = 0.2  # how long an emulated sync operation runs
HEAD_TTL = 0.1  # the gate asks for every app at once: one look at the branch serves them all
API = "api/v1/applications/"  # under /<customer>/


@dataclass(frozen=True)
class EmulatedInstance:
    """One customer's Argo CD: the GitOps remote and branch its apps deploy from."""

    remote: Path
    branch: str
    apps: tuple[str, ...]


@dataclass
class _Sync:
    """One application's last sync operation and last reconcile (epoch seconds)."""

    revision: str
    started: float
    finished: float
    reconciled: float


def _stamp(moment: float) -> str:
    return datetime.fromtimestamp(int(moment), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def application(name: str, sync: _Sync, now: float) -> dict[str, Any]:
    """The Application JSON for `sync` as seen at `now`."""
    running = now < sync.finished
    healthy = not running and sync.reconciled > sync.finished
    operation: dict[str, Any] = {
        "operation": {"sync": {"revision": sync.revision}},
        "phase": "Running" if running else "Succeeded",
        "message": "emulated sync in progress" if running else "successfully synced (emulated)",
        "startedAt": _stamp(sync.started),
    }
    if not running:
        operation |= {
            "finishedAt": _stamp(sync.finished),
            "syncResult": {"revision": sync.revision},
        }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "status": {
            "sync": {"status": "OutOfSync" if running else "Synced", "revision": sync.revision},
            "health": {"status": "Healthy" if healthy else "Progressing"},
            "reconciledAt": _stamp(sync.reconciled),
            "operationState": operation,
        },
    }


def _head(instance: EmulatedInstance) -> str:
    return run_git(instance.remote, "rev-parse", f"refs/heads/{instance.branch}").decode().strip()


class ArgoCdEmulator:
    """The emulated API server's state: one `_Sync` per (customer, app) it follows."""

    def __init__(self, token: str) -> None:
        self.url = ""  # the server; a customer's instance is at f"{url}/{customer}"
        self.token = token
        self.instances: dict[str, EmulatedInstance] = {}
        self._syncs: dict[tuple[str, str], _Sync] = {}
        self._heads: dict[str, tuple[float, str]] = {}  # customer -> (when read, commit)
        self._lock = threading.Lock()

    def follow(self, instances: Mapping[str, EmulatedInstance]) -> None:
        """Serve these customers' apps, each synced to its branch's current head (before the
        demo began, so that the next push is a sync of its own)."""
        now = time.time()
        with self._lock:
            for customer, instance in instances.items():
                head = _head(instance)
                for app in instance.apps:
                    self._syncs[(customer, app)] = _Sync(head, now - 2, now - 1, now)
                self.instances[customer] = instance

    def _branch_head(self, customer: str, now: float) -> str:
        read_at, head = self._heads.get(customer, (0.0, ""))
        if now - read_at > HEAD_TTL:
            head = _head(self.instances[customer])
            self._heads[customer] = (now, head)
        return head

    def state(self, customer: str, app: str, refresh: bool) -> dict[str, Any]:
        now = time.time()
        head = self._branch_head(customer, now)
        with self._lock:
            sync = self._syncs[(customer, app)]
            if sync.revision != head:  # a push: a new operation starts now
                sync = _Sync(head, now, now + SYNC_SECONDS, sync.reconciled)
            if refresh:
                sync.reconciled = now
            self._syncs[(customer, app)] = sync
            return application(app, sync, now)


def _handler(emulator: ArgoCdEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {emulator.token}":
                self._send(401, _error("invalid session: token is not valid", 16))
                return
            parts = urlsplit(self.path)
            customer, _, rest = parts.path.lstrip("/").partition("/")
            app = unquote(rest.removeprefix(API)) if rest.startswith(API) else ""
            instance = emulator.instances.get(customer)
            if instance is None or app not in instance.apps:
                self._send(404, _error(f'applications.argoproj.io "{app}" not found', 5))
                return
            refresh = bool(parse_qs(parts.query).get("refresh"))
            try:
                self._send(200, emulator.state(customer, app, refresh))
            except GitError as err:
                self._send(500, _error(err.message, 13))

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            return

    return Handler


def _error(message: str, code: int) -> dict[str, Any]:
    return {"error": message, "code": code, "message": message}


@contextmanager
def serve_argocd() -> Iterator[ArgoCdEmulator]:
    """Run the emulator with a fresh token; it serves the instances it is told to `follow`."""
    emulator = ArgoCdEmulator(secrets.token_hex(16))
    with serving(_handler(emulator)) as url:
        emulator.url = url
        yield emulator

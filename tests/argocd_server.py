"""An emulated Argo CD API server for tests.

Argo CD cannot run here (it needs a Kubernetes cluster), so this is a real HTTP server on
127.0.0.1 that answers its REST endpoint `GET /api/v1/applications/{name}` with the
`Application` JSON fields the health gate reads, named and shaped as in Argo CD's
pkg/apis/application/v1alpha1/types.go: `metadata.name`; `status.sync.status`,
`status.sync.revision` / `revisions` (the commit of the last comparison); `status.health`;
`status.reconciledAt`; `status.operationState.phase`, `startedAt`, `finishedAt`, `message`,
`operation.sync.revision` and `syncResult.revision` / `revisions`. Timestamps are RFC 3339 to
the second, like Kubernetes' `metav1.Time`. It requires `Authorization: Bearer <token>` like
the real server.

Each application is scripted as a sequence played one state per request (the last repeats):
a state is an Application document, a callable building one at request time, an HTTP status
code to answer instead, or MISSING (404, as for an application that does not exist).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

from releaser.adapters.local_server import serving

MISSING = 404
State = dict[str, Any] | Callable[[], dict[str, Any]] | int

COMPLETED = ("Succeeded", "Failed", "Error")


def stamp(moment: datetime) -> str:
    """`metav1.Time` as Argo CD serialises it: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def app_json(
    name: str,
    revision: str | None = None,
    sync: str = "Synced",
    health: str = "Healthy",
    phase: str | None = "Succeeded",
    revisions: list[str] | None = None,
    message: str | None = None,
    *,
    op_revision: str | None = None,
    started: datetime | None = None,
    finished: datetime | None = None,
    reconciled: datetime | None = None,
) -> dict[str, Any]:
    """An Application as Argo CD returns it (trimmed to the gate's fields plus some noise).

    By default the timeline is fresh at call time: the operation (on `revision`, unless
    `op_revision` says otherwise) started a second ago, finished now when its phase is
    complete, and the health was reconciled a second later. Pass times to script others."""
    now = datetime.now(UTC)
    started = started or now - timedelta(seconds=1)
    finished = finished or (now if phase in COMPLETED else None)
    reconciled = reconciled or now + timedelta(seconds=1)
    sync_status: dict[str, Any] = {"status": sync, "comparedTo": {"source": {}}}
    if revisions is not None:
        sync_status["revisions"] = revisions
    elif revision is not None:
        sync_status["revision"] = revision
    status: dict[str, Any] = {
        "sync": sync_status,
        "health": {"status": health},
        "reconciledAt": stamp(reconciled),
        "resources": [],
    }
    if phase is not None:
        status["operationState"] = _operation(
            phase, message, op_revision or revision, revisions, started, finished
        )
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"project": "default"},
        "status": status,
    }


def _operation(
    phase: str,
    message: str | None,
    revision: str | None,
    revisions: list[str] | None,
    started: datetime,
    finished: datetime | None,
) -> dict[str, Any]:
    synced: dict[str, Any] = {"revisions": revisions} if revisions else {"revision": revision}
    state: dict[str, Any] = {
        "operation": {"sync": dict(synced), "initiatedBy": {"automated": True}},
        "phase": phase,
        "message": message or "",
        "startedAt": stamp(started),
        "syncResult": {**synced, "resources": []},
    }
    if finished is not None:
        state["finishedAt"] = stamp(finished)
    return state


class ArgoCdEmulator:
    def __init__(self, token: str) -> None:
        self.token = token
        self.scripts: dict[str, list[State]] = {}
        self.calls: dict[str, int] = {}
        self.auth_headers: list[str] = []
        self.queries: list[str] = []
        self.lock = threading.Lock()
        self.url = ""

    def script(self, app: str, *states: State) -> None:
        with self.lock:
            self.scripts[app] = list(states)
            self.calls[app] = 0

    def next_state(self, app: str) -> dict[str, Any] | int:
        with self.lock:
            states = self.scripts.get(app)
            if not states:
                return MISSING
            index = min(self.calls[app], len(states) - 1)
            self.calls[app] += 1
            state = states[index]
        return state() if callable(state) else state


def _handler(emulator: ArgoCdEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def _send(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            auth = self.headers.get("Authorization", "")
            emulator.auth_headers.append(auth)
            if auth != f"Bearer {emulator.token}":
                self._send(401, {"error": "invalid session", "code": 16})
                return
            parts = urlsplit(self.path)
            emulator.queries.append(parts.query)
            prefix = "/api/v1/applications/"
            if not parts.path.startswith(prefix):
                self._send(404, {"error": "not found", "code": 5})
                return
            state = emulator.next_state(unquote(parts.path[len(prefix) :]))
            if state == MISSING:
                self._send(404, {"error": "application not found", "code": 5})
            elif isinstance(state, int):
                self._send(state, {"error": "scripted failure", "code": 14})
            else:
                self._send(200, state)

    return Handler


@contextmanager
def running_argocd(token: str) -> Iterator[ArgoCdEmulator]:
    emulator = ArgoCdEmulator(token)
    with serving(_handler(emulator)) as url:
        emulator.url = url
        yield emulator

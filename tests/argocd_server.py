"""An emulated Argo CD API server for tests.

Argo CD cannot run here (it needs a Kubernetes cluster), so this is a real HTTP server on
127.0.0.1 that answers its documented REST endpoint `GET /api/v1/applications/{name}` with the
documented `Application` JSON fields the health gate reads (`metadata.name`,
`status.sync.status`, `status.sync.revision`, `status.sync.revisions`,
`status.health.status`, `status.operationState.phase`). It requires
`Authorization: Bearer <token>` like the real server. Each application is scripted as a list of
states stepped through one per request; the last state repeats.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

State = dict[str, Any] | Callable[[], dict[str, Any]]


def app_json(
    name: str,
    revision: str | None = None,
    sync: str = "Synced",
    health: str = "Healthy",
    phase: str | None = "Succeeded",
    revisions: list[str] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    """An Application as Argo CD returns it (trimmed to documented fields plus some noise)."""
    sync_status: dict[str, Any] = {"status": sync, "comparedTo": {"source": {}}}
    if revisions is not None:
        sync_status["revisions"] = revisions
    elif revision is not None:
        sync_status["revision"] = revision
    status: dict[str, Any] = {
        "sync": sync_status,
        "health": {"status": health},
        "reconciledAt": "2024-09-01T10:00:00Z",
        "resources": [],
    }
    if phase is not None:
        status["operationState"] = {"phase": phase, "message": message or "", "startedAt": "x"}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"project": "default"},
        "status": status,
    }


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

    def next_state(self, app: str) -> dict[str, Any] | None:
        with self.lock:
            states = self.scripts.get(app)
            if not states:
                return None
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
            if state is None:
                self._send(404, {"error": "application not found", "code": 5})
                return
            self._send(200, state)

    return Handler


@contextmanager
def running_argocd(token: str) -> Iterator[ArgoCdEmulator]:
    emulator = ArgoCdEmulator(token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(emulator))
    emulator.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield emulator
    finally:
        server.shutdown()
        server.server_close()

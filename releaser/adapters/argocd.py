"""Argo CD's REST API: `GET /api/v1/applications/{name}?refresh=normal` with a bearer token.

The token goes into the Authorization header only; no message, log line or exception built
here contains it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from releaser.adapters.http import FetchError, HttpClient
from releaser.domain.redaction import redact_url
from releaser.domain.rollout import AppState, GateUnreachable

_MAX_BYTES = 8 * 1024 * 1024


class ArgoCdClient:
    def __init__(self, client: HttpClient, url: str, token: str) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def state(self, app: str) -> AppState:
        where = f"{redact_url(self.url)}/api/v1/applications/{app}"
        try:
            response = self.client.request(
                "GET",
                f"{self.url}/api/v1/applications/{quote(app, safe='')}?refresh=normal",
                headers=self._headers,
                max_bytes=_MAX_BYTES,
            )
        except FetchError as err:  # its reason names no URL and no header
            raise GateUnreachable(
                f"Argo CD at {redact_url(self.url)} did not answer: {err.reason}",
                permanent=False,
            ) from None
        if response.status in (401, 403):
            raise GateUnreachable(
                f"Argo CD refused the token for {where} (HTTP {response.status})",
                permanent=True,
                hint="check the token in the env var named by argocd.tokenEnv",
            )
        if response.status == 404:
            raise GateUnreachable(f"Argo CD has no application at {where}", permanent=True)
        if response.status != 200:
            raise GateUnreachable(
                f"Argo CD answered HTTP {response.status} for {where}", permanent=False
            )
        try:
            return parse_application(app, response.json())
        except ValueError:
            raise GateUnreachable(
                f"Argo CD sent invalid JSON for {where}", permanent=False
            ) from None


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def parse_application(app: str, data: Any) -> AppState:
    """The documented fields of an `Application` that the health gate reads."""
    revisions = _get(data, "status", "sync", "revisions")
    return AppState(
        name=str(_get(data, "metadata", "name") or app),
        sync=_get(data, "status", "sync", "status"),
        revision=_get(data, "status", "sync", "revision"),
        revisions=tuple(str(r) for r in revisions) if isinstance(revisions, list) else (),
        health=_get(data, "status", "health", "status"),
        phase=_get(data, "status", "operationState", "phase"),
        message=_get(data, "status", "operationState", "message")
        or _get(data, "status", "health", "message"),
    )

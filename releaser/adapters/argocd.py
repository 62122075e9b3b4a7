"""Argo CD's REST API: `GET /api/v1/applications/{name}` with a bearer token.

The token goes into the Authorization header only; no message, log line or exception built
here contains it.
"""

from __future__ import annotations

from urllib.parse import quote

from releaser.adapters.http import FetchError, HttpClient
from releaser.domain.gate import AppState, parse_application
from releaser.domain.redaction import redact_url
from releaser.domain.rollout import GateUnreachable

_MAX_BYTES = 8 * 1024 * 1024


class ArgoCdClient:
    def __init__(self, client: HttpClient, url: str, token: str) -> None:
        self.client = client
        self.url = url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def state(self, app: str, refresh: bool = True) -> AppState:
        """The application now. `refresh` (`?refresh=normal`) makes Argo CD compare it with
        git again, so `reconciledAt` moves past a finished sync; a read-only view skips it."""
        where = f"{redact_url(self.url)}/api/v1/applications/{app}"
        query = "?refresh=normal" if refresh else ""
        try:
            response = self.client.request(
                "GET",
                f"{self.url}/api/v1/applications/{quote(app, safe='')}{query}",
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

"""A Slack-compatible incoming webhook: one JSON `{"text": ...}` POST per rollout outcome.

Webhook URLs are secrets (the path is the credential): messages name the host only. A POST
is not idempotent, so it is sent once, never retried.
"""

from __future__ import annotations

from collections.abc import Callable

from releaser.adapters.http import FetchError, HttpClient
from releaser.domain.redaction import redact_url

_MAX_BYTES = 64 * 1024  # the answer is a short "ok"


class WebhookNotifier:
    def __init__(self, client: HttpClient, url: str, warn: Callable[[str], None]) -> None:
        self.client = client
        self.url = url
        self.warn = warn

    def send(self, text: str) -> None:
        host = redact_url(self.url, host_only=True).split("://", 1)[-1]
        try:
            response = self.client.request(
                "POST", self.url, json={"text": text}, max_bytes=_MAX_BYTES, retry=False
            )
        except FetchError as err:
            self.warn(f"warning: notification to {host} failed: {err.reason}")
            return
        if response.status >= 300:
            self.warn(f"warning: notification to {host} failed: HTTP {response.status}")

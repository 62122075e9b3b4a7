"""A Slack-compatible incoming webhook: one JSON `{"text": ...}` POST per rollout outcome.

Webhook URLs are secrets (the path is the credential): messages name the host only.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import requests


class WebhookNotifier:
    def __init__(self, url: str, warn: Callable[[str], None], timeout: float = 10.0) -> None:
        self.url = url
        self.warn = warn
        self.timeout = timeout

    def send(self, text: str) -> None:
        host = urlsplit(self.url).hostname or "?"
        try:
            response = requests.post(self.url, json={"text": text}, timeout=self.timeout)
        except requests.RequestException as err:
            self.warn(f"warning: notification to {host} failed: {type(err).__name__}")
            return
        if response.status_code >= 300:
            self.warn(f"warning: notification to {host} failed: HTTP {response.status_code}")

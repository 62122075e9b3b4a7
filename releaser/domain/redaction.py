"""The one redactor: every message, log record, report and cache key goes through `redact`.

It removes what can be recognised as a credential wherever it stands in a text:
- URL userinfo (`https://user:pass@host`, `oci://token@host`, `git+ssh://u:p@h`) -> `***@`;
- credential-like query parameters (`?token=…`, `&password=…`, `sig=`, `key=` …) -> `***`;
- every secret value the run has read (tokens named by `tokenEnv`, webhook URLs), which a
  pattern could not recognise: `remember_secret` registers them.

A URL whose whole path is the credential (a Slack-style webhook) is shown by `redact_url`'s
`host_only=True` form.
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import quote, urlsplit

MASK = "***"
# `scheme://user:pass@` or `scheme://token@`: the whole userinfo goes (a `'` may be in it).
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s\"<>]+@")
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&;](?:access_token|token|private_token|password|passwd|pwd|secret|"
    r"api_key|apikey|key|sig|signature|x-amz-signature|x-goog-signature)=)[^&#\s\"'<>]+",
    re.IGNORECASE,
)
_MIN_SECRET = 4  # shorter values would mask ordinary words

_secrets: set[str] = set()
_lock = threading.Lock()


def remember_secret(value: str) -> None:
    """From now on, `redact` masks `value` wherever it appears, also in the forms output
    gives it: HTML/Markdown-escaped, JSON-escaped and percent-encoded (redaction runs on
    finished text, after those escapes)."""
    value = value.strip()
    if len(value) >= _MIN_SECRET:
        with _lock:
            _secrets.update(_written_forms(value))


def _written_forms(value: str) -> set[str]:
    markdown = re.sub(r"[\\|\[\]]", lambda m: "\\" + m.group(), html.escape(value, quote=False))
    return {
        value,
        html.escape(value),
        html.escape(value, quote=False),
        markdown,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
    }


def redact(text: str) -> str:
    """`text` with URL credentials, secret query values and remembered secrets masked."""
    if not text:
        return text
    text = _USERINFO.sub(rf"\g<scheme>{MASK}@", text)
    text = _SECRET_QUERY.sub(rf"\g<key>{MASK}", text)
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def redact_url(url: str, host_only: bool = False) -> str:
    """A URL fit to show; `host_only` keeps just scheme and host (the path is a secret)."""
    if host_only:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{parts.scheme}://{host}" if parts.scheme else host
    return redact(url)


def has_userinfo(url: str) -> bool:
    """True when the URL carries `user[:password]@` before its host."""
    return bool(_USERINFO.match(url.strip()))

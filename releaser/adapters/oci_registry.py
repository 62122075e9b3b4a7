"""A minimal, read-only client for one repository of an OCI distribution registry.

It speaks just what chart lookups need: `GET` with the bearer-token handshake ghcr.io and
Docker Hub require (401 + `WWW-Authenticate: Bearer realm,service,scope` -> token endpoint ->
retry), basic auth, size-capped reads, and tag-list pagination through `Link` headers.
Credentials and tokens live in headers only, never in a URL, so no message can leak them;
the shared `HttpClient` drops them when a blob redirects to another host (a CDN).
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from releaser.adapters.http import (
    RETRY_STATUSES,
    FetchError,
    HttpClient,
    ResponseTooLarge,
    basic_auth,
)
from releaser.domain.errors import UpstreamError

SMALL_LIMIT = 4 * 1024 * 1024  # manifests, configs, tag pages, tokens


class RegistryDown(UpstreamError):
    """The registry could not be reached, or failed (429, 5xx) after retries: an outage a
    cached copy may ride out, unlike a refusal (401, 403, 404)."""
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*"([^"]*)"')
_MAX_PAGES = 1000


def is_loopback(host: str) -> bool:
    """`127.0.0.1:5000`, `localhost`, `[::1]:5000`: only these may use plain HTTP."""
    name = urllib.parse.urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]  # case-insensitive
    next_url: str | None  # the `Link: <...>; rel="next"` target, absolute


def registry_error(body: bytes) -> str:
    """`NAME_UNKNOWN: repository name not known to registry` from an error body, or ''."""
    try:
        first = json.loads(body)["errors"][0]
        return f"{first.get('code', '')}: {first.get('message', '')}".strip(": ")
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


class RegistryClient:
    """GETs against `host` for `repository`, authenticating on demand; thread-safe."""

    def __init__(
        self,
        client: HttpClient,
        host: str,
        repository: str,
        label: str,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.client = client
        self.host = host
        self.repository = repository
        self.label = label  # how messages name the chart: the upstream oci:// URL, redacted
        self.credentials = credentials
        self.base = f"{'http' if is_loopback(host) else 'https'}://{host}"
        self._auth: str | None = None
        self._lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"{self.base}/v2/{self.repository}/{path}"

    def fail(self, message: str, down: bool = False) -> UpstreamError:
        """The error naming the chart; `down` when the registry is out, not refusing."""
        return (RegistryDown if down else UpstreamError)(f"{self.label}: {message}")

    def get(self, url: str, accept: str | None = None, limit: int = SMALL_LIMIT) -> Reply:
        """GET `url`, answering one auth challenge; any status is returned to the caller."""
        reply = self._send(url, accept, limit, self._auth)
        if reply.status == 401:
            used = self._auth
            with self._lock:
                if self._auth == used:  # another thread may have renewed it meanwhile
                    self._auth = self._authenticate(reply)
            reply = self._send(url, accept, limit, self._auth)
            if reply.status == 401:
                raise self.fail(f"access denied by {self.host}{self._credential_note()}")
        return reply

    def _credential_note(self) -> str:
        if self.credentials:
            return " (the configured credentials were refused)"
        return " (the chart may not exist, or the registry needs credentials)"

    def _send(self, url: str, accept: str | None, limit: int, auth: str | None) -> Reply:
        headers = {"Accept": accept} if accept else {}
        if auth:
            headers["Authorization"] = auth
        try:
            answer = self.client.request("GET", url, headers=headers, max_bytes=limit)
        except ResponseTooLarge:
            raise self.fail(f"response from {self.host} larger than {limit // 1024} KiB") from None
        except FetchError as err:
            raise self.fail(f"cannot reach registry {self.host}: {err.reason}", down=True) from None
        return Reply(answer.status, answer.content, answer.headers, answer.next_link())

    def _authenticate(self, challenge: Reply) -> str:
        header = challenge.headers.get("WWW-Authenticate", "")
        scheme = header.split(" ", 1)[0].lower()
        if scheme == "basic":
            if not self.credentials:
                raise self.fail(f"registry {self.host} needs credentials (basic auth)")
            return basic_auth(*self.credentials)["Authorization"]
        if scheme != "bearer":
            raise self.fail(f"registry {self.host} asks for unsupported auth {scheme or 'none'!r}")
        return f"Bearer {self._token(dict(_CHALLENGE_PARAM.findall(header)))}"

    def _token(self, params: dict[str, str]) -> str:
        realm = params.pop("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise self.fail(f"registry {self.host} sent a token challenge without a realm")
        if realm.startswith("http://") and not is_loopback(urllib.parse.urlsplit(realm).netloc):
            raise self.fail(f"registry {self.host} asks for a token over plain HTTP; refused")
        params.setdefault("scope", f"repository:{self.repository}:pull")
        url = f"{realm}{'&' if '?' in realm else '?'}{urllib.parse.urlencode(params)}"
        headers = basic_auth(*self.credentials) if self.credentials else {}
        try:
            resp = self.client.request("GET", url, headers=headers, max_bytes=SMALL_LIMIT)
        except FetchError as err:
            raise self.fail(
                f"cannot reach token service of {self.host}: {err.reason}", down=True
            ) from None
        if resp.status != 200:
            raise self.fail(
                f"token service of {self.host} answered {resp.status}{self._credential_note()}"
            )
        try:
            data = resp.json()
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise self.fail(f"token service of {self.host} returned no token")
        return token

    def tags(self, page_size: int) -> Iterator[str]:
        """Every tag of the repository, following `Link` pagination."""
        url: str | None = self.url(f"tags/list?n={page_size}")
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            if url is None or url in seen:
                return
            seen.add(url)
            reply = self.get(url, accept="application/json")
            if reply.status == 404:
                detail = registry_error(reply.body)
                raise self.fail(f"chart not found on {self.host}" + (f" ({detail})" * bool(detail)))
            self.expect_ok(reply, "tag list")
            try:
                page = (json.loads(reply.body) or {}).get("tags") or []
            except (ValueError, AttributeError):
                raise self.fail(f"{self.host} returned a malformed tag list") from None
            yield from (t for t in page if isinstance(t, str))
            url = reply.next_url
        raise self.fail(f"{self.host} paginates the tag list beyond {_MAX_PAGES} pages")

    def expect_ok(self, reply: Reply, what: str) -> None:
        if reply.status != 200:
            detail = registry_error(reply.body)
            suffix = f" ({detail})" if detail else ""
            if reply.status == 403:
                suffix += self._credential_note()
            raise self.fail(
                f"{what}: {self.host} answered HTTP {reply.status}{suffix}",
                down=reply.status in RETRY_STATUSES,
            )

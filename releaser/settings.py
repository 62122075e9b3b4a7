"""Every setting releaser reads from the environment, in one frozen object.

This is the only module that reads `RELEASER_*` variables (and the proxy / CA variables the
HTTP client honours). The composition root builds one `Settings` per run with
`Settings.from_env()` and hands its parts to the adapters; nothing else looks at
`os.environ`. Every cache lives under `cache_dir` (`RELEASER_CACHE_DIR`, default the
platform's user cache dir), so one variable moves all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from releaser.domain.durations import parse_duration
from releaser.domain.errors import UsageError
from releaser.domain.redaction import remember_secret

APP_NAME = "releaser"
STALE_MAX = timedelta(hours=24)  # default age up to which a cached copy stands in


@dataclass(frozen=True)
class HttpSettings:
    """How every HTTP request behaves (indexes, archives, OCI, Argo CD, webhooks, data)."""

    connect_timeout: float = 10.0  # seconds to establish a connection
    read_timeout: float = 30.0  # seconds of silence tolerated while waiting for bytes
    deadline: float = 120.0  # seconds one request may take in all, retries included
    retries: int = 3  # extra attempts on 5xx/429, connection and read errors
    backoff: float = 0.5  # backoff factor: 0, 2×, 4×… this many seconds
    max_redirects: int = 5
    max_bytes: int = 100 * 1024 * 1024  # largest body accepted, after decompression
    proxies: Mapping[str, str] = field(default_factory=dict)  # scheme -> proxy URL, "no"
    ca_bundle: str | None = None  # REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE, else certifi's


@dataclass(frozen=True)
class CacheDirs:
    """One directory per cache, all under one root."""

    root: Path

    @property
    def indexes(self) -> Path:
        return self.root / "indexes"

    @property
    def checks(self) -> Path:
        return self.root / "checks"

    @property
    def charts(self) -> Path:
        return self.root / "charts"

    @property
    def oci(self) -> Path:
        return self.root / "oci"

    @property
    def helm(self) -> Path:
        return self.root / "helm"

    @property
    def customers(self) -> Path:
        return self.root / "customers"

    @property
    def kits(self) -> Path:
        return self.root / "kits"


@dataclass(frozen=True)
class Settings:
    cache: CacheDirs
    data_dir: Path  # where `releaser data refresh` writes its snapshots
    fleet: Path | None  # RELEASER_FLEET
    mirrors: Path | None  # RELEASER_MIRRORS
    today: date | None  # RELEASER_TODAY pins the date verdicts and changelogs use
    http: HttpSettings
    # RELEASER_STALE_MAX: how old a cached copy may be to stand in for a failing upstream
    # (zero: never)
    stale_max: timedelta = STALE_MAX
    env: Mapping[str, str] = field(repr=False, default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        return cls(
            cache=CacheDirs(_path(env, "RELEASER_CACHE_DIR") or _user_dir("cache")),
            data_dir=_path(env, "RELEASER_DATA_DIR") or _user_dir("data") / "data",
            fleet=_path(env, "RELEASER_FLEET"),
            mirrors=_path(env, "RELEASER_MIRRORS"),
            today=_date(env, "RELEASER_TODAY"),
            http=_http(env),
            stale_max=_duration(env, "RELEASER_STALE_MAX", STALE_MAX),
            env=env,
        )

    def secret(self, name: str) -> str | None:
        """The value of the environment variable `name` (a token), remembered for redaction."""
        value = self.env.get(name)
        if value:
            remember_secret(value)
        return value or None


def _user_dir(kind: str) -> Path:
    import platformdirs  # only when no RELEASER_* directory is set

    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP_NAME))
    return Path(platformdirs.user_data_dir(APP_NAME))


def _path(env: Mapping[str, str], name: str) -> Path | None:
    text = env.get(name)
    return Path(text) if text else None


def _date(env: Mapping[str, str], name: str) -> date | None:
    text = env.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a date (YYYY-MM-DD)") from None


def _duration(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    """`24h`, `90m`, `2d`, `30s`, `1.5h`; `0` alone is zero. A bare number other than 0 is
    refused: `24` could mean seconds or hours."""
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return timedelta(seconds=parse_duration(text, unit_required=True))
    except UsageError as err:
        hint = "write a number and a unit: 30s, 90m, 24h or 2d (0 turns it off)"
        raise UsageError(f"{name}={text!r} is not a duration: {err.message}", hint=hint) from None


def _number(env: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    """A non-negative number (`kind=int` for counts and sizes: `1.5` bytes is refused)."""
    text = env.get(name)
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a valid {kind.__name__}") from None
    if value < 0 or value != value:
        raise UsageError(f"{name}={text!r} must be a number not below 0")
    return float(value)


def _http(env: Mapping[str, str]) -> HttpSettings:
    base = HttpSettings()
    timeout = _number(env, "RELEASER_HTTP_TIMEOUT", base.read_timeout) or base.read_timeout
    return HttpSettings(
        connect_timeout=min(timeout, base.connect_timeout),
        read_timeout=timeout,
        deadline=_number(env, "RELEASER_HTTP_DEADLINE", base.deadline) or base.deadline,
        retries=int(_number(env, "RELEASER_HTTP_RETRIES", base.retries, int)),
        backoff=_number(env, "RELEASER_HTTP_BACKOFF", base.backoff),
        max_redirects=base.max_redirects,
        max_bytes=int(_number(env, "RELEASER_HTTP_MAX_BYTES", base.max_bytes, int)),
        proxies=_proxies(env),
        ca_bundle=env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or None,
    )


def _proxies(env: Mapping[str, str]) -> dict[str, str]:
    """HTTP(S)_PROXY, ALL_PROXY, NO_PROXY as urllib reads them (lower case wins)."""
    proxies: dict[str, str] = {}
    for name, value in env.items():
        if value and name.lower().endswith("_proxy"):
            proxies.setdefault(name[:-6].lower(), value)
    for name, value in env.items():
        if value and name.endswith("_proxy"):
            proxies[name[:-6]] = value
    return proxies


@dataclass(frozen=True)
class TerminalSettings:
    """Colour as the environment asks for it. Read apart from `Settings`: the message that
    reports a bad `RELEASER_*` value goes through the output that needs this."""

    color: bool | None = None  # False: never; True: even through a pipe; None: on a terminal

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TerminalSettings:
        """`NO_COLOR` set to anything (https://no-color.org) wins over `FORCE_COLOR`; a dumb
        terminal gets no colour unless it is forced."""
        env = os.environ if env is None else env
        if env.get("NO_COLOR"):
            return cls(color=False)
        if env.get("FORCE_COLOR"):
            return cls(color=True)
        return cls(color=False) if env.get("TERM") == "dumb" else cls()

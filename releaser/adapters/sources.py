"""One `ChartSource` for every repository kind, chosen by the URL's scheme.

http(s):// goes to the Helm index source; oci:// to `releaser.adapters.oci.OciChartSource`,
imported on first use (it is built separately; until it is present, OCI repositories get a
clear per-component error instead of a crash).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Protocol

import requests

from releaser.adapters.http import redact
from releaser.adapters.mirrors import Mirrors
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError


class ChartSource(Protocol):
    """Structurally `releaser.app.ports.ChartSource` (adapters may not import app)."""

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]: ...


class SchemeSource:
    def __init__(
        self,
        http: ChartSource,
        session_factory: Callable[[], requests.Session],
        mirrors: Mirrors,
        oci: ChartSource | None = None,
    ) -> None:
        self._http = http
        self._session_factory = session_factory
        self._mirrors = mirrors
        self._oci = oci
        self._lock = threading.Lock()

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        scheme = repo_url.split("://", 1)[0].lower() if "://" in repo_url else ""
        if scheme in ("http", "https"):
            return self._http.releases(repo_url, chart)
        if scheme == "oci":
            return self._oci_source(repo_url).releases(repo_url, chart)
        raise UpstreamError(
            redact(f"repository {repo_url}: unsupported URL scheme (expected https:// or oci://)")
        )

    def _oci_source(self, repo_url: str) -> ChartSource:
        with self._lock:
            if self._oci is None:
                self._oci = _load_oci(self._session_factory, self._mirrors, repo_url)
            return self._oci


def _load_oci(
    session_factory: Callable[[], requests.Session], mirrors: Mirrors, repo_url: str
) -> ChartSource:
    try:
        module = importlib.import_module("releaser.adapters.oci")
        factory = module.OciChartSource
    except (ImportError, AttributeError):
        raise UpstreamError(redact(f"repository {repo_url}: OCI not supported yet")) from None
    source: ChartSource = factory(session_factory, mirrors)
    return source

"""One `ChartSource` for every repository kind, chosen by the URL's scheme.

http(s):// goes to the Helm index source; oci:// to the source `oci_factory` builds on
first use (`releaser.adapters.oci.OciChartSource`, whose import only such runs pay for).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Protocol

from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError
from releaser.domain.redaction import redact


class ChartSource(Protocol):
    """Structurally `releaser.app.ports.ChartSource` (adapters may not import app)."""

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]: ...


class RevisionedSource(ChartSource, Protocol):
    def revision(self, repo_url: str, chart: str) -> str | None: ...


class SchemeSource:
    def __init__(
        self,
        http: RevisionedSource,
        oci_factory: Callable[[], ChartSource],
    ) -> None:
        self._http = http
        self._oci_factory = oci_factory
        self._oci: ChartSource | None = None
        self._lock = threading.Lock()

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]:
        scheme = _scheme(repo_url)
        if scheme in ("http", "https"):
            return self._http.releases(repo_url, chart)
        if scheme == "oci":
            return self._oci_source().releases(repo_url, chart)
        raise UpstreamError(
            redact(f"repository {repo_url}: unsupported URL scheme (expected https:// or oci://)")
        )

    def revision(self, repo_url: str, chart: str) -> str | None:
        """What identifies the chart's current releases, when the source can tell cheaply:
        the index digest for http(s); None (unknown) for OCI, whose tags have no digest."""
        if _scheme(repo_url) in ("http", "https"):
            return self._http.revision(repo_url, chart)
        return None

    def _oci_source(self) -> ChartSource:
        with self._lock:
            if self._oci is None:
                self._oci = self._oci_factory()
            return self._oci


def _scheme(repo_url: str) -> str:
    return repo_url.split("://", 1)[0].lower() if "://" in repo_url else ""


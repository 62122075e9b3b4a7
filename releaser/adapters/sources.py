"""One `ChartSource` for every repository kind, chosen by the URL's scheme.

http(s):// goes to the Helm index source; oci:// to `releaser.adapters.oci.OciChartSource`,
imported on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from releaser.adapters.mirrors import Mirrors
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import UpstreamError
from releaser.domain.redaction import redact

if TYPE_CHECKING:  # requests is imported by the first oci:// repository, not before
    import requests


class ChartSource(Protocol):
    """Structurally `releaser.app.ports.ChartSource` (adapters may not import app)."""

    def releases(self, repo_url: str, chart: str) -> list[ChartRelease]: ...


class RevisionedSource(ChartSource, Protocol):
    def revision(self, repo_url: str, chart: str) -> str | None: ...


class SchemeSource:
    def __init__(
        self,
        http: RevisionedSource,
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
        scheme = _scheme(repo_url)
        if scheme in ("http", "https"):
            return self._http.releases(repo_url, chart)
        if scheme == "oci":
            return self._oci_source(repo_url).releases(repo_url, chart)
        raise UpstreamError(
            redact(f"repository {repo_url}: unsupported URL scheme (expected https:// or oci://)")
        )

    def revision(self, repo_url: str, chart: str) -> str | None:
        """What identifies the chart's current releases, when the source can tell cheaply:
        the index digest for http(s); None (unknown) for OCI, whose tags have no digest."""
        if _scheme(repo_url) in ("http", "https"):
            return self._http.revision(repo_url, chart)
        return None

    def _oci_source(self, repo_url: str) -> ChartSource:
        with self._lock:
            if self._oci is None:
                self._oci = _load_oci(self._session_factory, self._mirrors, repo_url)
            return self._oci


def _scheme(repo_url: str) -> str:
    return repo_url.split("://", 1)[0].lower() if "://" in repo_url else ""


def _load_oci(
    session_factory: Callable[[], requests.Session], mirrors: Mirrors, repo_url: str
) -> ChartSource:
    from releaser.adapters.oci import OciChartSource  # only runs that meet an oci:// pay for it

    return OciChartSource(session=session_factory(), rewrite=mirrors.apply)

"""What the compatibility use cases need from outside besides chart sources: archives, helm."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from releaser.domain.api_scan import ApiChoice, ChartScan
from releaser.domain.charts import ChartRelease


class ChartArchives(Protocol):
    """Downloads a release's archive (index `urls` or the OCI layer) and scans it; the
    parsed result is cached by digest so an unchanged chart is fetched and read once."""

    def scan(self, repo_url: str, chart: str, release: ChartRelease) -> ChartScan:
        """Raises UpstreamError (unreachable, oversized, unsafe archive), naming the URL."""
        ...

    def choices(self, scan: ChartScan, values: Mapping[str, Any]) -> tuple[ApiChoice, ...]:
        """The scan's choices with `values` over the chart's defaults; raises UpstreamError
        when the cached archive cannot be read again."""
        ...


class ChartRenderer(Protocol):
    """`helm template` with the chart's defaults (and `values` over them), no network."""

    def describe(self) -> str:
        """How output was produced, e.g. `helm v3.6.2`."""
        ...

    def render(
        self, scan: ChartScan, kube_version: str, values: Mapping[str, Any] | None = None
    ) -> str:
        """The rendered manifests (at least each document's `# Source:`, `apiVersion` and
        `kind` lines); raises ReleaserError when helm refuses the chart."""
        ...


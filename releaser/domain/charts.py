"""Upstream chart releases as published in a Helm repository index or an OCI registry."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from releaser.domain.versions import ChartVersion


@dataclass(frozen=True)
class ChartChange:
    """One item of the `artifacthub.io/changes` annotation."""

    kind: str  # added | changed | deprecated | removed | fixed | security | "" when untyped
    description: str
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChartRelease:
    """One published version of a chart, with the metadata releaser uses."""

    name: str
    version: str  # exactly as published (a leading v is kept)
    app_version: str | None = None
    kube_version: str | None = None  # the chart's kubeVersion constraint, raw
    created: datetime | None = None  # None when absent or Go's zero time
    deprecated: bool = False
    description: str | None = None
    home: str | None = None
    sources: tuple[str, ...] = ()
    changes: tuple[ChartChange, ...] = ()
    urls: tuple[str, ...] = ()  # archive URLs (HTTP repositories)
    digest: str | None = None
    annotations: tuple[tuple[str, str], ...] = field(default=(), compare=False)

    @property
    def parsed_version(self) -> ChartVersion:
        return ChartVersion.parse(self.version)

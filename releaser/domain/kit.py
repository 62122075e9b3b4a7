"""The kit model: a kit at one ref, its sections and their components (SPEC §2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

BASE = "base"
ADDONS = "addons"
SECTION_ORDER = (BASE, "aws", "gcp", ADDONS)


@dataclass(frozen=True)
class Component:
    name: str
    section: str
    repo_url: str
    chart: str
    version: str
    namespace: str
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_oci(self) -> bool:
        return self.repo_url.startswith("oci://")

    def summary(self) -> dict[str, str]:
        return {
            "name": self.name,
            "section": self.section,
            "chart": self.chart,
            "repoURL": self.repo_url,
            "version": self.version,
            "namespace": self.namespace,
        }


@dataclass(frozen=True)
class Section:
    name: str
    components: tuple[Component, ...]
    global_values: Mapping[str, Any] = field(default_factory=dict)
    app_enabled: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)

    def component(self, name: str) -> Component | None:
        return next((c for c in self.components if c.name == name), None)


@dataclass(frozen=True)
class KubernetesRange:
    min: str
    max: str

    def as_dict(self) -> dict[str, str]:
        return {"min": self.min, "max": self.max}

    def __str__(self) -> str:
        return f"{self.min}–{self.max}"


@dataclass(frozen=True)
class Kit:
    name: str
    version: str | None
    kubernetes: KubernetesRange
    providers: tuple[str, ...]
    sections: tuple[Section, ...]
    ref: str | None = None

    def __iter__(self) -> Iterator[Component]:
        for section in self.sections:
            yield from section.components

    @property
    def components(self) -> tuple[Component, ...]:
        return tuple(self)

    def component(self, name: str) -> Component | None:
        return next((c for c in self if c.name == name), None)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def section_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sections)


def section_names_for(providers: tuple[str, ...]) -> tuple[str, ...]:
    """base, then the providers in kit order, then addons."""
    return (BASE, *(p for p in providers if p not in (BASE, ADDONS)), ADDONS)

"""Build a `Kit` from parsed documents, collecting every problem with its file and line.

Validate at the edge, freeze inside: everything past this module works on frozen objects.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from releaser.domain.document import Document, KeyPath, dotted
from releaser.domain.errors import Problem
from releaser.domain.kit import ADDONS, Component, Kit, KubernetesRange, Section
from releaser.domain.versions import ChartVersion, InvalidVersion, KitVersion, parse_minor

NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KIT_KEYS = ("name", "version", "kubernetes", "providers")
KUBERNETES_KEYS = ("min", "max")
COMPONENT_KEYS = ("repoURL", "chart", "version", "namespace", "values")
REQUIRED_COMPONENT_KEYS = ("repoURL", "chart", "version", "namespace")
SECTION_KEYS = ("global", "components", "appEnabled")
KNOWN_PROVIDERS = ("aws", "gcp", "azure")


@dataclass
class Problems:
    """Collects problems for one document."""

    doc: Document
    found: list[Problem] = field(default_factory=list)

    def add(self, path: KeyPath, message: str) -> None:
        self.found.append(Problem(self.doc.file, self.doc.line_of(path), dotted(path), message))


def did_you_mean(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(known)}"


def check_keys(
    problems: Problems, mapping: Mapping[str, Any], path: KeyPath, known: tuple[str, ...]
) -> None:
    for key in mapping:
        if key not in known:
            problems.add((*path, key), f"unknown key{did_you_mean(str(key), known)}")


def text_at(problems: Problems, mapping: Mapping[str, Any], path: KeyPath) -> str | None:
    """A required scalar as written in the file, or None after reporting why not."""
    key = str(path[-1])
    if key not in mapping or mapping[key] is None or mapping[key] == "":
        problems.add(path, "missing required value")
        return None
    value = mapping[key]
    if isinstance(value, (dict, list, bool)):
        problems.add(path, f"expected a string, got {type(value).__name__}")
        return None
    return problems.doc.raw_text(path) or str(value)


def as_mapping(problems: Problems, value: Any, path: KeyPath) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.add(path, f"expected a mapping, got {type(value).__name__}")
        return {}
    return value


# --- kit.yaml -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KitHeader:
    name: str
    version: str | None
    kubernetes: KubernetesRange
    providers: tuple[str, ...]


def read_kit_header(doc: Document) -> tuple[KitHeader | None, list[Problem]]:
    problems = Problems(doc)
    data = as_mapping(problems, doc.data, ())
    check_keys(problems, data, (), KIT_KEYS)
    name = text_at(problems, data, ("name",))
    version = read_kit_version(problems, data)
    kubernetes = read_kubernetes_range(
        problems, as_mapping(problems, data.get("kubernetes"), ("kubernetes",))
    )
    providers = read_providers(problems, data.get("providers"))
    if problems.found or name is None or kubernetes is None:
        return None, problems.found
    return KitHeader(name, version, kubernetes, providers), []


def read_kit_version(problems: Problems, data: Mapping[str, Any]) -> str | None:
    if data.get("version") is None:
        return None
    text = problems.doc.raw_text(("version",)) or str(data["version"])
    try:
        return str(KitVersion.parse(text))
    except InvalidVersion as err:
        problems.add(("version",), err.message)
        return None


def read_kubernetes_range(problems: Problems, data: Mapping[str, Any]) -> KubernetesRange | None:
    if not data:
        problems.add(("kubernetes",), "missing required mapping with 'min' and 'max' minors")
        return None
    check_keys(problems, data, ("kubernetes",), KUBERNETES_KEYS)
    bounds: dict[str, tuple[int, int]] = {}
    for key in KUBERNETES_KEYS:
        text = text_at(problems, data, ("kubernetes", key))
        if text is None:
            continue
        try:
            bounds[key] = parse_minor(text)
        except InvalidVersion as err:
            problems.add(("kubernetes", key), err.message)
    if len(bounds) < 2:
        return None
    if bounds["min"] > bounds["max"]:
        problems.add(("kubernetes",), "min is above max")
        return None
    return KubernetesRange(*(f"{m[0]}.{m[1]}" for m in (bounds["min"], bounds["max"])))


def read_providers(problems: Problems, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(("providers",), "expected a list of provider section names")
        return ()
    for index, provider in enumerate(value):
        if provider not in KNOWN_PROVIDERS:
            hint = did_you_mean(provider, KNOWN_PROVIDERS)
            problems.add(("providers", index), f"unknown provider '{provider}'{hint}")
    return tuple(value)


# --- <section>/values.yaml ------------------------------------------------------------------


def read_section(name: str, doc: Document) -> tuple[Section, list[Problem]]:
    problems = Problems(doc)
    data = as_mapping(problems, doc.data, ())
    for key in data:
        close = difflib.get_close_matches(str(key), SECTION_KEYS, n=1, cutoff=0.8)
        if key not in SECTION_KEYS and close:
            problems.add((key,), f"unknown key; did you mean '{close[0]}'?")
    raw_components = as_mapping(problems, data.get("components"), ("components",))
    components = tuple(
        c
        for key, value in raw_components.items()
        if (c := read_component(problems, name, str(key), value)) is not None
    )
    app_enabled = read_app_enabled(problems, name, data.get("appEnabled"))
    global_values = as_mapping(problems, data.get("global"), ("global",))
    section = Section(name, components, global_values, app_enabled, data)
    return section, problems.found


def read_component(problems: Problems, section: str, name: str, value: Any) -> Component | None:
    path: KeyPath = ("components", name)
    if not NAME_RE.match(name) or len(name) > 63:
        problems.add(
            path, "invalid component name: use lower-case letters, digits and '-' (max 63)"
        )
    data = as_mapping(problems, value, path)
    if not data:
        problems.add(path, "missing component fields: " + ", ".join(REQUIRED_COMPONENT_KEYS))
        return None
    check_keys(problems, data, path, COMPONENT_KEYS)
    fields = {key: text_at(problems, data, (*path, key)) for key in REQUIRED_COMPONENT_KEYS}
    check_component_fields(problems, path, fields)
    values = as_mapping(problems, data.get("values"), (*path, "values"))
    if any(v is None for v in fields.values()):
        return None
    return Component(
        name=name,
        section=section,
        repo_url=str(fields["repoURL"]),
        chart=str(fields["chart"]),
        version=str(fields["version"]),
        namespace=str(fields["namespace"]),
        values=values,
    )


def check_component_fields(
    problems: Problems, path: KeyPath, fields: dict[str, str | None]
) -> None:
    repo, version, namespace = fields["repoURL"], fields["version"], fields["namespace"]
    if repo and not re.match(r"^(https?|oci)://[^\s/]+", repo):
        problems.add(
            (*path, "repoURL"), "expected an http(s):// Helm repository or oci:// registry URL"
        )
    if version and not ChartVersion.parse(version).is_semver:
        problems.add(
            (*path, "version"), f"'{version}' is not a SemVer 2 chart version (Helm requires one)"
        )
    if namespace and (not NAME_RE.match(namespace) or len(namespace) > 63):
        problems.add(
            (*path, "namespace"), f"'{namespace}' is not a valid Kubernetes namespace name"
        )


def read_app_enabled(problems: Problems, section: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(("appEnabled",), "expected a list of component names")
        return ()
    if section != ADDONS and value:
        problems.add(("appEnabled",), "only the addons section turns components on with appEnabled")
    return tuple(value)


# --- the whole kit --------------------------------------------------------------------------


def check_app_enabled(doc: Document, section: Section) -> list[Problem]:
    problems = Problems(doc)
    names = tuple(c.name for c in section.components)
    for index, name in enumerate(section.app_enabled):
        if name not in names:
            problems.add(
                ("appEnabled", index),
                f"'{name}' is not a component of {section.name}" + did_you_mean(name, names),
            )
    return problems.found


def check_unique_names(
    docs: Mapping[str, Document], sections: tuple[Section, ...]
) -> list[Problem]:
    seen: dict[str, str] = {}
    found: list[Problem] = []
    for section in sections:
        problems = Problems(docs[section.name])
        for component in section.components:
            first = seen.setdefault(component.name, section.name)
            if first != section.name:
                problems.add(
                    ("components", component.name),
                    f"duplicate component name: already defined in section '{first}'",
                )
        found += problems.found
    return found


def build_kit(
    header: KitHeader, docs: Mapping[str, Document], ref: str | None
) -> tuple[Kit | None, list[Problem]]:
    """Combine the header and the section documents into a Kit, or report every problem."""
    found: list[Problem] = []
    sections: list[Section] = []
    for name, doc in docs.items():
        section, problems = read_section(name, doc)
        sections.append(section)
        found += problems + check_app_enabled(doc, section)
    found += check_unique_names(docs, tuple(sections))
    if found:
        return None, found
    kit = Kit(
        header.name, header.version, header.kubernetes, header.providers, tuple(sections), ref
    )
    return kit, []

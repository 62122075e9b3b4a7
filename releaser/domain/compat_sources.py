"""What each compatibility source says about one chart release on one Kubernetes target.

Sources (SPEC §6): the chart's `kubeVersion` (as Helm evaluates it), the upstream support
matrix, the deprecated-API table applied to the chart's templates, and the lifecycles
(Kubernetes upstream/EKS/GKE, the component's own). Each function returns findings; the
verdict combines them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from releaser.domain.api_scan import ApiChoice
from releaser.domain.charts import ChartRelease
from releaser.domain.constraints import Constraint, InvalidConstraint
from releaser.domain.deprecations import ApiUse, DeprecationTable, api_findings
from releaser.domain.findings import Finding, minor_tuple
from releaser.domain.lifecycle import ComponentLifecycles, component_eol_finding
from releaser.domain.matrix import SupportMatrix, matrix_finding, status_finding
from releaser.domain.profiles import (
    FALLBACK,
    PROFILES,
    MinorAnswer,
    Profile,
    describe_spans,
    minor_answer,
)
from releaser.domain.versions import KubeVersion

KUBE_SOURCE = "kubeVersion"
API_SOURCE = "deprecated-apis"
PROVIDER_BUILDS = {"eks": "-eks-", "gke": "-gke."}
Method = Literal["rendered", "scanned", "unavailable"]


@dataclass(frozen=True)
class Target:
    """One column: a minor (`1.35`) or an exact cluster version (`v1.35.2-eks-a737599`)."""

    label: str
    kube: KubeVersion
    exact: bool

    @classmethod
    def parse(cls, text: str) -> Target:
        """Raises InvalidVersion (exit 2) for anything that is not a Kubernetes version."""
        kube = KubeVersion.parse(text.strip())
        exact = kube.has_patch or kube.prerelease is not None or kube.build is not None
        label = text.strip() if exact else kube.minor_str
        return cls(label, kube, exact)

    @property
    def minor(self) -> str:
        return self.kube.minor_str

    @property
    def helm_version(self) -> str:
        """What `helm template --kube-version` gets: the exact version, or `MINOR.0`."""
        return self.kube.raw if self.exact else f"{self.minor}.0"

    @property
    def provider(self) -> str | None:
        """`eks`/`gke` when the exact version is that provider's build."""
        raw = self.kube.raw
        return next((p for p, mark in PROVIDER_BUILDS.items() if mark in raw), None)


# --------------------------------------------------------------------------- kubeVersion


def kube_version_findings(
    release: ChartRelease, target: Target, profile: Profile = FALLBACK
) -> list[Finding]:
    """Helm's check on `kubeVersion` as the deploy path `profile` makes it: exactly for a
    cluster version, over the patch range (releases and vendor builds) for a minor. When
    another deploy path answers differently, the message says which and how."""
    text = (release.kube_version or "").strip()
    if not text:
        return [Finding("unknown", KUBE_SOURCE, f"chart {release.version} declares no kubeVersion")]
    try:
        constraint = Constraint.parse(text)
    except InvalidConstraint as exc:
        return [Finding("fail", KUBE_SOURCE, f"kubeVersion `{text}` is malformed ({exc}): Helm "
                        "refuses to install this chart, whatever the cluster")]
    if target.exact:
        finding = _exact_finding(constraint, target.kube, profile)
        others = _exact_differences(constraint, target.kube, profile)
    else:
        finding = _minor_finding(constraint, target, profile)
        others = _minor_differences(constraint, target.kube, profile)
    if not others:
        return [finding]
    note = f"; other deploy paths differ: {'; '.join(others)}"
    return [Finding(finding.level, finding.source, finding.message + note, finding.url)]


def _exact_finding(constraint: Constraint, kube: KubeVersion, profile: Profile) -> Finding:
    seen = profile.seen(kube)
    verdict = constraint.evaluate(seen, profile.rules)
    sent = "" if seen.raw == kube.raw else f" ({profile.title} sends {_sent(profile, kube)})"
    if verdict.allowed:
        rule = " (pre-release rule)" if verdict.hinges_on_prerelease else ""
        return Finding("ok", KUBE_SOURCE, verdict.explanation + sent + rule)
    if verdict.hinges_on_prerelease:
        return Finding("fail", KUBE_SOURCE, f"rejected for its vendor suffix only: "
                       f"{verdict.explanation} (pre-release rule)")
    return Finding("fail", KUBE_SOURCE, f"out of range: {verdict.explanation}{sent}")


def _sent(profile: Profile, kube: KubeVersion) -> str:
    if profile.sends == "minor":
        return f"{kube.minor_str}, read as {kube.minor_str}.0"
    return profile.seen(kube).raw


def _exact_differences(constraint: Constraint, kube: KubeVersion, profile: Profile) -> list[str]:
    mine = profile.allows(constraint, kube)
    found = []
    for other in PROFILES:
        if other == profile or other.allows(constraint, kube) == mine:
            continue
        phrase = f"{kube} is rejected{_fix(constraint, other, kube)}" if mine else "it passes"
        found.append((other, phrase))
    return _grouped(found)


def _grouped(found: list[tuple[Profile, str]]) -> list[str]:
    """`under A and B: phrase`, one entry per distinct phrase, in profile order."""
    titles: dict[str, list[str]] = {}
    for other, phrase in found:
        titles.setdefault(phrase, []).append(other.title)
    return [f"under {_and(names)}: {phrase}" for phrase, names in titles.items()]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _fix(constraint: Constraint, profile: Profile, kube: KubeVersion) -> str:
    """` for its vendor suffix only: add -0 (...)` when only the suffix is rejected."""
    seen = profile.seen(kube)
    if not seen.prerelease or not constraint.allows(seen.without_prerelease(), profile.rules):
        if profile.sends == "minor":
            return f" (it sends {kube.minor_str}, read as {kube.minor_str}.0)"
        return ""
    return f" for its vendor suffix only: add `-0` (`{constraint.suggestion()}`)"


def _minor_finding(constraint: Constraint, target: Target, profile: Profile) -> Finding:
    minor = target.minor
    answer = minor_answer(profile, constraint, target.kube)
    shown = f"`{constraint.raw}`"
    if answer.none:
        plain = constraint.evaluate(KubeVersion.parse(f"{minor}.0"), profile.rules)
        detail = plain.explanation if not plain.allowed else f"no {minor} patch satisfies {shown}"
        sent = (f" ({profile.title} sends {minor}, read as {minor}.0, whatever the patch)"
                if profile.sends == "minor" else "")
        return Finding("fail", KUBE_SOURCE, f"out of range: {detail}{sent}")
    if not answer.every_release:
        part = describe_spans(minor, answer.releases or answer.vendor)
        return Finding("warn", KUBE_SOURCE, f"only part of {minor} satisfies {shown}: {part}; "
                       "clusters on other patches are rejected")
    if answer.every_vendor_build:
        return Finding("ok", KUBE_SOURCE, f"{minor} satisfies {shown}")
    some = f" (it admits them {describe_spans(minor, answer.vendor)} only)" if answer.vendor else ""
    return Finding(
        "warn",
        KUBE_SOURCE,
        f"{minor}.x satisfies {shown}, but {profile.title} rejects vendor builds of it{some} "
        f"(v{minor}.x-eks-…, {minor}.x-gke.…) for their suffix only: they are semver "
        f"pre-releases and the constraint lacks a pre-release comparator (pre-release rule); "
        f"upstream should write `{constraint.suggestion()}`",
    )


def _minor_differences(constraint: Constraint, minor: KubeVersion, profile: Profile) -> list[str]:
    mine = minor_answer(profile, constraint, minor)
    found = []
    for other in PROFILES:
        theirs = minor_answer(other, constraint, minor)
        if other != profile and theirs.key != mine.key:
            found.append((other, _minor_phrase(theirs, other, constraint)))
    return _grouped(found)


def _minor_phrase(answer: MinorAnswer, profile: Profile, constraint: Constraint) -> str:
    minor = answer.minor
    if answer.none:
        sent = (f" (it sends {minor}, read as {minor}.0)" if profile.sends == "minor" else "")
        return f"every {minor} cluster is rejected{sent}"
    if answer.every_release and answer.every_vendor_build:
        return f"every {minor} cluster passes"
    if answer.releases == answer.vendor:
        return f"only {describe_spans(minor, answer.releases)} passes"
    fix = f"add `-0` (`{constraint.suggestion()}`)"
    if answer.every_release and not answer.vendor:
        return (f"{minor} releases pass but their vendor builds (v{minor}.x-eks-…) are rejected "
                f"for the suffix only: {fix}")
    vendor = describe_spans(minor, answer.vendor) if answer.vendor else "none"
    return (f"releases pass {describe_spans(minor, answer.releases)}, vendor builds "
            f"(v{minor}.x-eks-…) {vendor}: {fix}")


# --------------------------------------------------------------------------- upstream matrix


def matrix_findings(
    name: str, release: ChartRelease | None, version: str, matrix: SupportMatrix | None,
    target: Target,
) -> list[Finding]:
    if matrix is None:
        return [Finding("unknown", "matrix", f"no upstream support matrix for {name} "
                        "in core/compatibility.yaml")]
    app = release.app_version if release else None
    return [matrix_finding(matrix, app, version, target.minor)]


def status_findings(
    name: str,
    release: ChartRelease | None,
    matrix: SupportMatrix | None,
    components: ComponentLifecycles | None,
    chart: str,
    today: date,
) -> list[Finding]:
    """The component's own standing: deprecated in its index, retired upstream, line EOL."""
    found = []
    if release is not None and release.deprecated:
        found.append(Finding("warn", "index", f"{name} {release.version} is marked "
                             "deprecated in its Helm repository index"))
    status = status_finding(matrix) if matrix is not None else None
    if status is not None:
        found.append(status)
    product = components.for_chart(chart) if components is not None else None
    if product is not None and release is not None and release.app_version:
        eol = component_eol_finding(product, release.app_version, today)
        if eol.level != "unknown":
            found.append(eol)
    return found


# --------------------------------------------------------------------------- deprecated APIs


@dataclass(frozen=True)
class ApiEvidence:
    """The apiVersion/kind choices of one chart release, and how they were obtained."""

    method: Method
    choices: tuple[ApiChoice, ...] = ()
    detail: str = ""  # "rendered with helm v3.6.2 --kube-version 1.35.0", or why unavailable


def _removed(table: DeprecationTable, api: str, kind: str, at: tuple[int, int]) -> str | None:
    entry = table.lookup(api, kind)
    if entry is None or entry.component != "k8s" or not entry.removed_in:
        return None
    removed = minor_tuple(entry.removed_in)
    return entry.removed_in if removed is not None and removed <= at else None


def _uses(
    choices: tuple[ApiChoice, ...], minor: str, table: DeprecationTable
) -> tuple[list[ApiUse], list[Finding]]:
    """ApiUse per candidate, conditional where the cluster picks and has a live option;
    documents that default values switch off give a warning instead of a failure."""
    at = minor_tuple(minor)
    assert at is not None
    uses: list[ApiUse] = []
    optional: list[Finding] = []
    for choice in choices:
        gone = {c: _removed(table, c, choice.kind, at) for c in choice.candidates}
        all_gone = all(gone.values())
        if all_gone and choice.off_by_default:
            apis = ", ".join(choice.candidates)
            when = ", ".join(sorted({v for v in gone.values() if v}))
            optional.append(Finding("warn", API_SOURCE, (
                f"{apis} {choice.kind} (removed in {when}) renders only when values turn on "
                f"`{choice.off_by_default}` (off by default); keep it off on {minor} "
                f"({choice.file})")))
            continue
        conditional = choice.by_cluster and (len(choice.candidates) == 1 or not all_gone)
        uses += [ApiUse(c, choice.kind, conditional, choice.file) for c in choice.candidates]
    return uses, optional


def api_source_findings(
    evidence: ApiEvidence | None, target: Target, table: DeprecationTable
) -> list[Finding]:
    if evidence is None or evidence.method == "unavailable":
        why = evidence.detail if evidence is not None else "chart release not found"
        return [Finding("unknown", API_SOURCE, f"templates not checked: {why}")]
    uses, optional = _uses(evidence.choices, target.minor, table)
    how = f" [{evidence.detail or evidence.method}]"
    found = [Finding(f.level, f.source, f.message + how, f.url) for f in
             api_findings(uses, target.minor, table)]
    if not found and not optional:
        found = [Finding("unknown", API_SOURCE, "no apiVersion/kind found in the chart" + how)]
    return found + optional

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
from releaser.domain.findings import Finding, Level, minor_tuple
from releaser.domain.lifecycle import ComponentLifecycles, component_eol_finding
from releaser.domain.matrix import SupportMatrix, matrix_finding, status_finding
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


def kube_version_findings(release: ChartRelease, target: Target) -> list[Finding]:
    """Helm's check on `kubeVersion`, exactly for a cluster version; for a minor, on
    `MINOR.0` and on a vendor build of it, to say when managed clusters hinge on `-0`."""
    text = (release.kube_version or "").strip()
    if not text:
        return [Finding("unknown", KUBE_SOURCE, f"chart {release.version} declares no kubeVersion")]
    try:
        constraint = Constraint.parse(text)
    except InvalidConstraint as exc:
        return [
            Finding(
                "warn",
                KUBE_SOURCE,
                f"kubeVersion `{text}` is malformed ({exc}); Helm cannot check it and "
                "refuses to install the chart",
            )
        ]
    if target.exact:
        verdict = constraint.evaluate(target.kube)
        level: Level = "ok" if verdict.allowed else "fail"
        note = " (pre-release rule)" if verdict.hinges_on_prerelease else ""
        return [Finding(level, KUBE_SOURCE, verdict.explanation + note)]
    return [_minor_finding(constraint, target)]


def _minor_finding(constraint: Constraint, target: Target) -> Finding:
    release = KubeVersion.parse(f"{target.minor}.0")
    plain = constraint.evaluate(release)
    if not plain.allowed:
        return Finding("fail", KUBE_SOURCE, plain.explanation)
    vendor = constraint.evaluate(KubeVersion.parse(f"v{target.minor}.0-eks-0"))
    if vendor.allowed:
        return Finding("ok", KUBE_SOURCE, f"{target.minor} satisfies `{constraint.raw}`")
    return Finding(
        "warn",
        KUBE_SOURCE,
        f"{target.minor}.x satisfies `{constraint.raw}`, but Helm rejects vendor builds of it "
        f"(v{target.minor}.x-eks-…, {target.minor}.x-gke.…): they are semver pre-releases and "
        f"the constraint has no pre-release comparator (pre-release rule); upstream should write "
        f"`{constraint.suggestion()}`",
    )


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

"""Evaluator profiles: how each way of deploying a chart judges its `kubeVersion` (SPEC §6).

Every path ends in the same call, `IsCompatibleRange(chart.kubeVersion, S)` =
`semver.NewConstraint(kubeVersion).Check(semver.NewVersion(S))` (helm/helm v3.18.6 and v3.19.0
pkg/chartutil/compatible.go, v4.0.0 pkg/chart/v2/util/compatible.go; called from
pkg/action/action.go `renderResources`; a constraint that does not parse answers false, so Helm
refuses the chart). Paths differ in two things only:

1. `S`, the cluster version string that reaches it:
   - `helm install`/`upgrade` on a live cluster: the server's `gitVersion`, vendor suffix and
     all (pkg/action/action.go `getCapabilities`: `Version: kubeVersion.GitVersion`, v3.18.6
     line 282, v3.19.0 line 282, v4.0.0 line 415).
   - `helm template --kube-version X` on Helm <= 3.18: `"v" + semver.NewVersion(X).String()`,
     suffix kept (v3.18.6 pkg/chartutil/capabilities.go `ParseKubeVersion`), so it answers as
     `helm install` does.
   - `helm template --kube-version X` on Helm >= 3.19 and 4.x: `"v" +
     k8s.io/apimachinery/pkg/util/version.ParseGeneric(X).String()`, which keeps the dotted
     numbers only (`v1.30.4-eks-a737599` -> `v1.30.4`; v3.19.0 pkg/chartutil/capabilities.go
     `ParseKubeVersion`, commit 807225ed6 "fix: k8s version parsing to match original"; v4.0.0
     pkg/chart/common/capabilities.go; apimachinery v0.34.0 pkg/util/version/version.go
     `versionMatchRE`).
   - Argo CD runs `helm template --kube-version S` (argo-cd util/helm/cmd.go `template`) with the
     version its controller read from the cluster:
     - up to 3.3: `MAJOR.MINOR` only (gitops-engine pkg/utils/kube/ctl.go `GetServerVersion`:
       `fmt.Sprintf("%s.%s", v.Major, v.Minor)`, argo-cd v3.3.0
       gitops-engine/pkg/utils/kube/ctl.go line 341), with `+` removed (util/text/text.go
       `SemVer`, v2.x-v3.0 reposerver/repository/repository.go) or passed through `ParseGeneric`
       (v3.1.0-v3.3.x `parseKubeVersion`): `1.30+` -> `1.30`, which Helm reads as 1.30.0.
     - from 3.4.0: `"v" + ParseGeneric(gitVersion).String()` = `v1.30.4` (argo-cd commit
       6a10ffe833 "fix: ensure compatibility of kubeversion.version with what helm returns",
       v3.4.0 gitops-engine/pkg/utils/kube/ctl.go line 342; docs/operator-manual/upgrading/
       3.3-3.4.md "More detailed cluster version"), then `parseKubeVersion` -> `1.30.4`.
2. The Masterminds/semver rules (helm/helm go.mod per tag; Masterminds CHANGELOG.md):
   Helm 3.12-3.18 require v3.2.1-v3.3.0 (a pre-release version is admitted only by a comparator
   that has a pre-release itself: rules "3.3"); Helm 3.19.0-3.21.0 and 4.0-4.1 require v3.4.0,
   3.21.1+ and 4.2+ v3.5.0 (one pre-release comparator admits pre-releases for its whole AND group,
   #267; v3.5.0 changes only error texts: rules "3.4"). Argo CD bundles Helm per
   hack/tool-versions.sh: 2.14 Helm 3.16.3, 3.0 3.17.1, 3.1-3.2 3.18.4, 3.3-3.4 3.19.4, 3.5 Helm
   4.2.1. A release version (`1.30.0`, `1.30.4`) gets the same answer under both rule sets, so
   the Argo CD profiles differ only in the string.

Helm before 3.12 (Masterminds <= v3.2.0) parsed some odd constraints differently; it is judged
with rules "3.3" (see the README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from releaser.domain.constraints import Constraint, PatchSpan, Rules
from releaser.domain.errors import UsageError
from releaser.domain.versions import KubeVersion

Sends = Literal["full", "stripped", "minor"]
# A vendor build's suffix as a pre-release: alphanumeric, so it sorts after `-0` like `eks-…`.
VENDOR_PRE = "eks-0"


@dataclass(frozen=True)
class Profile:
    """A deploy path: which cluster version string reaches Helm's check, under which rules."""

    name: str
    title: str  # how reasons name it: "Argo CD >= 3.4", "`helm install` (Helm <= 3.18)"
    sends: Sends  # full gitVersion | stripped vX.Y.Z | MAJOR.MINOR only
    rules: Rules
    summary: str

    def __str__(self) -> str:
        return self.name

    def seen(self, kube: KubeVersion) -> KubeVersion:
        """The version Masterminds compares for a cluster running `kube`."""
        if self.sends == "minor":
            return KubeVersion.parse(f"{kube.minor_str}.0")
        if self.sends == "stripped":
            return kube.without_prerelease()
        return kube

    def allows(self, constraint: Constraint, kube: KubeVersion) -> bool:
        return constraint.allows(self.seen(kube), self.rules)

    @property
    def vendor_suffix_matters(self) -> bool:
        return self.sends == "full"

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "rules": f"Masterminds {self.rules}",
                "sends": self.sends, "summary": self.summary}


HELM_INSTALL_318 = Profile(
    "helm-install-3.18", "`helm install` (Helm <= 3.18)", "full", "3.3",
    "helm install/upgrade on Helm 3.12-3.18 (and helm template --kube-version there): the "
    "cluster's gitVersion with its vendor suffix; Masterminds 3.3 (-0 on every comparator)",
)
HELM_INSTALL = Profile(
    "helm-install", "`helm install` (Helm >= 3.19)", "full", "3.4",
    "helm install/upgrade on Helm >= 3.19 and 4.x: the cluster's gitVersion with its vendor "
    "suffix; Masterminds 3.4 (one -0 comparator per AND group)",
)
HELM_TEMPLATE = Profile(
    "helm-template", "`helm template --kube-version` (Helm >= 3.19)", "stripped", "3.4",
    "helm template --kube-version on Helm >= 3.19 and 4.x: the vendor suffix is stripped "
    "(vX.Y.Z); Masterminds 3.4",
)
ARGOCD_33 = Profile(
    "argocd-3.3", "Argo CD <= 3.3", "minor", "3.4",
    "Argo CD up to 3.3: helm template --kube-version MAJOR.MINOR, so every cluster of a minor "
    "is judged as MAJOR.MINOR.0",
)
ARGOCD_34 = Profile(
    "argocd-3.4", "Argo CD >= 3.4", "stripped", "3.4",
    "Argo CD 3.4 and later: helm template --kube-version X.Y.Z (vendor suffix stripped), "
    "with Helm 3.19.4 (3.4) or Helm 4.2.1 (3.5)",
)
PROFILES: tuple[Profile, ...] = (HELM_INSTALL_318, HELM_INSTALL, HELM_TEMPLATE, ARGOCD_33,
                                 ARGOCD_34)
# Without a known deploy path the verdict is Helm's own on a live cluster (newest Helm).
FALLBACK = HELM_INSTALL

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?")


def profile_named(name: str) -> Profile:
    """Raises UsageError (exit 2) naming the known profiles."""
    found = next((p for p in PROFILES if p.name == name.strip()), None)
    if found is None:
        raise UsageError(f"unknown profile '{name}'", hint="one of " + ", ".join(profile_names()))
    return found


def profile_names() -> list[str]:
    return [p.name for p in PROFILES]


def _major_minor(text: str, what: str) -> tuple[int, int]:
    match = _VERSION_RE.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"invalid {what} version {text!r}: expected for example 3.4.4 or v3.4.4")
    return int(match[1]), int(match[2])


def for_argocd(version: str) -> Profile:
    """The profile of an Argo CD version (`v3.4.4`); raises UsageError when not a version."""
    return ARGOCD_34 if _major_minor(version, "Argo CD") >= (3, 4) else ARGOCD_33


def for_helm(version: str) -> Profile:
    """The profile of `helm install` with a Helm version (`3.17.2`)."""
    return HELM_INSTALL if _major_minor(version, "Helm") >= (3, 19) else HELM_INSTALL_318


def for_deploy(deploy: dict[str, str]) -> Profile:
    """`{argocd: v3.4.4}` or `{helm: 3.17.2}` (a fleet customer's `deploy:`)."""
    if "argocd" in deploy:
        return for_argocd(deploy["argocd"])
    if "helm" in deploy:
        return for_helm(deploy["helm"])
    raise UsageError("deploy: expected {argocd: VERSION} or {helm: VERSION}")


# --------------------------------------------------------------------------- a minor column


@dataclass(frozen=True)
class MinorAnswer:
    """What a profile answers for every cluster of one minor: the release patches it admits,
    and (where the suffix reaches Helm) the patches whose vendor builds it admits."""

    minor: str
    releases: tuple[PatchSpan, ...]
    vendor: tuple[PatchSpan, ...]

    @property
    def none(self) -> bool:
        return not self.releases and not self.vendor

    @property
    def every_release(self) -> bool:
        return _all(self.releases)

    @property
    def every_vendor_build(self) -> bool:
        return _all(self.vendor)

    @property
    def key(self) -> tuple[tuple[PatchSpan, ...], tuple[PatchSpan, ...]]:
        return (self.releases, self.vendor)


def _all(spans: tuple[PatchSpan, ...]) -> bool:
    return spans == (PatchSpan(0, None),)


def minor_answer(profile: Profile, constraint: Constraint, minor: KubeVersion) -> MinorAnswer:
    """The profile's answer over the patch range of `minor` (a `1.30` target)."""
    major, number = minor.major, minor.minor
    if profile.sends == "minor":  # one string for the whole minor: all or nothing
        passes = constraint.allows(KubeVersion.parse(f"{major}.{number}.0"), profile.rules)
        spans = (PatchSpan(0, None),) if passes else ()
        return MinorAnswer(minor.minor_str, spans, spans)
    releases = constraint.patches(major, number, "", profile.rules)
    vendor = (constraint.patches(major, number, VENDOR_PRE, profile.rules)
              if profile.vendor_suffix_matters else releases)
    return MinorAnswer(minor.minor_str, releases, vendor)


def describe_spans(minor: str, spans: tuple[PatchSpan, ...]) -> str:
    """`from 1.30.4`, `up to 1.30.9`, `1.30.2 to 1.30.5`, joined with `, `."""
    parts = []
    for span in spans:
        if span.high is None:
            parts.append(f"from {minor}.{span.low}" if span.low else f"every {minor} patch")
        elif span.low == 0:
            parts.append(f"up to {minor}.{span.high}")
        elif span.low == span.high:
            parts.append(f"{minor}.{span.low} only")
        else:
            parts.append(f"{minor}.{span.low} to {minor}.{span.high}")
    return ", ".join(parts) or "no patch"

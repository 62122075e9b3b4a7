"""Rebuild the packaged data snapshots from their public sources.

Sources: the endoflife.date API v1 (`GET {base}/products/{product}` answers
`{"result": {"name", "releases": [{"name", "releaseDate", "isEol", "eolFrom", "isEoas",
"eoasFrom", "isEoes", "eoesFrom", "latest": {"name", "date"}, …}]}}`) for Kubernetes,
Amazon EKS, Google GKE and the component products; FairwindsOps/pluto `versions.yaml` for
deprecated APIs, merged with the kube-no-trouble rules packaged in `kubent-rules.json`
(that project has published no rule update since 2025-01, so it is not fetched).

The same translation builds the packaged files (`scripts/build_datasets.py`) and the
refreshed copies, so both always share one format (documented in `releaser/data/PROVENANCE.md`).

Sites without internet download the same answers elsewhere and run `releaser data refresh
--from DIR` (`directory_snapshots`): `DIR/products/<product>.json` holds the answer of
`GET /api/v1/products/<product>` for kubernetes, amazon-eks, google-kubernetes-engine and
every product of `COMPONENT_PRODUCTS`, and `DIR/versions.yaml` is pluto's file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from releaser.adapters.datasets import load_kubent_rules
from releaser.adapters.http import FetchError, HttpClient, ResponseTooLarge
from releaser.adapters.yaml import load_values
from releaser.domain.errors import InvalidFileError, Problem, UpstreamError, UsageError
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.redaction import redact

Fetch = Callable[[str], bytes]
Doc = dict[str, Any]

UNCHANGED = "the packaged data snapshot is unchanged; retry later, or keep working with it offline"
MAX_BYTES = 10 * 1024 * 1024
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# endoflife.date product -> kit charts whose appVersion follows that product's release lines.
COMPONENT_PRODUCTS: dict[str, tuple[str, ...]] = {
    "argo-cd": ("argo-cd",),
    "cert-manager": ("cert-manager",),
    "grafana": ("grafana",),
    "grafana-loki": ("loki",),
    "prometheus": ("prometheus",),
    "istio": ("istiod", "base"),
    "karpenter": ("karpenter",),
    "keda": ("keda",),
    "flux": ("flux2",),
    "cilium": ("cilium",),
    "calico": ("tigera-operator",),
    "kyverno": ("kyverno",),
    "traefik": ("traefik",),
    "contour": ("contour",),
    "envoy": (),
}


@dataclass(frozen=True)
class UpstreamUrls:
    """Where refresh reads; point both at a mirror (or a test server) to stay offline."""

    endoflife: str = "https://endoflife.date/api/v1"
    pluto: str = "https://raw.githubusercontent.com/FairwindsOps/pluto/master/versions.yaml"
    products: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: COMPONENT_PRODUCTS)
    suffix: str = ""  # ".json" when the answers are files in a directory

    def product(self, name: str) -> str:
        return f"{self.endoflife.rstrip('/')}/products/{name}{self.suffix}"

    def every_product(self) -> list[str]:
        return [*LIFECYCLE_PRODUCTS, *self.products]

    @classmethod
    def in_directory(cls, root: Path) -> UpstreamUrls:
        """The `--from DIR` layout: `products/<product>.json` and `versions.yaml`."""
        return cls(endoflife=str(root), pluto=str(root / "versions.yaml"), suffix=".json")


LIFECYCLE_PRODUCTS = ("kubernetes", "amazon-eks", "google-kubernetes-engine")


def http_fetcher(client: HttpClient, max_bytes: int = MAX_BYTES) -> Fetch:
    """GET through the run's client (timeouts, deadline, retries, size cap on the
    decompressed body). Every failure is an UpstreamError naming the URL, redacted."""

    def fetch(url: str) -> bytes:
        try:
            return client.fetch(url, max_bytes=max_bytes).content
        except ResponseTooLarge as err:
            raise UpstreamError(
                f"{err.url} answered more than {max_bytes} bytes", hint=UNCHANGED
            ) from None
        except FetchError as err:
            raise UpstreamError(
                f"could not fetch {err.url}: {err.reason}", hint=UNCHANGED
            ) from None

    return fetch


# -- endoflife.date v1 -> snapshot documents --------------------------------------------


class UnexpectedAnswer(UpstreamError):
    """An answer that is not what the source documents (exit 4; a bad file under
    `--from DIR` becomes an InvalidFileError naming it)."""

    def __init__(self, url: str, what: str) -> None:
        super().__init__(f"unexpected answer from {redact(url)}: {what}", hint=UNCHANGED)
        self.url, self.what = url, what


def _bad(url: str, what: str) -> UnexpectedAnswer:
    return UnexpectedAnswer(url, what)


def releases_of(body: bytes, url: str) -> list[Doc]:
    """The `result.releases` list of an endoflife.date v1 product answer, checked."""
    try:
        releases = json.loads(body)["result"]["releases"]
    except (ValueError, KeyError, TypeError) as exc:
        raise _bad(url, f"no result.releases ({type(exc).__name__})") from exc
    if not isinstance(releases, list) or not all(
        isinstance(r, dict) and isinstance(r.get("name"), str) for r in releases
    ):
        raise _bad(url, "result.releases is not a list of named releases")
    for release in releases:
        for key in ("releaseDate", "eolFrom", "eoasFrom", "eoesFrom"):
            value = release.get(key)
            if value is not None and not (isinstance(value, str) and _DATE.match(value)):
                raise _bad(url, f"release {release['name']}: {key} is not a YYYY-MM-DD date")
    return releases


def _latest(release: Doc) -> str | None:
    latest = release.get("latest")
    return latest.get("name") if isinstance(latest, dict) else None


def lifecycle_document(
    kubernetes: list[Doc], eks: list[Doc], gke: list[Doc], *, snapshot: date, source: Doc
) -> Doc:
    """Merge the three products per minor, newest first."""
    by_eks = {r["name"]: r for r in eks}
    by_gke = {r["name"]: r for r in gke}
    minors = []
    for r in kubernetes:
        e, g = by_eks.get(r["name"], {}), by_gke.get(r["name"], {})
        minors.append(
            {
                "minor": r["name"],
                "upstream": {
                    "release": r.get("releaseDate"),
                    "endOfMaintenance": r.get("eoasFrom"),
                    "endOfLife": r.get("eolFrom"),
                    "latestPatch": _latest(r),
                },
                "eks": {
                    "release": e.get("releaseDate"),
                    "endOfStandardSupport": e.get("eolFrom"),
                    "endOfExtendedSupport": e.get("eoesFrom"),
                },
                "gke": {"release": g.get("releaseDate"), "endOfStandardSupport": g.get("eolFrom")},
            }
        )
    minors.sort(key=lambda m: tuple(int(p) for p in m["minor"].split(".")[:2]), reverse=True)
    return _document("kubernetes-lifecycle", snapshot, source, minors=minors)


def component_lifecycles_document(
    products: Mapping[str, list[Doc]],
    charts: Mapping[str, tuple[str, ...]],
    *,
    snapshot: date,
    source: Doc,
) -> Doc:
    rows = []
    for product, releases in products.items():
        rows.append(
            {
                "product": product,
                "charts": list(charts.get(product, ())),
                "link": f"https://endoflife.date/{product}",
                "releases": [
                    {
                        "cycle": r["name"],
                        "releaseDate": r.get("releaseDate"),
                        "eol": r.get("eolFrom"),
                        "isEol": r.get("isEol"),
                        "latest": _latest(r),
                    }
                    for r in releases
                ],
            }
        )
    return _document("component-lifecycles", snapshot, source, products=rows)


def _document(name: str, snapshot: date, source: Doc, **body: Any) -> Doc:
    return {"format": 1, "name": name, "date": snapshot.isoformat(), "source": source, **body}


# -- deprecated APIs: pluto versions.yaml + kube-no-trouble rules -------------------------


def _minor(version: Any) -> str | None:
    """`v1.25.0` -> `1.25`; empty or missing -> None."""
    if not isinstance(version, str) or not version.strip():
        return None
    parts = version.strip().lstrip("v").split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 else parts[0]


def _minor_key(minor: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in minor.split("."))


def pluto_entries(body: bytes, url: str) -> list[Doc]:
    try:
        data = load_values(body, redact(url))
        raw = data["deprecated-versions"]
    except (InvalidFileError, KeyError, TypeError) as exc:
        raise _bad(url, f"no deprecated-versions list ({type(exc).__name__})") from exc
    if not isinstance(raw, list) or not all(isinstance(e, dict) and "version" in e for e in raw):
        raise _bad(url, "deprecated-versions is not a list of {version, kind, …}")
    entries: dict[tuple[str, str], Doc] = {}
    for e in raw:
        api_version, kind = str(e["version"]), str(e.get("kind") or "")
        entry = {
            "apiVersion": api_version,
            "kind": kind,
            "component": str(e.get("component") or "k8s"),
            "deprecatedIn": _minor(e.get("deprecated-in")),
            "removedIn": _minor(e.get("removed-in")),
            "replacement": e.get("replacement-api") or None,
            "sources": ["pluto"],
        }
        entries.setdefault((api_version, kind), entry)  # pluto repeats some
    return list(entries.values())


def _merge_kubent(entry: Doc, rule: Doc) -> None:
    entry["sources"].append("kubent")
    removed = [m for m in (entry["removedIn"], rule.get("removedIn")) if m]
    if len(set(removed)) > 1:
        earliest = min(removed, key=_minor_key)
        entry["note"] = (
            f"sources disagree on the removal ({', '.join(sorted(set(removed)))}); "
            f"the earliest, {earliest}, is kept"
        )
        entry["removedIn"] = earliest
    entry["removedIn"] = entry["removedIn"] or rule.get("removedIn")
    entry["deprecatedIn"] = entry["deprecatedIn"] or rule.get("deprecatedSince")
    entry["replacement"] = entry["replacement"] or rule.get("replacementApi")


def deprecations_document(
    pluto: list[Doc], kubent_rules: Iterable[Doc], *, snapshot: date, source: Doc
) -> Doc:
    """pluto first; kube-no-trouble fills gaps and adds what pluto lacks."""
    merged = {(e["apiVersion"], e["kind"]): {**e, "sources": list(e["sources"])} for e in pluto}
    for rule in kubent_rules:
        key = (rule["apiVersion"], rule["kind"])
        if key in merged:
            _merge_kubent(merged[key], rule)
        else:
            merged[key] = {
                "apiVersion": rule["apiVersion"],
                "kind": rule["kind"],
                "component": "k8s",
                "deprecatedIn": rule.get("deprecatedSince"),
                "removedIn": rule.get("removedIn"),
                "replacement": rule.get("replacementApi"),
                "sources": ["kubent"],
            }
    return _document("deprecated-apis", snapshot, source, entries=list(merged.values()))


def _fetch_sources(
    fetch: Fetch, urls: UpstreamUrls, progress: Progress
) -> tuple[dict[str, list[Doc]], list[Doc]]:
    """Every product's releases and pluto's entries, each fetch counted on `progress`."""
    names = list(dict.fromkeys((*LIFECYCLE_PRODUCTS, *urls.products)))
    with batch(progress, len(names) + 1, "fetching") as bar:

        def counted(url: str) -> bytes:
            bar.advance(url)
            return fetch(url)

        products = {name: releases_of(counted(urls.product(name)), urls.product(name))
                    for name in names}
        return products, pluto_entries(counted(urls.pluto), urls.pluto)


def fetch_snapshots(
    fetch: Fetch, urls: UpstreamUrls, kubent_rules: Iterable[Doc], today: date,
    progress: Progress | None = None,
) -> dict[str, Doc]:
    """Fetch every source first, then build all three documents: all or nothing."""
    products, pluto = _fetch_sources(fetch, urls, progress or NoProgress())
    k8s, eks, gke = (products[name] for name in LIFECYCLE_PRODUCTS)
    if not k8s:
        raise _bad(urls.product("kubernetes"), "no Kubernetes releases")
    components = {name: products[name] for name in urls.products}
    eol_source = {
        "description": "endoflife.date API v1",
        "urls": [urls.product(p) for p in LIFECYCLE_PRODUCTS],
        "commit": None,
        "fetched": today.isoformat(),
    }
    comp_source = {**eol_source, "urls": [urls.product(p) for p in urls.products]}
    dep_source = {
        "description": "FairwindsOps/pluto versions.yaml + kube-no-trouble rules (packaged)",
        "urls": [urls.pluto],
        "commit": None,
        "fetched": today.isoformat(),
    }
    return {
        "kubernetes-lifecycle": lifecycle_document(
            k8s, eks, gke, snapshot=today, source=eol_source
        ),
        "deprecated-apis": deprecations_document(
            pluto, kubent_rules, snapshot=today, source=dep_source
        ),
        "component-lifecycles": component_lifecycles_document(
            components, urls.products, snapshot=today, source=comp_source
        ),
    }


def upstream_snapshots(
    fetch: Fetch, urls: UpstreamUrls | None = None, today: date | None = None,
    progress: Progress | None = None,
) -> Callable[[], dict[str, Doc]]:
    """The `fetch_snapshots` callable `releaser.app.data.refresh` expects, wired to HTTP."""

    def build() -> dict[str, Doc]:
        return fetch_snapshots(
            fetch,
            urls or UpstreamUrls(),
            load_kubent_rules(),
            today or date.today(),
            progress,
        )

    return build


# -- `releaser data refresh --from DIR`: the same answers, read from files ---------------

FROM_HINT = (
    "--from DIR needs products/<product>.json (endoflife.date API v1 answers) for "
    "kubernetes, amazon-eks, google-kubernetes-engine and each component product, and "
    "pluto's versions.yaml; see releaser/data/PROVENANCE.md"
)


def directory_snapshots(root: Path, today: date) -> Callable[[], dict[str, Doc]]:
    """The `fetch_snapshots` callable for answers saved as files under `root`. The snapshot
    is dated by its oldest file (never after `today`): data copied in is no fresher than
    when it was downloaded."""

    def build() -> dict[str, Doc]:
        urls = UpstreamUrls.in_directory(root)
        files = [Path(urls.product(name)) for name in urls.every_product()]
        dated = min([today, *(_day_of(path) for path in [*files, Path(urls.pluto)])])
        try:
            return fetch_snapshots(_read_file, urls, load_kubent_rules(), dated)
        except UnexpectedAnswer as err:
            problem = Problem(err.url, None, "", f"not the expected answer: {err.what}")
            raise InvalidFileError([problem], hint=FROM_HINT) from None

    if not root.is_dir():
        raise UsageError(f"--from {root}: not a directory", hint=FROM_HINT)
    return build


def _day_of(path: Path) -> date:
    """The file's modification day; a missing or unreadable file is an invalid input."""
    try:
        return datetime.fromtimestamp(path.stat().st_mtime).date()
    except OSError as exc:
        reason = "missing" if isinstance(exc, FileNotFoundError) else exc.strerror or str(exc)
        raise InvalidFileError([Problem(str(path), None, "", reason)], hint=FROM_HINT) from None


def _read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise InvalidFileError([Problem(path, None, "", reason)], hint=FROM_HINT) from None
    if len(data) > MAX_BYTES:
        problem = Problem(path, None, "", f"larger than {MAX_BYTES} bytes")
        raise InvalidFileError([problem], hint=FROM_HINT)
    return data

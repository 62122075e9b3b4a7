"""`OciChartSource` against a real registry process (Debian's docker-registry) on 127.0.0.1.

Bearer tokens, blob redirects and pagination come from `FrontProxy` in tests/registry.py,
because distribution 2.8 does none of them without an external auth service; the registry
itself stores and serves every manifest and blob.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from releaser.adapters.http import HttpClient
from releaser.adapters.oci import OciChartSource, OciRef, tag_to_version
from releaser.adapters.oci_registry import RegistryClient, is_loopback
from releaser.domain.charts import ChartChange
from releaser.domain.errors import UpstreamError
from releaser.settings import HttpSettings, Settings
from tests.registry import (
    PASSWORD,
    USER,
    DemoRegistries,
    FrontProxy,
    Registry,
    demo_registries,
    free_port,
    push_chart,
    running_registry,
)

CLIENT = HttpClient(HttpSettings(retries=0, deadline=20))  # one per run, as in releaser

@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> DemoRegistries:
    return demo_registries(tmp_path_factory)


@pytest.fixture
def plain(registries: DemoRegistries) -> Registry:
    return registries.plain


@contextmanager
def proxy(registry: Registry, **options: object) -> Iterator[FrontProxy]:
    front = FrontProxy(registry.host, **options).start()  # type: ignore[arg-type]
    try:
        yield front
    finally:
        front.stop()


@pytest.fixture
def bearer(plain: Registry) -> Iterator[FrontProxy]:
    with proxy(plain) as front:
        yield front


def source(tmp_path: Path, **options: object) -> OciChartSource:
    return OciChartSource(CLIENT, tmp_path / "cache", **options)  # type: ignore[arg-type]


def versions(found: list[object]) -> list[str]:
    return [r.version for r in found]  # type: ignore[attr-defined]


def test_lists_chart_versions_newest_first_skipping_artifacts(
    plain: Registry, tmp_path: Path
) -> None:
    releases = source(tmp_path).releases(f"oci://{plain.host}/charts", "demo")
    # Semver order; the non-SemVer tag is kept (sorted first, never "latest" elsewhere).
    assert versions(releases) == ["1.3.0-rc.1", "1.2.4+build1", "v1.2.3", "nightly"]


def test_metadata_comes_from_each_config_blob(plain: Registry, tmp_path: Path) -> None:
    by_version = {
        r.version: r for r in source(tmp_path).releases(f"oci://{plain.host}/charts", "demo")
    }
    first = by_version["v1.2.3"]
    assert (first.name, first.app_version, first.kube_version) == ("demo", "1.2.3", ">=1.25.0-0")
    assert (first.description, first.home) == ("A demo chart", "https://example.com/demo")
    assert first.sources == ("https://github.com/example/demo",)
    assert first.created == datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert first.changes[0] == ChartChange(
        "added", "Support for Gateway API", ("https://github.com/example/demo/pull/1",)
    )
    assert first.digest and first.digest.startswith("sha256:")
    assert by_version["1.2.4+build1"].kube_version == ">=1.28.0"
    assert by_version["1.3.0-rc.1"].deprecated is True
    assert by_version["1.3.0-rc.1"].kube_version is None
    assert by_version["nightly"].created is None
    assert by_version["nightly"].description == "floating tag"


def test_paginated_tag_list_is_followed_through_link_headers(
    plain: Registry, tmp_path: Path
) -> None:
    with proxy(plain, token=None, page_size=2) as front:
        found = source(tmp_path).releases(f"oci://{front.host}/charts", "demo")
        pages = [p for p in front.log if "/tags/list" in p]
    assert versions(found) == ["1.3.0-rc.1", "1.2.4+build1", "v1.2.3", "nightly"]
    assert len(pages) == 3  # 6 tags, the server caps pages at 2
    assert "last=" in pages[1]


def test_client_page_size_is_sent_as_n(plain: Registry, tmp_path: Path) -> None:
    with proxy(plain, token=None, page_size=100) as front:
        source(tmp_path, page_size=1).releases(f"oci://{front.host}/charts", "demo")
        pages = [p for p in front.log if "/tags/list" in p]
    assert len(pages) == 6 and all("n=1" in p for p in pages)


def test_anonymous_bearer_token_handshake(bearer: FrontProxy, tmp_path: Path) -> None:
    found = source(tmp_path).releases(f"oci://{bearer.host}/charts", "demo")
    assert len(found) == 4
    assert bearer.token_requests[0] == {
        "service": "test-registry",
        "scope": "repository:charts/demo:pull",
    }
    assert len(bearer.token_requests) == 1  # one token serves the concurrent fetches


def test_blob_redirects_are_followed_without_leaking_the_token(
    bearer: FrontProxy, tmp_path: Path
) -> None:
    source(tmp_path).releases(f"oci://{bearer.host}/charts", "demo")
    redirected = [(p, a) for p, a in bearer.authorization if p.startswith("/_blobs/")]
    assert len(redirected) == 4  # one config blob per chart version
    assert all(auth is None for _, auth in redirected)


def test_access_token_field_is_accepted(plain: Registry, tmp_path: Path) -> None:
    with proxy(plain, token_field="access_token") as front:
        assert len(source(tmp_path).releases(f"oci://{front.host}/charts", "demo")) == 4


def test_token_service_gets_basic_credentials(plain: Registry, tmp_path: Path) -> None:
    with proxy(plain, credentials=("bob", "t0ken-pw")) as front:
        url = f"oci://{front.host}/charts"
        known = front.host
        creds = source(
            tmp_path, credentials=lambda host: ("bob", "t0ken-pw") if host == known else None
        )
        assert len(creds.releases(url, "demo")) == 4
        with pytest.raises(UpstreamError, match=r"token service of .* answered 401") as err:
            source(tmp_path / "anon").releases(url, "demo")
        wrong = source(tmp_path / "wrong", credentials=lambda host: ("bob", "WRONG-secret"))
        with pytest.raises(UpstreamError, match="credentials were refused") as err2:
            wrong.releases(url, "demo")
    assert "WRONG-secret" not in str(err2.value) and "t0ken" not in str(err.value)


def test_basic_auth_registry(registries: DemoRegistries, tmp_path: Path) -> None:
    url = f"oci://{registries.basic.host}/charts"
    good = source(tmp_path, credentials=lambda host: (USER, PASSWORD))
    assert versions(good.releases(url, "demo")) == ["v1.2.3"]
    with pytest.raises(UpstreamError, match="needs credentials"):
        source(tmp_path / "a").releases(url, "demo")
    with pytest.raises(UpstreamError, match="refused") as err:
        source(tmp_path / "b", credentials=lambda host: (USER, "not-" + PASSWORD)).releases(
            url, "demo"
        )
    assert PASSWORD not in str(err.value) and USER not in str(err.value)


def test_credentials_in_the_url_are_used_and_never_shown(
    registries: DemoRegistries, tmp_path: Path
) -> None:
    host = registries.basic.host
    good = source(tmp_path).releases(f"oci://{USER}:{PASSWORD}@{host}/charts", "demo")
    assert versions(good) == ["v1.2.3"]
    with pytest.raises(UpstreamError) as err:
        source(tmp_path).releases(f"oci://{USER}:{PASSWORD}@{host}/charts", "missing")
    assert PASSWORD not in str(err.value)
    assert f"oci://***@{host}/charts/missing" in str(err.value)


def test_unknown_repository_is_chart_not_found(plain: Registry, tmp_path: Path) -> None:
    with pytest.raises(UpstreamError) as err:
        source(tmp_path).releases(f"oci://{plain.host}/charts", "nope")
    assert str(err.value) == (
        f"oci://{plain.host}/charts/nope: chart not found on {plain.host} "
        "(NAME_UNKNOWN: repository name not known to registry)"
    )
    assert err.value.exit_code == 4


def test_registry_down_is_one_line(tmp_path: Path) -> None:
    host = f"127.0.0.1:{free_port()}"
    with pytest.raises(UpstreamError) as err:
        source(tmp_path).releases(f"oci://{host}/charts", "demo")
    assert (
        str(err.value)
        == f"oci://{host}/charts/demo: cannot reach registry {host}: connection refused"
    )


def test_second_run_only_lists_tags(plain: Registry, tmp_path: Path) -> None:
    with proxy(plain, token=None) as front:
        url = f"oci://{front.host}/charts"
        first = OciChartSource(CLIENT, Settings.from_env().cache.oci).releases(url, "demo")  # the cache dir follows XDG_CACHE_HOME
        count = len(front.log)
        second = OciChartSource(CLIENT, Settings.from_env().cache.oci).releases(url, "demo")
        again = front.log[count:]
    assert first == second
    assert again == ["/v2/charts/demo/tags/list?n=1000"]
    cached = Path(os.environ["XDG_CACHE_HOME"], "releaser/oci/manifests/sha256")
    assert len(list(cached.glob("*.json"))) == 4


def test_new_versions_are_fetched_on_the_next_run(tmp_path: Path) -> None:
    for registry in running_registry(tmp_path / "reg"):
        url = f"oci://{registry.host}/charts"
        push_chart(registry, "charts/app", {"name": "app", "version": "1.0.0"})
        assert versions(source(tmp_path).releases(url, "app")) == ["1.0.0"]
        push_chart(
            registry, "charts/app", {"name": "app", "version": "1.1.0", "kubeVersion": ">=1.30.0"}
        )
        latest = source(tmp_path).releases(url, "app")[0]
    assert (latest.version, latest.kube_version) == ("1.1.0", ">=1.30.0")


def test_mirror_rewrite_is_applied_and_both_urls_are_named(plain: Registry, tmp_path: Path) -> None:
    def rewrite(url: str) -> str:
        return url.replace("oci://quay.io/example", f"oci://{plain.host}/charts")

    mirrored = source(tmp_path, rewrite=rewrite)
    assert len(mirrored.releases("oci://quay.io/example", "demo")) == 4
    with pytest.raises(UpstreamError) as err:
        mirrored.releases("oci://quay.io/example", "nope")
    assert str(err.value).startswith(
        f"oci://quay.io/example/nope (via mirror oci://{plain.host}/charts/nope): chart not found"
    )


def test_download_chart_returns_the_verified_archive(plain: Registry, tmp_path: Path) -> None:
    data = source(tmp_path).download_chart(f"oci://{plain.host}/charts", "demo", "1.2.4+build1")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile("demo/Chart.yaml")
        assert member is not None
        assert yaml.safe_load(member.read())["version"] == "1.2.4+build1"
    with pytest.raises(UpstreamError, match=r"version tag 9\.9\.9 not found"):
        source(tmp_path).download_chart(f"oci://{plain.host}/charts", "demo", "9.9.9")
    with pytest.raises(UpstreamError, match="not a Helm chart"):
        source(tmp_path).download_chart(f"oci://{plain.host}/charts", "demo", "image-1.0.0")


def test_oversized_responses_are_refused(plain: Registry) -> None:
    client = RegistryClient(CLIENT, plain.host, "charts/demo", "oci://x/demo")
    with pytest.raises(UpstreamError, match="larger than 0 KiB"):
        client.get(client.url("tags/list"), limit=10)


@pytest.mark.parametrize(
    ("tag", "version"),
    [
        ("1.2.4_build1", "1.2.4+build1"),
        ("v1.2.3", "v1.2.3"),
        ("sha256-abc.sig", None),
        (f"sha256-{'a' * 64}.att", None),
        (f"sha256-{'b' * 64}.sbom", None),
        (f"sha256-{'c' * 64}", None),
        ("latest", "latest"),
    ],
)
def test_tag_to_version(tag: str, version: str | None) -> None:
    assert tag_to_version(tag) == version


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("localhost", True),
        ("[::1]:5000", True),
        ("127.1.2.3", True),
        ("ghcr.io", False),
        ("registry-1.docker.io:443", False),
        ("10.0.0.1:5000", False),
    ],
)
def test_plain_http_only_for_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    client = RegistryClient(CLIENT, host, "x/y", "oci://x/y")
    assert client.base.startswith("http://" if loopback else "https://")


def test_oci_ref_parsing() -> None:
    ref = OciRef.parse("oci://u:p%40ss@ghcr.io/Org/charts/", "cert-manager")
    assert (ref.host, ref.repository, ref.userinfo) == (
        "ghcr.io",
        "org/charts/cert-manager",
        ("u", "p@ss"),
    )
    assert OciRef.parse("oci://registry-1.docker.io", "nginx").repository == "nginx"
    with pytest.raises(UpstreamError, match="not an oci://"):
        OciRef.parse("https://charts.example.com", "x")


def test_the_wired_oci_cache_follows_releaser_cache_dir(
    plain: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from releaser.cli.container import Container

    monkeypatch.setenv("RELEASER_CACHE_DIR", str(tmp_path / "moved"))
    found = Container().oci_source.releases(f"oci://{plain.host}/charts", "demo")
    assert found
    assert list((tmp_path / "moved" / "oci" / "tags").glob("*.json"))
    assert not Path(os.environ["XDG_CACHE_HOME"], "releaser", "oci").exists()

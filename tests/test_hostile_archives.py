"""Hostile and broken chart archives, downloaded from a real HTTP server on 127.0.0.1.

Each archive is built here with tarfile/gzip and served as a Helm repository would serve it.
Every case ends in a clear `ArchiveError` (exit 4) or a safe skip of the offending member:
never a traceback, never a byte written outside the cache, never a hostile archive cached.
A chart that passes is still upstream input when helm renders it: its output is bounded in
bytes and time.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.adapters.chart_archive import ArchiveError, ArchiveLimits, ChartArchiveStore
from releaser.adapters.helm_render import HelmRenderer, RenderError
from releaser.adapters.http import HttpClient
from releaser.cli.main import app
from releaser.domain.api_scan import ChartScan
from releaser.domain.charts import ChartRelease
from releaser.domain.errors import ExitCode, UpstreamError
from tests.compat_support import chart_archive, write_chart_repo
from tests.helm_support import helm_or_skip
from tests.helmrepos import write_mirrors
from tests.kitrepo import make_kit_repo
from tests.servers import Fault, FileServer

REPO = "https://charts.example.test/stable"
CHART_YAML = b"apiVersion: v2\nname: demo\nversion: 1.0.0\n"
INGRESS = b"apiVersion: extensions/v1beta1\nkind: Ingress\n"
MiB = 1024 * 1024
SMALL = ArchiveLimits(compressed=2 * MiB, decompressed=1 * MiB, members=50, file=256 * 1024)


@dataclass(frozen=True)
class Member:
    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    link: str = ""


def tgz(*members: Member) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.type = member.kind
            info.linkname = member.link
            info.size = len(member.data) if member.kind == tarfile.REGTYPE else 0
            tar.addfile(info, io.BytesIO(member.data) if member.kind == tarfile.REGTYPE else None)
    return buffer.getvalue()


def chart(*extra: Member) -> bytes:
    """A valid `demo` chart (Chart.yaml and an Ingress template) plus `extra` members."""
    return tgz(Member("demo/Chart.yaml", CHART_YAML),
               Member("demo/templates/ingress.yaml", INGRESS), *extra)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def server() -> Iterator[FileServer]:
    with FileServer() as srv:
        yield srv


@dataclass
class Site:
    """One archive served at /demo-1.0.0.tgz and a store whose cache is `root/cache`."""

    root: Path
    server: FileServer

    def scan(self, body: bytes, digest: str | None = None,
             limits: ArchiveLimits = SMALL) -> list[tuple[str, tuple[str, ...]]]:
        self.server.route_bytes("/demo-1.0.0.tgz", body)
        release = ChartRelease("demo", "1.0.0", urls=("demo-1.0.0.tgz",),
                               digest=sha256(body) if digest is None else digest)
        store = ChartArchiveStore(self.root / "cache", HttpClient(), self._mirror, limits=limits)
        scan = store.scan(REPO, "demo", release)
        return [(c.kind, c.candidates) for c in scan.choices]

    def _mirror(self, url: str) -> str:
        return url.replace(REPO, self.server.url)

    def files(self) -> set[str]:
        """Every file under the test's directory, relative to it."""
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*") if not p.is_dir()}

    def cached(self) -> set[str]:
        return {name.rsplit(".", 1)[-1] for name in self.files() if name.startswith("cache/")}


@pytest.fixture
def site(tmp_path: Path, server: FileServer) -> Site:
    return Site(tmp_path, server)


def test_a_valid_archive_is_scanned_and_cached(site: Site) -> None:
    assert site.scan(chart()) == [("Ingress", ("extensions/v1beta1",))]
    assert site.cached() == {"tgz", "json"}


# --------------------------------------------------------------------------- digests


def test_an_archive_that_does_not_match_the_index_digest_is_refused_and_not_cached(
    site: Site,
) -> None:
    genuine, tampered = chart(), chart(Member("demo/templates/x.yaml", b"kind: A\n"))
    with pytest.raises(ArchiveError) as refused:
        site.scan(tampered, digest=sha256(genuine))
    assert isinstance(refused.value, UpstreamError) and refused.value.exit_code == ExitCode.UPSTREAM
    assert "demo 1.0.0" in refused.value.message
    assert "does not match the index digest" in refused.value.message
    assert site.cached() == set()


def test_a_digest_written_with_its_algorithm_prefix_is_accepted(site: Site) -> None:
    body = chart()
    assert site.scan(body, digest="sha256:" + sha256(body).upper()) != []


def test_an_index_digest_that_is_no_sha256_is_refused(site: Site) -> None:
    with pytest.raises(ArchiveError, match="is not a sha256"):
        site.scan(chart(), digest="md5:0123")
    assert site.cached() == set()


def test_an_index_without_digest_cannot_be_checked_and_is_read(site: Site) -> None:
    assert site.scan(chart(), digest="") == [("Ingress", ("extensions/v1beta1",))]


# --------------------------------------------------------------------------- sizes and counts


def test_a_gzip_bomb_stops_at_the_decompressed_limit(site: Site) -> None:
    bomb = chart(Member("demo/README.md", bytes(10 * MiB)))  # 10 MiB of zeros
    assert len(bomb) < 20 * 1024
    started = time.perf_counter()
    with pytest.raises(ArchiveError, match="unpacks to more than 1048576 bytes"):
        site.scan(bomb)
    assert time.perf_counter() - started < 2
    assert site.cached() == set()


@pytest.mark.parametrize("filler", [b"\0", b"A"], ids=["zeros", "letters"])
def test_a_gzip_bomb_that_is_no_tar_stops_at_its_first_block(site: Site, filler: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(ArchiveError, match=r"demo: (no demo/Chart.yaml|not a readable)"):
        site.scan(gzip.compress(filler * (50 * MiB)), limits=ArchiveLimits())
    assert time.perf_counter() - started < 2


def test_a_huge_member_that_is_skipped_still_counts(site: Site) -> None:
    # Not a chart file, so never read, but tar must still decompress past it.
    skipped = chart(Member("demo/blob.bin", b"\x5a" * (3 * MiB)))
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        site.scan(skipped)


def test_the_default_limit_stops_a_large_bomb_quickly(site: Site) -> None:
    bomb = chart(Member("demo/zeros", bytes(80 * MiB)))
    started = time.perf_counter()
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        site.scan(bomb, limits=ArchiveLimits())
    assert time.perf_counter() - started < 3


def test_too_many_members_are_refused(site: Site) -> None:
    many = chart(*(Member(f"demo/files/{i}.txt", b"x") for i in range(60)))
    with pytest.raises(ArchiveError, match="more than 50 files in the archive"):
        site.scan(many)


def test_an_oversized_compressed_archive_is_refused_before_it_is_read(site: Site) -> None:
    noise = hashlib.shake_256(b"seed").digest(3 * MiB)  # incompressible
    with pytest.raises(UpstreamError, match="exceeds the limit of 2097152"):
        site.scan(chart(Member("demo/noise", noise)))
    assert site.cached() == set()


# --------------------------------------------------------------------------- unsafe members


@pytest.mark.parametrize(
    "member",
    [
        Member("demo/../../escape/templates/x.yaml", INGRESS),
        Member("../demo/templates/x.yaml", INGRESS),
        Member("/demo/templates/x.yaml", INGRESS),
        Member("/etc/cron.d/releaser", b"* * * * * root true\n"),
        Member("demo/templates/passwd.yaml", kind=tarfile.SYMTYPE, link="/etc/passwd"),
        Member("demo/templates/up.yaml", kind=tarfile.SYMTYPE, link="../../../../etc/passwd"),
        Member("demo/templates/hard.yaml", kind=tarfile.LNKTYPE, link="demo/templates/ingress.yaml"),
        Member("demo/templates/hard-out.yaml", kind=tarfile.LNKTYPE, link="/etc/passwd"),
        Member("demo/templates/tty.yaml", kind=tarfile.CHRTYPE),
        Member("demo/templates/disk.yaml", kind=tarfile.BLKTYPE),
        Member("demo/templates/fifo.yaml", kind=tarfile.FIFOTYPE),
        Member("demo\\templates\\win.yaml", INGRESS),
    ],
    ids=lambda m: m.name,
)
def test_unsafe_members_are_skipped_and_nothing_lands_outside_the_cache(
    site: Site, member: Member
) -> None:
    before = site.files()
    assert site.scan(chart(member)) == [("Ingress", ("extensions/v1beta1",))]
    written = site.files() - before
    assert written and all(name.startswith("cache/") for name in written)
    assert {name.rsplit(".", 1)[-1] for name in written} == {"tgz", "json"}


# --------------------------------------------------------------------------- broken bodies


@pytest.mark.parametrize(
    "body",
    [
        chart()[:-200],  # truncated: the gzip stream ends early
        chart()[:40],  # cut inside the first block
        b"<html><body>Service Unavailable</body></html>",  # not gzip at all
        gzip.compress(b"this is not a tar archive " * 100),
        b"",
        gzip.compress(b"")[:5],
    ],
    ids=["truncated", "cut-early", "html", "gzip-not-tar", "empty", "broken-header"],
)
def test_broken_bodies_are_a_clear_upstream_error(site: Site, body: bytes) -> None:
    with pytest.raises(ArchiveError, match=r"demo: (not a readable chart archive|no demo/Chart.yaml)"):
        site.scan(body)
    assert site.cached() == set()


def test_a_body_cut_by_the_server_is_an_upstream_error(site: Site) -> None:
    body = chart()
    site.server.fault("/demo-1.0.0.tgz", Fault(truncate=len(body) // 2))
    with pytest.raises(UpstreamError):
        site.scan(body)
    assert site.cached() == set()


# --------------------------------------------------------------------------- through the CLI


def _kit(path: Path) -> Path:
    component = {"repoURL": REPO, "chart": "demo", "version": "1.0.0", "namespace": "demo",
                 "values": {}}
    return make_kit_repo(path, components={"base": {"demo": component}, "aws": {}, "gcp": {},
                                           "addons": {}}, kubernetes=("1.35", "1.36"))


@pytest.mark.parametrize(
    ("indexed", "served", "message"),
    [
        (chart(), chart(Member("demo/templates/x.yaml", b"kind: A\n")),
         "does not match the index digest"),
        (b"<html>not found</html>", b"<html>not found</html>", "not a readable chart archive"),
    ],
    ids=["wrong-digest", "not-gzip"],
)
def test_compat_reports_a_hostile_archive_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, indexed: bytes, served: bytes, message: str
) -> None:
    monkeypatch.setenv("RELEASER_HTTP_RETRIES", "0")
    monkeypatch.setenv("RELEASER_TODAY", "2026-11-22")
    monkeypatch.setenv("RELEASER_CACHE_DIR", str(tmp_path / "cache"))
    index_dir = write_chart_repo(tmp_path / "repo", {("demo", "1.0.0"): (indexed, None)})
    with FileServer(root=index_dir) as srv:
        srv.fault("/demo-1.0.0.tgz", Fault(body=served))
        mirrors = write_mirrors(tmp_path / "mirrors.yaml", srv, {REPO: srv.url})
        argv = ["--kit", str(_kit(tmp_path / "kit")), "--mirrors", str(mirrors), "--json"]
        result = CliRunner().invoke(app, [*argv, "compat", "--no-render"])
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.stderr and "demo" in result.stderr
    cell = {c["name"]: c for c in json.loads(result.stdout)["components"]}["demo"]
    api = [r for r in cell["verdicts"]["1.35"]["reasons"] if r["source"] == "deprecated-apis"]
    assert api and api[0]["level"] == "unknown" and message in api[0]["message"]
    # Never a pass on an archive that was not verified: exit 0 lets the other sources decide
    # (the API source says unknown), 4 when the command fails closed on it.
    assert result.exit_code in (0, ExitCode.UPSTREAM)
    assert not list((tmp_path / "cache").rglob("*.tgz"))


# --------------------------------------------------------------------------- rendered by helm


@pytest.fixture
def helm() -> str:
    return helm_or_skip()


def _scan_of(path: Path, template: str) -> ChartScan:
    path.write_bytes(chart_archive("demo", "1.0.0", {"loop.yaml": template}))
    return ChartScan("demo", "1.0.0", sha256(path.read_bytes()), (), str(path))


def test_a_chart_that_prints_without_end_stops_at_the_output_limit(
    tmp_path: Path, helm: str
) -> None:
    scan = _scan_of(tmp_path / "demo.tgz", "{{ range until 100000 }}a: {{ . }}\n{{ end }}")
    renderer = HelmRenderer(helm, tmp_path / "helm", timeout=30, max_output=256 * 1024)
    with pytest.raises(RenderError, match="helm printed more than 262144 bytes"):
        renderer.render(scan, "1.35.0")
    assert not list((tmp_path / "helm").rglob("*.yaml*"))  # nothing cached


def test_a_chart_that_loops_without_output_stops_at_the_timeout(tmp_path: Path, helm: str) -> None:
    loop = "{{ range until 20000 }}{{ range until 20000 }}{{ end }}{{ end }}"
    scan = _scan_of(tmp_path / "demo.tgz", loop)
    renderer = HelmRenderer(helm, tmp_path / "helm", timeout=2)
    renderer.describe()  # helm's own start-up is not what is timed
    started = time.perf_counter()
    with pytest.raises(RenderError, match="did not finish within 2 s"):
        renderer.render(scan, "1.35.0")
    assert time.perf_counter() - started < 4


def test_a_chart_that_fails_shows_one_bounded_line(tmp_path: Path, helm: str) -> None:
    scan = _scan_of(tmp_path / "demo.tgz", '{{ fail (repeat 5000 "x") }}')
    with pytest.raises(RenderError) as failed:
        HelmRenderer(helm, tmp_path / "helm").render(scan, "1.35.0")
    assert "\n" not in failed.value.message and len(failed.value.message) <= 500

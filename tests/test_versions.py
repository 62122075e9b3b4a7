"""Kit, chart and Kubernetes versions (SPEC §3)."""

from __future__ import annotations

import pytest
import semver
from hypothesis import given
from hypothesis import strategies as st

from releaser.domain.errors import ExitCode, UsageError
from releaser.domain.versions import (
    ChartVersion,
    InvalidVersion,
    KitVersion,
    KubeVersion,
    change_kind,
    minor_key,
    minor_range,
    newest,
    next_minor,
    next_release,
    parse_minor,
    sorted_minors,
)

# --------------------------------------------------------------------------- KitVersion


@pytest.mark.parametrize(
    ("text", "fields"),
    [("2024.3", (2024, 3, None)), ("2024.3.1", (2024, 3, 1)), ("2025.12.10", (2025, 12, 10))],
)
def test_kit_version_parses_calver(text: str, fields: tuple[int, int, int | None]) -> None:
    v = KitVersion.parse(text)
    assert (v.year, v.n, v.patch) == fields
    assert str(v) == text


@pytest.mark.parametrize(
    "text",
    [
        "2024",
        "2024.0",
        "2024.3.0",
        "24.3",
        "02024.3",
        "2024.03",
        "v2024.3",
        "2024.3.1.1",
        "",
        " 2024.3",
        "2024.3\n",
        "2024.x",
        "２０２４.3",
    ],
)
def test_kit_version_rejects_malformed_text_with_usage_error(text: str) -> None:
    with pytest.raises(InvalidVersion, match=r"YYYY\.N") as caught:
        KitVersion.parse(text)
    assert isinstance(caught.value, UsageError)
    assert caught.value.exit_code == ExitCode.USAGE


def test_kit_versions_order_numerically_not_textually() -> None:
    texts = ["2024.10", "2024.9", "2024.9.2", "2023.12", "2024.9.10", "2025.1"]
    ordered = sorted(KitVersion.parse(t) for t in texts)
    assert [str(v) for v in ordered] == [
        "2023.12",
        "2024.9",
        "2024.9.2",
        "2024.9.10",
        "2024.10",
        "2025.1",
    ]


def test_kit_version_branch_release_and_patch_properties() -> None:
    hotfix = KitVersion.parse("2024.3.2")
    assert hotfix.branch == "release/2024.3"
    assert hotfix.release == KitVersion(2024, 3)
    assert hotfix.is_patch
    assert not hotfix.release.is_patch
    assert str(hotfix.next_patch()) == "2024.3.3"
    assert str(KitVersion.parse("2024.3").next_patch()) == "2024.3.1"


@pytest.mark.parametrize(
    ("branch", "expected"),
    [
        ("release/2024.3", KitVersion(2024, 3)),
        ("release/2024.3.1", None),
        ("release/2024", None),
        ("main", None),
        ("feature/release/2024.3", None),
        ("release/2024.03", None),
    ],
)
def test_kit_version_from_branch(branch: str, expected: KitVersion | None) -> None:
    assert KitVersion.from_branch(branch) == expected


def test_next_release_counts_within_the_year_and_ignores_hotfixes() -> None:
    existing = [KitVersion.parse(t) for t in ["2023.4", "2024.1", "2024.2", "2024.2.3"]]
    assert next_release(existing, 2024) == KitVersion(2024, 3)
    assert next_release(existing, 2025) == KitVersion(2025, 1)
    assert next_release([], 2024) == KitVersion(2024, 1)


@pytest.mark.parametrize(("year", "n", "patch"), [(999, 1, None), (2024, 0, None), (2024, 1, 0)])
def test_kit_version_constructor_refuses_impossible_parts(
    year: int, n: int, patch: int | None
) -> None:
    with pytest.raises(InvalidVersion):
        KitVersion(year, n, patch)


def test_next_release_refuses_a_year_older_than_existing_releases() -> None:
    with pytest.raises(InvalidVersion, match=r"2025\.1 already exists"):
        next_release([KitVersion(2025, 1)], 2024)


kit_versions = st.builds(
    KitVersion,
    st.integers(1000, 9999),
    st.integers(1, 500),
    st.one_of(st.none(), st.integers(1, 500)),
)


@given(kit_versions)
def test_kit_version_str_parse_round_trip(v: KitVersion) -> None:
    assert KitVersion.parse(str(v)) == v


@given(kit_versions, kit_versions)
def test_kit_version_order_agrees_with_tuples(a: KitVersion, b: KitVersion) -> None:
    ta, tb = (a.year, a.n, a.patch or 0), (b.year, b.n, b.patch or 0)
    assert (a < b) == (ta < tb)
    assert (a == b) == (ta == tb)
    assert (a <= b) == (ta <= tb)


# --------------------------------------------------------------------------- ChartVersion


@pytest.mark.parametrize(
    ("raw", "is_semver", "prerelease"),
    [
        ("1.2.3", True, False),
        ("v1.17.1", True, False),  # cert-manager
        ("1.13.2-r2", True, True),  # SemVer with pre-release r2
        ("2.0.0-rc.1+build.5", True, True),
        ("1.0.0+build", True, False),
        ("0.1", False, False),
        ("9.10.01", False, False),  # leading zero
        ("01.2.3", False, False),
        ("1.2.3-01", False, False),  # numeric pre-release with a leading zero
        ("V1.2.3", False, False),
        ("vv1.2.3", False, False),
        ("1.2.3\n", False, False),
        ("", False, False),
        ("latest", False, False),
        ("١.٢.٣", False, False),  # non-ASCII digits
    ],
)
def test_chart_version_parse_keeps_raw_and_reads_semver(
    raw: str, is_semver: bool, prerelease: bool
) -> None:
    v = ChartVersion.parse(raw)
    assert v.raw == raw
    assert str(v) == raw
    assert v.is_semver is is_semver
    assert v.is_prerelease is prerelease
    if not is_semver:
        assert (v.semver, v.major, v.minor, v.patch) == (None, None, None, None)


def test_chart_version_parts() -> None:
    v = ChartVersion.parse("v1.13.2-r2")
    assert (v.major, v.minor, v.patch) == (1, 13, 2)
    assert v.semver == semver.Version.parse("1.13.2-r2")


def test_chart_versions_sort_non_semver_first_then_by_precedence() -> None:
    raws = ["1.10.0", "0.1", "1.9.0", "v1.9.1", "1.10.0-rc.1", "9.10.01", "1.10.0-alpha", "1.9.0+b"]
    ordered = [v.raw for v in sorted(ChartVersion.parse(r) for r in raws)]
    assert ordered == [
        "0.1",
        "9.10.01",
        "1.9.0",
        "1.9.0+b",
        "v1.9.1",
        "1.10.0-alpha",
        "1.10.0-rc.1",
        "1.10.0",
    ]


def test_chart_version_equality_is_on_raw_text() -> None:
    assert ChartVersion.parse("1.2.3") == ChartVersion.parse("1.2.3")
    assert ChartVersion.parse("v1.2.3") != ChartVersion.parse("1.2.3")
    assert len({ChartVersion.parse("1.2.3"), ChartVersion.parse("1.2.3")}) == 1


def test_comparison_with_other_types_is_not_supported() -> None:
    with pytest.raises(TypeError):
        _ = ChartVersion.parse("1.2.3") < "1.2.4"
    with pytest.raises(TypeError):
        _ = KitVersion(2024, 1) < "2024.2"


@pytest.mark.parametrize(
    ("old", "new", "kind"),
    [
        ("1.2.3", "1.2.4", "patch"),
        ("1.2.3", "1.3.0", "minor"),
        ("1.2.3", "2.0.0", "major"),
        ("v1.2.3", "1.2.4", "patch"),
        ("2.0.0", "1.9.0", "major"),  # a downgrade is sized the same way
        ("0.9.1", "0.10.0", "major"),  # 0.y: the minor is the breaking step
        ("0.9.1", "0.9.2", "patch"),
        ("0.9.1", "1.0.0", "major"),
        ("1.2.3-rc.1", "1.2.3", "other"),
        ("1.2.3", "1.2.3+build", "other"),
        ("1.2.3", "1.2.3", "other"),
        ("0.1", "1.2.3", "other"),
        ("1.2.3", "9.10.01", "other"),
    ],
)
def test_change_kind(old: str, new: str, kind: str) -> None:
    assert change_kind(ChartVersion.parse(old), ChartVersion.parse(new)) == kind


def test_newest_skips_non_semver_and_prereleases_by_default() -> None:
    versions = [ChartVersion.parse(r) for r in ["9.10.01", "1.2.0", "2.0.0-rc.1", "1.10.0", "99"]]
    assert newest(versions) == ChartVersion.parse("1.10.0")
    assert newest(versions, include_prerelease=True) == ChartVersion.parse("2.0.0-rc.1")
    assert newest([ChartVersion.parse("0.1"), ChartVersion.parse("9.10.01")]) is None
    assert newest([]) is None


@given(st.text())
def test_chart_version_parse_never_raises(raw: str) -> None:
    v = ChartVersion.parse(raw)
    assert v.raw == raw
    assert isinstance(v.sort_key, tuple)


_ident = st.from_regex(r"\A(0|[1-9][0-9]{0,3}|[0-9]{0,2}[A-Za-z-][0-9A-Za-z-]{0,4})\Z")
semver_texts = st.builds(
    lambda v, pre, build, prefix: (
        prefix
        + f"{v[0]}.{v[1]}.{v[2]}"
        + (f"-{'.'.join(pre)}" if pre else "")
        + (f"+{build}" if build else "")
    ),
    st.tuples(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30)),
    st.lists(_ident, max_size=3),
    st.one_of(st.none(), st.from_regex(r"\A[0-9A-Za-z-]{1,5}\Z")),
    st.sampled_from(["", "v"]),
)


@given(semver_texts, semver_texts)
def test_semver_chart_version_order_agrees_with_semver_compare(a: str, b: str) -> None:
    va, vb = ChartVersion.parse(a), ChartVersion.parse(b)
    assert va.semver is not None and vb.semver is not None
    expected = va.semver.compare(vb.semver)
    if expected < 0:
        assert va < vb
    elif expected > 0:
        assert va > vb
    else:
        assert (va == vb) == (a == b)


# --------------------------------------------------------------------------- KubeVersion


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ("1.30", (1, 30, None, None, None)),
        ("1.30.4", (1, 30, 4, None, None)),
        ("v1.30.4", (1, 30, 4, None, None)),
        ("v1.30.4-eks-a737599", (1, 30, 4, "eks-a737599", None)),
        ("1.30.5-gke.1014001", (1, 30, 5, "gke.1014001", None)),
        ("v1.30.2+k3s1", (1, 30, 2, None, "k3s1")),
        ("v1.27.1-3136+af29f64acbf9e6-dirty", (1, 27, 1, "3136", "af29f64acbf9e6-dirty")),
    ],
)
def test_kube_version_parses_vendor_builds(
    raw: str, fields: tuple[int, int, int | None, str | None, str | None]
) -> None:
    v = KubeVersion.parse(raw)
    assert (v.major, v.minor, v.patch, v.prerelease, v.build) == fields
    assert v.raw == raw == str(v)
    assert v.minor_str == "1." + str(fields[1])
    assert v.has_patch is (fields[2] is not None)


def test_kube_version_without_prerelease_keeps_release_number() -> None:
    v = KubeVersion.parse("v1.30.4-eks-a737599").without_prerelease()
    assert (v.major, v.minor, v.patch, v.prerelease, v.raw) == (1, 30, 4, None, "1.30.4")
    assert KubeVersion.parse("1.36").release_str == "1.36.0"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "1",
        "v1",
        "latest",
        "1.30.4.1",
        "1.30-",
        "1.30.4-eks..x",
        "1.30.4-01",
        "1.x",
        "1.30 ",
        "V1.30",
    ],
)
def test_kube_version_rejects_garbage(raw: str) -> None:
    with pytest.raises(InvalidVersion, match="Kubernetes version"):
        KubeVersion.parse(raw)


def test_minor_helpers() -> None:
    assert parse_minor("1.30") == (1, 30)
    assert parse_minor("v1.9") == (1, 9)
    assert minor_range("1.28", "1.31") == ["1.28", "1.29", "1.30", "1.31"]
    assert minor_range("1.30", "1.30") == ["1.30"]
    assert next_minor("1.36") == "1.37"
    assert next_minor("1.9") == "1.10"
    assert sorted_minors(["1.10", "v1.9", "1.9", "1.30"]) == ["1.9", "1.10", "1.30"]
    assert sorted(["1.10", "1.9"], key=minor_key) == ["1.9", "1.10"]


@pytest.mark.parametrize("bad", ["1", "1.30.4", "x.y", ""])
def test_parse_minor_rejects_non_minors(bad: str) -> None:
    with pytest.raises(InvalidVersion, match=r"MAJOR\.MINOR"):
        parse_minor(bad)


def test_minor_range_errors() -> None:
    with pytest.raises(InvalidVersion, match="above"):
        minor_range("1.31", "1.28")
    with pytest.raises(InvalidVersion, match="majors differ"):
        minor_range("1.30", "2.1")

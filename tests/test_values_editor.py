"""`set_scalar`: one value changes, every other byte of the file stays as it was."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml

from releaser.adapters.yaml.edit import ExactTextFiles, find_scalar, set_scalar
from releaser.domain.errors import InvalidFileError
from tests.test_yaml_hostile import BOMB

VALUES = """\
# Core kit, base section.   Keep this header.
global:
  domain: example.com   # customers override this

defaults: &defaults
  namespace: shared
  version: 9.9.9

components:
  # --- certificates ---
  cert-manager:
    repoURL: https://charts.jetstack.io
    chart: cert-manager
    version: "v1.20.2"          # double-quoted
    namespace: cert-manager
    values: {crds: {enabled: true}, replicaCount: 2}

  ingress-nginx:
    repoURL:   https://kubernetes.github.io/ingress-nginx
    chart: ingress-nginx
    version: '4.14.1'
    namespace: ingress-nginx
    values:
      controller:
        # odd    spacing kept
        replicaCount: 2

  sealed-secrets: {repoURL: oci://ghcr.io/bitnami, chart: sealed-secrets, version: 2.17.1, namespace: kube-system}

  reloader:
    <<: *defaults
    repoURL: https://stakater.github.io/stakater-charts
    chart: reloader
    version: 1.2.3 # pinned: see issue 42
    namespace: reloader
    values: &reloader-values
      reloader:
        watchGlobally: false

  reloader-copy:
    repoURL: https://stakater.github.io/stakater-charts
    chart: reloader
    version: &shared 2.0.0
    namespace: reloader2
    values: *reloader-values

  reloader-twin:
    repoURL: https://stakater.github.io/stakater-charts
    chart: reloader
    version: *shared
    namespace: reloader3

  merged:
    <<: *defaults
    repoURL: https://example.com/charts
    chart: merged
"""


def changed_lines(old: str, new: str) -> list[tuple[str, str]]:
    """(removed, added) line pairs: the whole diff of an edit."""
    diff = [d for d in difflib.ndiff(old.splitlines(True), new.splitlines(True)) if d[0] in "+-"]
    removed = [d[2:] for d in diff if d[0] == "-"]
    added = [d[2:] for d in diff if d[0] == "+"]
    return list(zip(removed, added, strict=True))


@pytest.mark.parametrize(
    ("component", "new", "old_line", "new_line"),
    [
        (
            "cert-manager",
            "v1.21.1",
            '    version: "v1.20.2"          # double-quoted\n',
            '    version: "v1.21.1"          # double-quoted\n',
        ),
        ("ingress-nginx", "4.15.0", "    version: '4.14.1'\n", "    version: '4.15.0'\n"),
        (
            "reloader",
            "1.10.0+build.7",
            "    version: 1.2.3 # pinned: see issue 42\n",
            "    version: 1.10.0+build.7 # pinned: see issue 42\n",
        ),
    ],
)
def test_only_the_version_changes_and_quoting_is_kept(
    component: str, new: str, old_line: str, new_line: str
) -> None:
    edited = set_scalar(VALUES, ("components", component, "version"), new)
    assert changed_lines(VALUES, edited) == [(old_line, new_line)]


def test_flow_mapping_value_is_edited_in_place() -> None:
    edited = set_scalar(VALUES, ("components", "sealed-secrets", "version"), "2.18.0")
    [(old, new)] = changed_lines(VALUES, edited)
    assert new == old.replace("version: 2.17.1", "version: 2.18.0")
    assert yaml.safe_load(edited)["components"]["sealed-secrets"]["version"] == "2.18.0"


def test_anchored_scalar_keeps_its_anchor_only_when_unshared() -> None:
    text = "a:\n  version: &v 1.0.0  # note\nb: 1\n"
    assert set_scalar(text, ("a", "version"), "1.1.0") == "a:\n  version: &v 1.1.0  # note\nb: 1\n"


def test_value_shared_through_an_alias_is_refused() -> None:
    with pytest.raises(InvalidFileError, match="shared through a YAML anchor") as err:
        set_scalar(VALUES, ("components", "reloader-twin", "version"), "3.0.0", file="v.yaml")
    assert err.value.problems[0].file == "v.yaml"
    with pytest.raises(InvalidFileError, match="shared through a YAML anchor"):
        set_scalar(VALUES, ("components", "reloader-copy", "version"), "3.0.0")


def test_value_from_a_merge_key_is_refused_with_a_reason() -> None:
    with pytest.raises(InvalidFileError, match="merge key") as err:
        set_scalar(VALUES, ("components", "merged", "version"), "3.0.0", file="v.yaml")
    assert err.value.problems[0].path == "components.merged.version"


def test_direct_key_next_to_a_merge_key_is_editable() -> None:
    edited = set_scalar(VALUES, ("components", "reloader", "version"), "1.3.0")
    data = yaml.safe_load(edited)
    assert data["components"]["reloader"]["version"] == "1.3.0"
    assert data["defaults"]["version"] == "9.9.9"


def test_plain_value_that_would_change_type_is_double_quoted() -> None:
    text = "x:\n  version: 1.2.3   # c\n"
    assert set_scalar(text, ("x", "version"), "1.10") == 'x:\n  version: "1.10"   # c\n'
    assert set_scalar(text, ("x", "version"), "a: b") == 'x:\n  version: "a: b"   # c\n'


def test_quotes_inside_values_are_escaped_in_the_same_style() -> None:
    assert set_scalar("v: 'a'\n", ("v",), "it's") == "v: 'it''s'\n"
    assert set_scalar('v: "a"\n', ("v",), 'say "hi"') == 'v: "say \\"hi\\""\n'


def test_crlf_and_unicode_are_preserved() -> None:
    text = "# café\r\ncomponents:\r\n  x:\r\n    version: 1.0.0\r\n    note: ünïcode\r\n"
    edited = set_scalar(text, ("components", "x", "version"), "1.0.1")
    assert edited == text.replace("1.0.0", "1.0.1")


def test_unchanged_value_returns_identical_text() -> None:
    assert set_scalar(VALUES, ("components", "ingress-nginx", "version"), "4.14.1") is VALUES


def test_multi_document_files_and_sequence_indexes() -> None:
    text = "kind: A\nspec: {rev: main}\n---\nkind: B\nspec:\n  sources:\n    - rev: r1\n    - rev: r2 # two\n"
    edited = set_scalar(text, ("spec", "sources", 1, "rev"), "r3", document=1)
    assert edited == text.replace("rev: r2 # two", "rev: r3 # two")


def test_find_scalar_reports_line_and_style() -> None:
    span = find_scalar(VALUES, ("components", "cert-manager", "version"))
    assert (span.line, span.style, span.value) == (14, '"', "v1.20.2")
    assert VALUES[span.start : span.end] == '"v1.20.2"'


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("components", "nope", "version"), "components.nope: not found"),
        (("components", "cert-manager", "values"), "expected a scalar"),
        (("components", "cert-manager", "version", "x"), "not found"),
    ],
)
def test_bad_paths_are_reported_with_file_and_line(path: tuple[str, ...], message: str) -> None:
    with pytest.raises(InvalidFileError, match=message) as err:
        set_scalar(VALUES, path, "1.0.0", file="core/base/values.yaml")
    assert str(err.value).startswith("core/base/values.yaml:")


def test_block_scalars_and_broken_yaml_are_refused() -> None:
    with pytest.raises(InvalidFileError, match="multi-line"):
        set_scalar("v: |\n  1.0.0\n", ("v",), "2.0.0")
    with pytest.raises(InvalidFileError, match="YAML syntax error"):
        set_scalar("v: [1.0.0\n", ("v",), "2.0.0")
    with pytest.raises(InvalidFileError, match="no YAML document"):
        set_scalar("", ("v",), "2.0.0")


def test_exact_text_files_keep_bytes_and_mode(tmp_path: Path) -> None:
    target = tmp_path / "core/values.yaml"
    target.parent.mkdir()
    target.write_bytes(b"a: 1\r\n")
    target.chmod(0o640)
    files = ExactTextFiles(tmp_path)
    assert files.read_text("core/values.yaml") == "a: 1\r\n"
    files.write_text("core/values.yaml", "a: 2\r\n")
    assert target.read_bytes() == b"a: 2\r\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert files.read_text("core/missing.yaml") is None
    assert [p.name for p in target.parent.iterdir()] == ["values.yaml"]


def test_hostile_files_are_refused_before_any_edit() -> None:
    for text, line, words in (
        (BOMB.decode() + "version: 1.0.0\n", 6, "too many nodes"),
        ("version: 1.0.0\nx: &r [*r]\n", 2, "recursive alias"),
        ("version: 1.0.0\nx: !!python/name:os.system ''\n", 2, "unsupported tag"),
    ):
        with pytest.raises(InvalidFileError, match=f"^v.yaml:{line}: .*{words}"):
            set_scalar(text, ("version",), "2.0.0", file="v.yaml")


def test_undecodable_bytes_are_kept_for_the_loader_to_name(tmp_path: Path) -> None:
    (tmp_path / "v.yaml").write_bytes(b"version: 1.0.0\nnote: caf\xe9\n")
    text = ExactTextFiles(tmp_path).read_text("v.yaml")
    assert text is not None
    with pytest.raises(InvalidFileError, match=r"^v.yaml:2: not UTF-8"):
        set_scalar(text, ("version",), "2.0.0", file="v.yaml")

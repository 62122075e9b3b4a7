"""The mirror map: longest prefix, whole path segments, trailing slashes, file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from releaser.adapters.mirrors import Mirrors
from releaser.domain.errors import InvalidFileError, UsageError
from tests.helmrepos import run_check
from tests.kitrepo import make_kit_repo

MAP = Mirrors({
    "https://charts.example.com": "http://127.0.0.1:8080/example",
    "https://charts.example.com/team/": "http://127.0.0.1:8080/team-mirror/",
    "oci://quay.io/jetstack/charts": "oci://127.0.0.1:5000/jetstack",
})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://charts.example.com", "http://127.0.0.1:8080/example"),
        ("https://charts.example.com/", "http://127.0.0.1:8080/example"),
        ("https://charts.example.com/other", "http://127.0.0.1:8080/example/other"),
        ("https://charts.example.com/team", "http://127.0.0.1:8080/team-mirror"),  # longest wins
        ("https://charts.example.com/team/sub/", "http://127.0.0.1:8080/team-mirror/sub"),
        ("https://charts.example.com/teamwork", "http://127.0.0.1:8080/example/teamwork"),  # segments
        ("HTTPS://Charts.Example.COM/x", "http://127.0.0.1:8080/example/x"),  # case of scheme/host
        ("https://u:p@charts.example.com/x", "http://127.0.0.1:8080/example/x"),  # creds not carried
        ("oci://quay.io/jetstack/charts", "oci://127.0.0.1:5000/jetstack"),
        ("https://charts.example.org", "https://charts.example.org"),  # unmapped: unchanged
        ("http://charts.example.com", "http://charts.example.com"),  # other scheme: unchanged
        ("https://[bad]/x", "https://[bad]/x"),  # unparseable: unchanged, no exception
        ("https://charts.example.com:port/x", "https://charts.example.com:port/x"),
    ],
)
def test_apply(url: str, expected: str) -> None:
    assert MAP.apply(url) == expected


def test_load_valid_and_empty(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("https://a.io: http://127.0.0.1:1/a\n", encoding="utf-8")
    assert Mirrors.load(path).apply("https://a.io/x") == "http://127.0.0.1:1/a/x"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert len(Mirrors.load(path)) == 0
    assert len(Mirrors.load(None)) == 0


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("https://a.io: http://m/a\nhttps://b.io: 42\n", 2, "the mirror must be a URL string"),
        ("https://a.io: http://m/a\nftp://b.io: http://m/b\n", 2, "must be an http(s):// or oci:// URL"),
        ("https://a.io: oci://m/a\n", 1, "cannot be mirrored by an oci one"),
        ("https://a.io: [x]\n", 1, "the mirror must be a URL string"),
        ("- https://a.io\n", 1, "expected a mapping"),
        ("https://a.io: http://m/a\nhttps://a.io: http://m/b\n", 2, "duplicate key"),
        ("https://a.io: [http://m\n", 2, "YAML syntax error"),
    ],
)
def test_invalid_file_names_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "mirrors.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidFileError) as err:
        Mirrors.load(path)
    assert f"{path}:{line}:" in str(err.value) and message in str(err.value)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not found"):
        Mirrors.load(tmp_path / "nope.yaml")


def test_cli_invalid_mirrors_exit_3_and_env_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kit = make_kit_repo(tmp_path / "kit")
    bad = tmp_path / "bad.yaml"
    bad.write_text("https://a.io: 1\n", encoding="utf-8")
    result = run_check(kit, bad)
    assert result.exit_code == 3 and f"{bad}:1:" in result.stderr
    monkeypatch.setenv("RELEASER_MIRRORS", str(bad))
    result = run_check(kit, None)
    assert result.exit_code == 3 and f"{bad}:1:" in result.stderr


@pytest.mark.parametrize("key", ["https://[not-an-ip]/x", "https://a.io:99999/x", "https://a.io:port/"])
def test_unparseable_upstream_urls_are_reported_with_their_line(tmp_path: Path, key: str) -> None:
    path = tmp_path / "mirrors.yaml"
    path.write_text(f"https://ok.io: https://m.io\n'{key}': https://m.io/x\n", encoding="utf-8")
    with pytest.raises(InvalidFileError, match=f"^{path}:2: .*must be an http"):
        Mirrors.load(path)

"""Progress display and HTTP settings from the environment."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import pytest

from releaser.cli.progress import TerminalProgress, stderr_progress
from releaser.domain.errors import UsageError
from releaser.domain.progress import NoProgress
from releaser.settings import HttpSettings, Settings


def http_options(env: Mapping[str, str]) -> HttpSettings:
    return Settings.from_env(env).http


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    return Settings.from_env(env).cache.root


def test_progress_line_is_rewritten_and_cleared() -> None:
    stream = io.StringIO()
    bar = TerminalProgress(stream)
    bar.start(2, "checking")
    bar.advance("cert-manager")
    bar.advance("loki")
    bar.finish()
    text = stream.getvalue()
    assert "checking 1/2 cert-manager" in text and "checking 2/2 loki" in text
    assert text.endswith("\r\x1b[2K")  # the line is gone when the table prints


def test_no_progress_when_stderr_is_not_a_terminal() -> None:
    assert isinstance(stderr_progress(), NoProgress)  # pytest captures stderr: not a TTY


def test_http_options_from_environment() -> None:
    opts = http_options({"RELEASER_HTTP_TIMEOUT": "2.5", "RELEASER_HTTP_RETRIES": "0",
                         "RELEASER_HTTP_MAX_BYTES": "1000", "RELEASER_HTTP_BACKOFF": "0"})
    assert (opts.read_timeout, opts.connect_timeout, opts.retries, opts.max_bytes, opts.backoff) == (2.5, 2.5, 0, 1000, 0)
    defaults = http_options({})
    assert defaults.max_bytes == 100 * 1024 * 1024 and defaults.retries == 3


@pytest.mark.parametrize("env", [{"RELEASER_HTTP_RETRIES": "many"}, {"RELEASER_HTTP_TIMEOUT": "-1"}, {"RELEASER_HTTP_MAX_BYTES": "1.5"}])
def test_bad_http_settings_are_usage_errors(env: dict[str, str]) -> None:
    with pytest.raises(UsageError, match=next(iter(env))):
        http_options(env)


def test_cache_root_follows_xdg_and_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "releaser"
    assert cache_root({"RELEASER_CACHE_DIR": str(tmp_path / "c")}) == tmp_path / "c"

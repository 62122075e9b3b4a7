"""The one settings object: every RELEASER_* variable, read once, validated, frozen."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from releaser.domain.errors import UsageError
from releaser.settings import HttpSettings, Settings


def test_defaults_without_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({"RELEASER_CACHE_DIR": str(tmp_path)})
    assert settings.http == HttpSettings()
    assert settings.fleet is None and settings.mirrors is None and settings.today is None


def test_cache_dir_covers_every_cache(tmp_path: Path) -> None:
    cache = Settings.from_env({"RELEASER_CACHE_DIR": str(tmp_path)}).cache
    dirs = [cache.indexes, cache.checks, cache.charts, cache.oci, cache.helm,
            cache.customers, cache.kits]
    assert all(d.parent == tmp_path for d in dirs)
    assert len(set(dirs)) == len(dirs)


def test_every_variable_is_read(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "RELEASER_CACHE_DIR": str(tmp_path / "c"),
            "RELEASER_DATA_DIR": str(tmp_path / "d"),
            "RELEASER_FLEET": "f.yaml",
            "RELEASER_MIRRORS": "m.yaml",
            "RELEASER_TODAY": "2026-03-01",
            "RELEASER_HTTP_TIMEOUT": "5",
            "RELEASER_HTTP_DEADLINE": "7.5",
            "RELEASER_HTTP_RETRIES": "1",
            "RELEASER_HTTP_BACKOFF": "0",
            "RELEASER_HTTP_MAX_BYTES": "1000",
            "HTTPS_PROXY": "http://proxy:3128",
            "no_proxy": "10.0.0.0/8",
            "CURL_CA_BUNDLE": "/tmp/ca.pem",
        }
    )
    assert settings.cache.root == tmp_path / "c"
    assert settings.data_dir == tmp_path / "d"
    assert settings.fleet == Path("f.yaml") and settings.mirrors == Path("m.yaml")
    assert settings.today == date(2026, 3, 1)
    http = settings.http
    assert (http.read_timeout, http.connect_timeout, http.deadline) == (5, 5, 7.5)
    assert (http.retries, http.backoff, http.max_bytes) == (1, 0, 1000)
    assert http.proxies == {"https": "http://proxy:3128", "no": "10.0.0.0/8"}
    assert http.ca_bundle == "/tmp/ca.pem"


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings.from_env({"RELEASER_CACHE_DIR": str(tmp_path)})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.fleet = Path("x")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RELEASER_HTTP_TIMEOUT", "soon"),
        ("RELEASER_HTTP_DEADLINE", "-1"),
        ("RELEASER_HTTP_RETRIES", "nan"),
        ("RELEASER_HTTP_MAX_BYTES", "many"),
        ("RELEASER_TODAY", "2024-13-45"),
    ],
)
def test_bad_values_are_usage_errors(name: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        Settings.from_env({"RELEASER_CACHE_DIR": str(tmp_path), name: value})
    assert name in err.value.message


def test_secret_is_read_and_then_redacted(tmp_path: Path) -> None:
    from releaser.domain.redaction import redact

    settings = Settings.from_env({"RELEASER_CACHE_DIR": str(tmp_path), "TOK": "s3cr3t-value"})
    assert settings.secret("TOK") == "s3cr3t-value"
    assert settings.secret("MISSING") is None
    assert redact("token s3cr3t-value leaked") == "token *** leaked"

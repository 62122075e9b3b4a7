"""The one redactor: URL credentials, secret query values and remembered secrets."""

from __future__ import annotations

import html
import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from releaser.domain.redaction import has_userinfo, redact, redact_url, remember_secret
from releaser.render.sanitize import md_inline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://bot:s3cr3t@git.example.com/x.git", "https://***@git.example.com/x.git"),
        ("oci://tok@registry.example.com/charts", "oci://***@registry.example.com/charts"),
        ("fetch git+ssh://u:p@h/r failed", "fetch git+ssh://***@h/r failed"),
        ("https://h/x?token=abc&page=2", "https://h/x?token=***&page=2"),
        ("https://h/x?X-Amz-Signature=abcd#f", "https://h/x?X-Amz-Signature=***#f"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("no url here", "no url here"),
        ("", ""),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_remembered_secret_is_masked_anywhere() -> None:
    remember_secret("hooks-T0K3N-xyz")
    assert redact('{"url": "https://hooks.example.com/hooks-T0K3N-xyz"}') == (
        '{"url": "https://hooks.example.com/***"}'
    )


def test_short_values_are_not_remembered() -> None:
    remember_secret("ab")
    assert redact("ab cab") == "ab cab"


def test_host_only() -> None:
    assert redact_url("https://hooks.example.com/services/T/B/X", host_only=True) == (
        "https://hooks.example.com"
    )


def test_has_userinfo() -> None:
    assert has_userinfo("https://admin:pw@argocd.example.com")
    assert not has_userinfo("https://argocd.example.com/a@b")


@given(
    user=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.~%!$&'()*+,;=:", min_size=1),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,10}\.example\.com", fullmatch=True),
)
def test_userinfo_never_survives(user: str, host: str) -> None:
    assert redact(f"see https://{user}@{host}/path") == f"see https://***@{host}/path"


def test_remembered_secret_is_masked_in_its_escaped_forms() -> None:
    secret = 'to|k<e>n&"x[1]'
    remember_secret(secret)
    for written in (
        md_inline(f"token {secret} here"),
        html.escape(f"token {secret} here"),
        json.dumps({"token": secret}),
        f"https://h/x?t={quote(secret, safe='')}",
    ):
        assert "to|k" not in redact(written).replace("\\", "")
        assert "k&lt;e" not in redact(written) and "k%3Ce" not in redact(written)

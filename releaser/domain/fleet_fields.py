"""Readers of the fleet fields that more than one block shares (`argocd:`, `review:`): an
API server's URL and the name of the environment variable holding its token."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from releaser.domain.document import KeyPath
from releaser.domain.kit_schema import Problems, text_at
from releaser.domain.redaction import has_userinfo

ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HTTP_RE = re.compile(r"^https?://[^\s/]+")


def optional_text(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> str | None:
    if data.get(str(path[-1])) is None:
        return None
    return text_at(problems, data, path)


def server_url_at(
    problems: Problems, data: Mapping[str, Any], path: KeyPath, what: str
) -> str | None:
    """An http(s) URL of `what`; one with `user:password@` is refused without echoing it."""
    url = text_at(problems, data, path)
    if url is not None and not HTTP_RE.match(url):
        problems.add(path, f"expected an http(s):// URL of {what}")
    elif url is not None and has_userinfo(url):
        problems.add(
            path,
            "credentials do not belong in the URL: remove its user:password@ part"
            " and put the token in the environment variable named by tokenEnv",
        )
        return None
    return url


def env_name_at(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> str | None:
    """The NAME of an environment variable (never a token itself)."""
    name = text_at(problems, data, path)
    if name is not None and not ENV_NAME_RE.match(name):
        problems.add(path, "expected the name of an environment variable")
        return None
    return name

"""Rules for values that reach git from files and options: URLs, branch names, paths.

Pure checks, each returning a problem message or None, so the fleet loader can report them
as `file:line` problems and the git adapter can refuse them before git reads one as an
option (`--upload-pack=…`) or as a command-running transport (`ext::sh -c …`).
"""

from __future__ import annotations

import re

# `<transport>::<address>` runs a remote helper; `ext::` and `fd::` run commands or use fds.
_TRANSPORT = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*::")
_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<rest>.*)$", re.DOTALL)
# scp-like `user@host:path` (git reads it as ssh).
_SCP = re.compile(r"^[A-Za-z0-9._~+-]+@[A-Za-z0-9][A-Za-z0-9.-]*:[^\s]+$")
URL_SCHEMES = ("file", "http", "https", "ssh", "git")
_REF_FORBIDDEN = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def url_problem(url: str) -> str | None:
    """Why git must not be given `url`, or None when it is a plain remote location."""
    if not url or _CONTROL.search(url) or url != url.strip():
        return "invalid repository URL: empty, or contains spaces or control characters"
    if url.startswith("-"):
        return "invalid repository URL: starts with '-' (git would read it as an option)"
    if _TRANSPORT.match(url):
        return "transport URLs (`ext::`, `fd::`, `<helper>::`) are not allowed"
    match = _SCHEME.match(url)
    if match:
        return _scheme_problem(match["scheme"].lower(), match["rest"])
    if url.startswith("/") or _SCP.match(url):
        return None
    return (
        "expected a file://, http(s)://, ssh:// or git:// URL, an absolute path or user@host:path"
    )


def _scheme_problem(scheme: str, rest: str) -> str | None:
    if scheme not in URL_SCHEMES:
        return f"unsupported URL scheme '{scheme}' (use one of {', '.join(URL_SCHEMES)})"
    authority = rest.split("/", 1)[0]
    userinfo, _, host = authority.rpartition("@")
    if host.startswith("-"):
        return "invalid repository URL: the host starts with '-'"
    if ":" in userinfo and scheme not in ("http", "https"):
        return f"a password in a {scheme}:// URL is not supported (use an ssh key or http(s))"
    return None


def branch_problem(name: str) -> str | None:
    """Why `name` is not a branch name git accepts (`git check-ref-format --branch`)."""
    if not name:
        return "invalid branch name: empty"
    if name.startswith("-"):
        return f"invalid branch name '{name}': starts with '-'"
    if name == "HEAD" or name == "@":
        return f"invalid branch name '{name}'"
    return ref_problem(f"refs/heads/{name}", shown=name)


def ref_problem(ref: str, shown: str | None = None) -> str | None:
    """Why `ref` breaks git's check-ref-format rules, or None."""
    label = f"invalid branch name '{shown or ref}'"
    if _REF_FORBIDDEN.search(ref):
        return f"{label}: contains a space, control character or one of ~^:?*[\\"
    if ".." in ref or "@{" in ref or "//" in ref:
        return f"{label}: contains '..', '@{{' or '//'"
    if ref.startswith("/") or ref.endswith(("/", ".")):
        return f"{label}: starts or ends with '/', or ends with '.'"
    if any(part.startswith(".") or part.endswith(".lock") for part in ref.split("/")):
        return f"{label}: a component starts with '.' or ends with '.lock'"
    return None


def path_problem(path: str) -> str | None:
    """Why `path` is not a plain relative path inside a repository, or None."""
    if _CONTROL.search(path) or "\\" in path:
        return f"invalid path '{path}': contains a control character or '\\'"
    if path.startswith(("-", "/")) or ":" in path:
        return f"invalid path '{path}': must be relative (no leading '-' or '/', no ':')"
    if any(part in (".", "..") for part in path.split("/")):
        return f"invalid path '{path}': '.' and '..' components are not allowed"
    return None

"""Mirror map: upstream repository URL prefixes -> mirror prefixes (SPEC §5).

Used by the HTTP and OCI sources alike. Matching is on whole path segments (a prefix
`https://a.io/x` matches `https://a.io/x/y`, never `https://a.io/xy`), the longest matching
prefix wins, trailing slashes never matter, and scheme and host compare case-insensitively.
Credentials in the upstream URL are not carried over to the mirror.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from releaser.adapters.yaml import parse_document
from releaser.domain.errors import InvalidFileError, Problem, UsageError

MIRRORS_HINT = '`releaser example mirrors` prints a commented mirror map (README: "Mirrors file")'
_SCHEMES = {"http": "http", "https": "http", "oci": "oci"}  # scheme -> family


def normalise_url(url: str) -> str:
    """One spelling of a repository URL: lower-case scheme and host, no userinfo, no trailing
    slash, no query. Mirror prefixes match on it, and caches key their entries by it."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # a bad host or port: such a URL matches no (validated) prefix
        return url
    host = parts.hostname or ""
    netloc = host + (f":{port}" if port else "")
    rest = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{netloc.lower()}{rest}"


class Mirrors:
    """`apply(url)` rewrites an upstream URL to its mirror, or returns it unchanged."""

    def __init__(self, mapping: Mapping[str, str] | None = None) -> None:
        pairs = [(normalise_url(k), v.strip().rstrip("/")) for k, v in (mapping or {}).items()]
        # Longest prefix first, so the most specific mirror wins.
        self._pairs = sorted(pairs, key=lambda p: len(p[0]), reverse=True)

    def __len__(self) -> int:
        return len(self._pairs)

    def apply(self, url: str) -> str:
        target = normalise_url(url)
        for prefix, mirror in self._pairs:
            if target == prefix or target.startswith(prefix + "/"):
                return mirror + target[len(prefix) :]
        return url

    @classmethod
    def load(cls, path: Path | None) -> Mirrors:
        """Read a mirrors file; None gives an empty map. Problems name file:line."""
        if path is None:
            return cls()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise UsageError(
                f"mirrors file {path} not found",
                hint=f"check --mirrors FILE or RELEASER_MIRRORS; {MIRRORS_HINT}",
            ) from None
        except OSError as err:
            raise InvalidFileError([Problem(str(path), None, "", f"cannot read: {err}")]) from None
        return cls(_validated(raw, str(path)))


def _validated(raw: str | bytes, file: str) -> dict[str, str]:
    doc = parse_document(raw, file)
    if doc.data is None:
        return {}
    if not isinstance(doc.data, dict):
        raise InvalidFileError(
            [Problem(file, doc.line_of(()), "", "expected a mapping of upstream URL: mirror URL")],
            hint=MIRRORS_HINT,
        )
    problems: list[Problem] = []
    for key, value in doc.data.items():
        line = doc.line_of((key,))
        message = _check_pair(key, value)
        if message:
            problems.append(Problem(file, line, "", f"{key}: {message}"))
    if problems:
        raise InvalidFileError(problems, hint=MIRRORS_HINT)
    return {str(k): str(v) for k, v in doc.data.items()}


def _check_pair(key: str, value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "the mirror must be a URL string"
    up, down = _family(key), _family(value)
    if up is None:
        return "the upstream prefix must be an http(s):// or oci:// URL"
    if down is None:
        return f"the mirror {value!r} must be an http(s):// or oci:// URL"
    if up != down:
        return f"an {up} repository cannot be mirrored by an {down} one ({value})"
    return None


def _family(url: str) -> str | None:
    """ "http" or "oci" for a usable repository URL; None for anything else."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port that is not a number below 65536
    except ValueError:  # e.g. a bracketed host that is no IP address
        return None
    family = _SCHEMES.get(parts.scheme.lower())
    return family if family and parts.netloc else None

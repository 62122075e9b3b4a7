"""Files of the on-disk caches: read leniently, written atomically, never an error.

A cache entry that is absent, damaged or written by another format counts as a miss; a
cache that cannot be written only costs speed on the next run. Entries about an upstream
repository are named by `url_key` of its URL (the kit's repoURL, whatever mirror served it).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from releaser.adapters.mirrors import normalise_url
from releaser.domain.redaction import redact


def url_key(url: str, *parts: str) -> str:
    """A file name for an upstream URL (and e.g. a chart name): the same for every spelling
    of the URL, with or without credentials, and holding nothing of them (a hash)."""
    text = "\n".join([normalise_url(url), *parts])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def stored_url(url: str) -> str:
    """A URL fit to write into a cache entry: no userinfo, no secret query value, no fragment."""
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return redact(urlunsplit((parts.scheme, netloc, parts.path, parts.query, "")))


def read_json(path: Path) -> Any:
    """The JSON document at `path`, or None when it is absent or unreadable."""
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None


def read_json_object(path: Path) -> dict[str, Any] | None:
    data = read_json(path)
    return data if isinstance(data, dict) else None


def write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, separators=(",", ":")).encode())


def write_atomic(path: Path, data: bytes) -> None:
    """Temp file + rename, so readers (other threads, other runs) never see half a file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        return

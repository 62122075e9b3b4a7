"""Files of the on-disk caches: read leniently, written atomically, never an error.

A cache entry that is absent, damaged or written by another format counts as a miss; a
cache that cannot be written only costs speed on the next run.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


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

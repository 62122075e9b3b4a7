"""Writing new YAML files (the demo sandbox). Edits of existing files go through `edit`."""

from __future__ import annotations

from typing import Any

import yaml


def dump(data: Any) -> str:
    """Block-style YAML, keys in the given order, lines up to 100 columns."""
    return yaml.safe_dump(data, sort_keys=False, width=100)

"""The rollout log: `.releaser/rollouts.jsonl` next to the fleet file, append-only."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from releaser.domain.errors import InvalidFileError, Problem

LOG_NAME = ".releaser/rollouts.jsonl"


def log_path(fleet_file: Path) -> Path:
    return fleet_file.resolve().parent / LOG_NAME


class JsonlRolloutLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: Mapping[str, Any]) -> None:
        """One line per attempt, flushed to disk before returning (a crash keeps it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(dict(record), sort_keys=False, separators=(",", ":")) + "\n"
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def records(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        out: list[dict[str, Any]] = []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                # A torn last line (killed mid-write) is skipped; damage elsewhere is an error.
                if number == len(lines):
                    continue
                problem = Problem(str(self.path), number, "", "not a JSON record")
                raise InvalidFileError([problem]) from None
            if isinstance(record, dict):
                out.append(record)
        return out

    def read_from(self, offset: int) -> tuple[list[dict[str, Any]], int]:
        """The whole records appended after byte `offset`, and the offset after them: a
        long run reads only what is new. A line still being written waits for the next read."""
        if not self.path.is_file():
            return [], offset
        with self.path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1
        out: list[dict[str, Any]] = []
        for line in data[:end].decode("utf-8").splitlines():
            try:
                record = json.loads(line) if line.strip() else None
            except ValueError:
                continue  # a torn line (a run killed mid-write) is skipped, as by `records`
            if isinstance(record, dict):
                out.append(record)
        return out, offset + end

"""Read the fleet file from disk into a validated `Fleet`."""

from __future__ import annotations

from pathlib import Path

from releaser.adapters.yaml import parse_document
from releaser.domain.errors import InvalidFileError, Problem, UsageError
from releaser.domain.fleet import FLEET_HINT, Fleet, read_fleet


def load_fleet(path: Path | None) -> Fleet:
    if path is None:
        raise UsageError(
            "no fleet file",
            hint="pass --fleet PATH, set RELEASER_FLEET or add ./fleet.yaml; " + FLEET_HINT,
        )
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"fleet file {path} does not exist", hint=FLEET_HINT) from None
    except OSError as err:
        raise InvalidFileError([Problem(str(path), None, "", f"cannot read: {err}")]) from None
    return read_fleet(parse_document(raw, str(path)))

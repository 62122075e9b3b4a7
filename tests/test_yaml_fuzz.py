"""Fuzzed kit, fleet, mirrors and customer files: nothing escapes but a `ReleaserError`, and
every invalid-file message names `file:line`.

Valid files are mutated (byte flips, YAML punctuation, tags, anchors and aliases, control
and undecodable bytes, truncation, duplicated lines) or replaced by random structures, then
read by the real loaders and validators in-process: `check_kit` and the compatibility check
(`validate`), the byte-minimal editor (`bump`), the fleet and mirrors loaders, and the
customer reading, override scan and rewrite of a rollout. The number of examples comes from
the hypothesis profile (tests/conftest.py): light locally, 1,250 per file kind in CI.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from releaser.adapters.datasets import COMPATIBILITY_FILE, compatibility_problems
from releaser.adapters.fleet_file import load_fleet
from releaser.adapters.mirrors import Mirrors
from releaser.adapters.yaml import load_values, parse_document, parse_manifests
from releaser.adapters.yaml.edit import set_scalar
from releaser.app.kit import check_kit
from releaser.app.rollout import rewritten
from releaser.app.rollout_read import overrides_of, read_customer
from releaser.domain.errors import InvalidFileError, Problem, ReleaserError
from releaser.domain.fleet import Customer
from releaser.domain.versions import KitVersion, KubeVersion
from tests.customerrepo import ADDONS, APPS, AWS_VALUES, KIT_URL
from tests.kitrepo import write_kit
from tests.test_fleet import GOOD as GOOD_FLEET

DEMO = Path(__file__).resolve().parents[1] / "releaser/data/demo"
GOOD_MIRRORS = b"""\
# upstream prefix: mirror prefix
https://charts.jetstack.io: http://127.0.0.1:8080/jetstack
"https://kubernetes.github.io/ingress-nginx/": https://mirror.example.com/ingress-nginx
oci://quay.io/jetstack/charts: oci://127.0.0.1:5000/jetstack
"""
TOKENS = [
    b"&a ", b"*a", b"&b [*a, *a] ", b"<<: *a\n", b"!!python/object/apply:os.system [id] ",
    b"!foo ", b"!!binary ", b"!!int ", b"!!float ", b"!!timestamp ", b"!!set ", b"!!str ",
    b"2024-13-45", b"0x", b"1e999", b".nan", b"~", b"null", b"yes", b"{", b"}", b"[", b"]",
    b",", b": ", b":", b"- ", b"? ", b"'", b'"', b"|", b">-", b"#", b"%YAML 1.1\n", b"---\n",
    b"...\n", b"\t", b"\n", b"\r\n", b"  ", b"\\", b"\x00", b"\x07", b"\x1b[2J", b"\x7f",
    b"\xc2\x85", b"\xc2\x9b", b"\xff", b"\xe9", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\xe2\x80\xae",
]  # fmt: skip
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_WHERE = re.compile(r"^[^\n]+:\d+: ")


# --------------------------------------------------------------------------- mutations


@st.composite
def _mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        data = _mutate(draw, data)
    return bytes(data)


def _mutate(draw: st.DrawFn, data: bytearray) -> bytearray:
    at = draw(st.integers(0, len(data)))
    kind = draw(st.sampled_from(["flip", "insert", "truncate", "duplicate", "delete"]))
    if kind == "flip" and at < len(data):
        data[at] = draw(st.integers(0, 255))
    elif kind == "insert":
        data[at:at] = draw(st.sampled_from(TOKENS) | st.binary(min_size=1, max_size=4))
    elif kind == "truncate":
        del data[at:]
    elif kind == "duplicate":
        lines = bytes(data).split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        lines[i:i] = [lines[i]] * draw(st.integers(1, 3))
        data = bytearray(b"\n".join(lines))
    else:
        del data[at : at + draw(st.integers(1, 8))]
    return data


_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["1.30", "2024.3", "release/2024.3", "https://charts.example.com", KIT_URL]),
)  # fmt: skip
_STRUCTURES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _random_file(shape: Any) -> bytes:
    return yaml.safe_dump(shape, allow_unicode=True).encode()


def _hostile(seed: bytes) -> st.SearchStrategy[bytes]:
    """Mostly mutations of a valid file; now and then a random structure."""
    return st.one_of(_mutated(seed), _mutated(seed), _mutated(seed), _STRUCTURES.map(_random_file))


# --------------------------------------------------------------------------- the checks


def _located(problems: list[Problem] | tuple[Problem, ...]) -> None:
    for problem in problems:
        assert _WHERE.match(str(problem)), f"no file:line in {str(problem)!r}"


def _survives(read: Callable[[], object]) -> None:
    """`read` returns or raises a `ReleaserError`; an invalid file is named with its line."""
    try:
        read()
        event("read")
    except InvalidFileError as err:
        event("refused as an invalid file")
        _located(err.problems)
    except ReleaserError as err:
        event(f"refused with exit {err.exit_code}")  # e.g. a usage error (exit 2)


# --------------------------------------------------------------------------- kit


@cache
def _kit_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        write_kit(Path(tmp))
        files = {str(p.relative_to(tmp)): p.read_bytes() for p in Path(tmp).rglob("*.yaml")}
    files[COMPATIBILITY_FILE] = (DEMO / "compatibility.yaml").read_bytes()
    return files


class _MemoryKit:
    """A kit's files in memory (the `KitFiles` port), read as the worktree reader does."""

    ref = None
    label = "working tree"

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def read_text(self, path: str) -> str | None:
        raw = self.files.get(path)
        return None if raw is None else raw.decode("utf-8", "surrogateescape")

    def list_dir(self, path: str) -> list[str]:
        return sorted({p[len(path) + 1 :].split("/")[0] for p in self.files if p.startswith(path + "/")})


def _validate(files: dict[str, bytes]) -> None:
    kit = _MemoryKit(files)
    _, problems = check_kit(kit, parse_document)
    _located(problems + compatibility_problems(kit.read_text(COMPATIBILITY_FILE)))


def _bump(files: dict[str, bytes], path: str) -> None:
    text = files[path].decode("utf-8", "surrogateescape")
    set_scalar(text, ("components", "cert-manager", "version"), "v9.9.9", file=path)


@FUZZ
@given(st.data())
def test_fuzzed_kit_files(data: st.DataObject) -> None:
    files = dict(_kit_files())
    path = data.draw(st.sampled_from(sorted(files)))
    files[path] = data.draw(_hostile(files[path]))
    _survives(lambda: _validate(files))
    if path.endswith("values.yaml"):
        _survives(lambda: _bump(files, path))


# --------------------------------------------------------------------------- fleet, mirrors


@FUZZ
@given(st.data())
def test_fuzzed_fleet_files(data: st.DataObject) -> None:
    raw = data.draw(_hostile(GOOD_FLEET.encode()))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_bytes(raw)
        _survives(lambda: load_fleet(path))


@FUZZ
@given(st.data())
def test_fuzzed_mirrors_files(data: st.DataObject) -> None:
    raw = data.draw(_hostile(GOOD_MIRRORS))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mirrors.yaml"
        path.write_bytes(raw)
        _survives(lambda: Mirrors.load(path))


# --------------------------------------------------------------------------- customer


class _Snapshot:
    """A customer repository at one commit, in memory (the `RepoSnapshot` port)."""

    commit = "0" * 40
    parent = None

    def __init__(self, files: dict[str, bytes]) -> None:
        self._files = files

    def files(self, under: str) -> list[str]:
        return sorted(p for p in self._files if p.startswith(under))

    def read(self, paths: list[str]) -> dict[str, bytes]:
        return {p: self._files[p] for p in paths if p in self._files}


CUSTOMER = Customer(
    "acme", "file:///srv/acme.git", "main", "argocd", "aws", KubeVersion.parse("1.30")
)


def _customer_seed() -> dict[str, bytes]:
    fields = {"name": "acme", "version": "2024.3", "repo": CUSTOMER.repo, "q": ""}
    return {
        "argocd/apps.yaml": APPS.format(**fields).encode(),
        "argocd/addons.yml": ADDONS.format(addons="external-dns", **fields).encode(),
        "values/aws.yaml": AWS_VALUES.format(name="acme").encode(),
    }


def _rollout_read(files: dict[str, bytes]) -> None:
    view = read_customer(_Snapshot(files), CUSTOMER, KIT_URL, parse_manifests)
    overrides_of(view, CUSTOMER, load_values)
    rewritten(view, KitVersion.parse("2024.4"), parse_manifests)


@FUZZ
@given(st.data())
def test_fuzzed_customer_manifests(data: st.DataObject) -> None:
    files = _customer_seed()
    path = data.draw(st.sampled_from(sorted(files)))
    files[path] = data.draw(_hostile(files[path]))
    _survives(lambda: _rollout_read(files))

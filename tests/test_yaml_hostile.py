"""Hostile YAML in every file releaser reads is refused through the CLI: exit 3, `file:line`,
no traceback, in bounded time and memory.

Each refusal (syntax, undecodable bytes, control characters, unknown tags, values a tag
cannot hold, recursive aliases, alias bombs, deep nesting, oversize) is written into each
file kind (kit values, kit.yaml, compatibility.yaml, fleet, mirrors, customer manifest) of
real kits, fleets and customer repositories, and the command that reads that file is run.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from releaser.adapters.yaml import MAX_BYTES, MAX_DEPTH, parse_document
from releaser.cli.main import app
from releaser.domain.errors import InvalidFileError
from tests.customerrepo import STORY_DATE, make_fleet
from tests.kitrepo import commit_all, git, make_kit_repo


def _bomb() -> bytes:
    """The billion laughs: 9 levels of 9 aliases, 9**9 leaves once expanded."""
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


BOMB = _bomb()


@dataclass(frozen=True)
class Case:
    name: str
    content: bytes
    line: int  # where the refusal must point
    words: str  # part of the message
    whole_file: bool = False  # the refusal is about the file as a whole: always line 1


CASES = [
    Case("syntax error", b"a: 1\nb: [1, 2\nc: 3\n", 3, "YAML syntax error"),
    Case("non-UTF-8 byte", b"a: 1\nb: caf\xe9\n", 2, "not UTF-8"),
    Case("NUL byte", b"a: 1\nb: x\x00y\n", 2, "control character"),
    Case("escape sequence", b"a: 1\n\nb: \x1b[31mred\n", 3, "control character"),
    Case("DEL", b"a: 1\nb: x\x7f\n", 2, "control character"),
    Case("C1 control", b"a: 1\nb: x\xc2\x9b\n", 2, "control character"),
    Case("python tag", b"a: 1\nb: !!python/object/apply:os.system [id]\n", 2, "unsupported tag"),
    Case("unknown tag", b"a: 1\nb: !foo bar\n", 2, "unsupported tag !foo"),
    Case("tagged mapping", b"a: 1\nb: !!set {x: 1}\n", 2, "unsupported tag !!set"),
    Case("bad binary", b"a: 1\nb: !!binary '@@not base64@@'\n", 2, "not a valid !!binary"),
    Case("bad int", b"a: 1\nb: !!int twelve\n", 2, "not a valid !!int"),
    Case("bad float", b"a: 1\nb: !!float many\n", 2, "not a valid !!float"),
    Case("impossible date", b"a: 1\nb: 2024-13-45\n", 2, "not a valid !!timestamp"),
    Case("recursive alias", b"a: 1\nb: &r [1, *r]\n", 2, "recursive alias"),
    Case("alias bomb", BOMB, 6, "too many nodes"),
    Case("deep nesting", b"a:\n  b: " + b"[" * 200 + b"]" * 200 + b"\n", 2, "nested too deeply"),
    Case("oversized", b"a: " + b"x" * MAX_BYTES + b"\n", 1, "file too large", True),
]


@dataclass
class Target:
    """One file kind: where hostile bytes go, how the message names it, what reads it."""

    label: str  # the file as error messages name it
    write: Callable[[bytes], None]
    original: bytes
    args: list[str]
    prefix: bytes = b""  # a customer manifest must mention argoproj.io to be read


def _file_target(file: Path, label: str, args: list[str]) -> Target:
    original = file.read_bytes() if file.exists() else b""
    return Target(label, file.write_bytes, original, args)


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Target]:
    base = tmp_path_factory.mktemp("hostile")
    kit = make_kit_repo(base / "kit")
    bed = make_fleet(base / "fleet", [{"name": "acme", "version": "2024.3", "kubernetes": "1.30"}])
    source = base / "fleet" / "acme-src"

    def push_manifest(content: bytes) -> None:
        (source / "argocd/apps.yaml").write_bytes(content)
        commit_all(source, "manifest")
        git(source, "push", "-q", "--force", str(bed.remotes["acme"]), "HEAD:main")

    mirrors = base / "mirrors.yaml"
    fleet = ["--fleet", str(bed.fleet), "rollout"]
    manifest = (source / "argocd/apps.yaml").read_bytes()

    def kit_file(path: str, command: str) -> Target:
        return _file_target(kit / path, path, ["--kit", str(kit), command])

    return {
        "kit values": kit_file("core/base/values.yaml", "components"),
        "kit.yaml": kit_file("core/kit.yaml", "components"),
        "compatibility": kit_file("core/compatibility.yaml", "compat"),
        "fleet": _file_target(bed.fleet, str(bed.fleet), [*fleet, "--status"]),
        "mirrors": _file_target(
            mirrors, str(mirrors), ["--kit", str(kit), "--mirrors", str(mirrors), "check"]
        ),
        "customer": Target(
            "argocd/apps.yaml",
            push_manifest,
            manifest,
            [*fleet, "--customer", "acme", "--dry-run"],
            b"# argoproj.io\n",
        ),
    }


@pytest.fixture
def target(request: pytest.FixtureRequest, targets: dict[str, Target]) -> Iterator[Target]:
    """The target named by the parameter; its file is put back afterwards."""
    chosen = targets[request.param]
    yield chosen
    chosen.write(chosen.original)


@dataclass
class Run:
    code: int
    output: str
    seconds: float
    peak_bytes: int


def _run(target: Target, cache: Path) -> Run:
    env = {"RELEASER_CACHE_DIR": str(cache), "RELEASER_TODAY": STORY_DATE}
    tracemalloc.start()
    started = time.perf_counter()
    result = CliRunner().invoke(app, target.args, env=env)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # an escaped exception: exactly what must not happen
    return Run(result.exit_code, result.stdout + result.stderr, seconds, peak)


KINDS = ["kit values", "kit.yaml", "compatibility", "fleet", "mirrors", "customer"]


@pytest.mark.parametrize("target", KINDS, indirect=True)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_file_is_refused_with_file_and_line(
    target: Target, case: Case, tmp_path: Path
) -> None:
    target.write(target.prefix + case.content)
    run = _run(target, tmp_path / "cache")
    line = case.line + (0 if case.whole_file else target.prefix.count(b"\n"))
    assert run.code == 3, run.output
    assert f"{target.label}:{line}:" in run.output
    assert case.words in run.output
    assert "Traceback" not in run.output
    assert run.seconds < 2, f"took {run.seconds:.2f} s"
    assert run.peak_bytes < 64 * 1024 * 1024, f"peak {run.peak_bytes / 1e6:.0f} MB"


def test_the_alias_bomb_is_small_and_would_explode() -> None:
    assert len(BOMB) < 432
    assert BOMB.count(b"*") == 8 * 9  # 9**9 leaves if anything expanded it


def test_nesting_just_inside_the_limit_loads() -> None:
    depth = MAX_DEPTH - 1
    doc = parse_document("a: " + "[" * depth + "]" * depth + "\n", "f.yaml")
    assert doc.data is not None


def test_aliases_within_the_limits_still_work() -> None:
    doc = parse_document("base: &b {x: 1}\nuse:\n  <<: *b\n  y: 2\nlist: [*b, *b]\n", "f.yaml")
    assert doc.data["use"] == {"x": 1, "y": 2} and doc.data["list"] == [{"x": 1}, {"x": 1}]


def test_duplicate_anchor_and_unknown_alias_name_the_line() -> None:
    for text, line in (("a: &x 1\nb: &x 2\n", 2), ("a: 1\nb: *nope\n", 2)):
        with pytest.raises(InvalidFileError, match=f"^f.yaml:{line}: "):
            parse_document(text, "f.yaml")


@pytest.mark.parametrize("tag", ["!!int", "!!float", "!!bool", "!!timestamp"])
@pytest.mark.parametrize("shape", ["a: {} \n", "{}\n", "- x\n- {}\n"])
def test_a_typed_scalar_with_no_value_is_refused_at_its_line(tag: str, shape: str) -> None:
    """`!!int` with nothing after it made PyYAML index an empty string (found by the fuzzer)."""
    text = shape.format(tag)
    with pytest.raises(InvalidFileError) as err:
        parse_document(text, "f.yaml")
    assert str(err.value).startswith(f"f.yaml:{text.count(chr(10))}:")

"""The real upstream data the tests and benchmarks read, kept in this repository gzipped.

The Helm indexes of the kit's repositories are the ones the package ships for the demo
(releaser/data/helm-repos/*.gz); the few other files live in tests/data/upstream/ (see its
PROVENANCE.md). `UPSTREAM` is one directory with both, decompressed once per process, laid out
as the upstream snapshot is: helm-repos/<name>.index.yaml, compatibility-matrices.yaml,
deprecated-apis/chart-template-apis.yaml, kubernetes-lifecycle.yaml.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import tempfile
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGED_INDEXES = ROOT / "releaser" / "data" / "helm-repos"
TEST_DATA = ROOT / "tests" / "data" / "upstream"


def _unpack(source_dir: Path, target_dir: Path) -> None:
    for packed in source_dir.rglob("*.gz"):
        target = target_dir / packed.relative_to(source_dir).with_suffix("")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(gzip.decompress(packed.read_bytes()))


@cache
def upstream_dir() -> Path:
    """The decompressed data, removed when the process exits. Tests only read it."""
    target = Path(tempfile.mkdtemp(prefix="releaser-upstream-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    _unpack(PACKAGED_INDEXES, target / "helm-repos")
    _unpack(TEST_DATA, target)
    return target


UPSTREAM = upstream_dir()
HELM_REPOS = UPSTREAM / "helm-repos"

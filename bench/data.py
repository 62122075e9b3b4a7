"""Load times of the packaged data snapshots and core/compatibility.yaml (cold and warm).

Baseline: a plain `yaml.safe_load` of the upstream lifecycle file the snapshot is built from
(tests/data/upstream, see tests/upstream.py). Run: python bench/data.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from releaser.adapters import datasets  # noqa: E402
from tests.upstream import UPSTREAM  # noqa: E402


def ms(run: object) -> float:
    start = time.perf_counter()
    run()  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


def cold(load: object) -> float:
    datasets._read.cache_clear()
    for cached in (datasets._lifecycle, datasets._deprecations, datasets._components):
        cached.cache_clear()
    return ms(load)


def main() -> None:
    loads = {
        "lifecycle": datasets.load_lifecycle,
        "deprecations": datasets.load_deprecations,
        "component lifecycles": datasets.load_component_lifecycles,
    }
    for name, load in loads.items():
        runs = [cold(load) for _ in range(5)]
        warm = [ms(load) for _ in range(5)]
        print(f"{name:22s} cold median {statistics.median(runs):6.2f} ms   warm {statistics.median(warm):6.3f} ms")
    text = (ROOT / "core/compatibility.yaml").read_text()
    runs = [ms(lambda: datasets.load_compatibility(text, "core/compatibility.yaml")) for _ in range(5)]
    print(f"{'compatibility.yaml':22s} median {statistics.median(runs):6.2f} ms")
    source = UPSTREAM / "kubernetes-lifecycle.yaml"
    base = [ms(lambda: yaml.load(source.read_text(), Loader=yaml.CSafeLoader)) for _ in range(5)]
    print(f"baseline: CSafeLoader of the upstream lifecycle YAML, median {statistics.median(base):6.2f} ms")


if __name__ == "__main__":
    main()

"""Rendering the compatibility report for a big fleet: 16 components × 8 minors × 200 customers.

Prints the median of 5 renders per format against the target (≤ 1 s each) and, as the
baseline, a bare `json.dumps` of the same model. Run: python bench/report.py
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import date

from releaser.domain.kit import KubernetesRange
from releaser.domain.report import CustomerRow, DriftRow, LifecycleRow, Report, SupportEnd
from releaser.render.report import render_html, render_json, render_markdown

MINORS = [f"1.{m}" for m in range(29, 37)]
VERDICTS = ("ok", "warn", "fail", "unknown")


def cell(i: int, j: int) -> dict[str, object]:
    verdict = VERDICTS[(i * 7 + j) % 4]
    reasons = [
        {
            "source": s,
            "message": f"{s} says {verdict} for component {i} on {MINORS[j]}",
            "level": verdict,
        }
        for s in ("kubeVersion", "matrix", "deprecated-apis", "lifecycle/kubernetes")
    ]
    return {"verdict": verdict, "reasons": reasons}


def big_report() -> Report:
    components = [
        {
            "name": f"component-{i:02d}",
            "section": "base",
            "version": f"1.{i}.0",
            "verdicts": {m: cell(i, j) for j, m in enumerate(MINORS)},
        }
        for i in range(16)
    ]
    compat = {"kubernetes": MINORS, "data": {"lifecycle": "2026-08-22"}, "components": components}
    end = SupportEnd(date(2027, 2, 28), "ok")
    customers = tuple(
        CustomerRow(
            f"customer-{n:03d}",
            "2026.3",
            "v1.35.4-eks-1",
            n % 3 != 0,
            () if n % 3 else ("kubernetes: cluster outside 1.35–1.36",),
        )
        for n in range(200)
    )
    return Report(
        version="2026.4",
        against="2026.3",
        generated=date(2026, 11, 22),
        kubernetes=KubernetesRange("1.29", "1.36"),
        data_dates={"lifecycle": "2026-08-22"},
        changes=None,
        compat=compat,
        in_range=tuple(MINORS[:-1]),
        lifecycle=tuple(LifecycleRow(m, end, end, end) for m in MINORS),
        drift=tuple(
            DriftRow(f"component-{i:02d}", "base", f"1.{i}.0", f"1.{i}.3", "patch", 12)
            for i in range(16)
        ),
        customers=customers,
    )


def median_ms(render: Callable[[], object], runs: int = 5) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def main() -> None:
    report = big_report()
    print("report of 16 components × 8 minors × 200 customers (target: ≤ 1000 ms per format)")
    for name, render in (
        ("markdown", render_markdown),
        ("html", render_html),
        ("json", render_json),
    ):
        size = len(render(report))
        print(
            f"  {name:8s} median {median_ms(lambda r=render: r(report)):7.1f} ms  ({size:,} characters)"
        )
    baseline = median_ms(lambda: json.dumps(report.as_dict()))
    print(f"  baseline: bare json.dumps of the model, median {baseline:.1f} ms")


if __name__ == "__main__":
    main()

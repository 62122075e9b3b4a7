"""The report model's own computations, on the packaged lifecycle data."""

from __future__ import annotations

from datetime import date

from releaser.adapters.datasets import load_lifecycle
from releaser.domain.report import lifecycle_rows, support_status


def test_support_status_marks_soon_and_past() -> None:
    today = date(2026, 11, 22)
    assert support_status(date(2026, 11, 22), today) == "past"
    assert support_status(date(2027, 2, 20), today) == "soon"  # 90 days
    assert support_status(date(2027, 2, 21), today) == "ok"
    assert support_status(None, today) == "unknown"


def test_lifecycle_rows_on_the_real_snapshot() -> None:
    rows = lifecycle_rows(load_lifecycle(), ["1.34", "1.35", "1.36", "1.37"], date(2026, 11, 22))
    by_minor = {row.minor: row for row in rows}
    assert by_minor["1.34"].upstream.status == "past"  # EOL 2026-10-27
    assert by_minor["1.34"].eks.status == "soon"  # standard support ends 2026-12-02
    assert by_minor["1.34"].gke.status == "past"  # 2026-10-01
    assert by_minor["1.35"].upstream.end == date(2027, 2, 28)
    assert by_minor["1.35"].worst == "ok"
    assert by_minor["1.37"].worst == "unknown"

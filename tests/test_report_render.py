"""Rendering the report model: Markdown limits and escaping, and the HTML in headless Chromium."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

from releaser.domain.kit import KubernetesRange
from releaser.domain.report import (
    CustomerRow,
    DriftRow,
    LifecycleRow,
    Report,
    SupportEnd,
)
from releaser.render.report import render_html, render_json, render_markdown
from tests.browser import dump_dom, screenshot

HOSTILE = "<script>document.title='pwned'</script>"


def _cell(verdict: str, message: str = "") -> dict[str, object]:
    reasons = [{"source": "matrix", "message": message}] if message else []
    return {"verdict": verdict, "reasons": reasons}


def make_report(components: int = 3, reason: str = "tested upstream") -> Report:
    minors = ["1.35", "1.36", "1.37"]
    rows = []
    for i in range(components):
        verdicts = {"1.35": _cell("ok"), "1.36": _cell("warn", f"{reason} {i}"),
                    "1.37": _cell("fail" if i == 0 else "unknown", f"no data {i}")}
        rows.append({"name": f"comp-{i}", "section": "base", "version": f"1.{i}.0",
                     "verdicts": verdicts})
    compat = {"kubernetes": minors, "data": {"lifecycle": "2026-08-22"}, "components": rows}
    end = SupportEnd(date(2027, 2, 28), "soon")
    return Report(
        version="2026.4", against="2026.3", generated=date(2026, 11, 22),
        kubernetes=KubernetesRange("1.35", "1.36"), data_dates={"lifecycle": "2026-08-22"},
        changes=None, compat=compat, in_range=("1.35", "1.36"),
        lifecycle=(LifecycleRow("1.35", end, SupportEnd(date(2026, 1, 1), "past"),
                                SupportEnd(None, "unknown")),),
        drift=(DriftRow("comp-0", "base", "1.0.0", "1.2.0", "minor", 40, description=HOSTILE),),
        customers=(CustomerRow("kuvaq", "2026.3", "v1.35.4-eks-1", True),
                   CustomerRow("menetekel", "2026.2", "1.34.6-gke.1", False, ("cluster 1.34 is below 1.35",))),
    )


def test_markdown_escapes_upstream_text_and_numbers_reasons() -> None:
    text = render_markdown(make_report(reason=f"{HOSTILE} | pipe"))
    assert "<script>" not in text
    assert "&lt;script&gt;" in text and "\\| pipe" in text
    assert "| comp-0 | 1.0.0 | ✓ ok | ! warn [1] | ✗ fail [2] |" in text
    assert "1. **comp-0 on 1.36**" in text
    assert "| 1.35 | 2027-02-28 ⚠ | 2026-01-01 ✗ | unknown |" in text
    assert "| menetekel | 2026.2 | 1.34.6-gke.1 | ✗ no | cluster 1.34 is below 1.35 |" in text


def test_markdown_fits_a_pull_request_comment() -> None:
    report = make_report(components=400, reason="x" * 300)
    text = render_markdown(report)
    assert len(text) <= 65_000
    assert "more reasons left out" in text
    assert text.count("| comp-") == 400 + 1  # every matrix row stays (+ the drift row)


def test_html_escapes_and_is_self_contained() -> None:
    html = render_html(make_report(reason=HOSTILE))
    assert HOSTILE not in html
    assert "&lt;script&gt;" in html
    assert not re.search(r"""(src|href)=["']https?:""", html)


def test_json_has_the_spec_fields() -> None:
    import json

    data = json.loads(render_json(make_report()))
    assert {"version", "against", "changes", "compat", "lifecycle", "drift", "customers"} <= data.keys()
    assert data["compat"]["components"][0]["verdicts"]["1.37"]["verdict"] == "fail"


def test_html_renders_the_matrix_in_chromium(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render_html(make_report(reason=HOSTILE)), encoding="utf-8")
    dom = dump_dom(page, tmp_path / "profile")
    assert "<title>Kit 2026.4 — compatibility report</title>" in dom  # no script ran
    matrix = dom[dom.index('id="compat-matrix"'):]
    matrix = matrix[: matrix.index("</table>")]
    assert matrix.count("<tr>") == 4  # header + 3 components
    assert matrix.count('data-verdict="fail"') == 1
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom  # shown as text
    shot = screenshot(page, tmp_path / "profile2", tmp_path / "report.png")
    assert shot.stat().st_size > 10_000


def _noted(report: Report) -> Report:
    """The report of `make_report` as the engine gives it now: a profile, the calendars per
    minor, a cell whose templates were not checked, a reason shared by two minors."""
    import copy
    import dataclasses

    compat = copy.deepcopy(dict(report.compat))
    compat["profile"] = "argocd-3.4"
    compat["profileDetail"] = {"name": "argocd-3.4", "title": "Argo CD >= 3.4",
                               "origin": "the kit's argo-cd 9.7.1 (Argo CD v3.4.4)"}
    eol = {"source": "lifecycle/kubernetes", "level": "warn",
           "message": "Kubernetes 1.35 reaches upstream end of life on 2027-02-28 (in 89 days)"}
    compat["lifecycle"] = {"1.35": {"verdict": "warn", "reasons": [eol]},
                           "1.36": {"verdict": "ok", "reasons": []}}
    first, second = compat["components"][:2]
    first["verdicts"]["1.35"]["unchecked"] = ["deprecated-apis"]
    shared = {"verdict": "warn", "reasons": [{"source": "upstream-status", "level": "warn",
                                              "message": "comp-1 is retired upstream"}]}
    second["verdicts"]["1.35"] = second["verdicts"]["1.36"] = shared
    return dataclasses.replace(report, compat=compat)


def test_outputs_name_the_profile_count_unchecked_charts_and_say_the_calendars_once() -> None:
    report = _noted(make_report())
    md = render_markdown(report)
    assert ("kubeVersion judged as Argo CD &gt;= 3.4 (profile argocd-3.4; the kit's argo-cd "
            "9.7.1 (Argo CD v3.4.4))") in md
    assert "Templates not checked: 1 of 3 charts (comp-0)" in md
    assert "| comp-0 | 1.0.0 | ✓ ok* |" in md
    assert "| _Kubernetes lifecycle_ | | ! warn | ✓ ok |  |" in md
    assert md.count("Kubernetes 1.35 reaches upstream end of life") == 1
    # one note for the cells of a component that share their reasons
    assert "| comp-1 | 1.1.0 | ! warn [3] | ! warn [3] |" in md
    assert "3. **comp-1 on 1.35–1.36**: upstream-status: comp-1 is retired upstream" in md
    html = render_html(report)
    assert "kubeVersion judged as Argo CD &gt;= 3.4 (profile argocd-3.4;" in html
    assert "Templates not checked: 1 of 3 charts (comp-0)" in html
    assert html.count("Kubernetes 1.35 reaches upstream end of life") == 1
    doc = json.loads(render_json(report))
    assert doc["profile"] == "argocd-3.4" and doc["uncheckedCharts"] == ["comp-0"]

"""The report's drift judges the change, not the calendar: on the real kit, indexes and
packaged lifecycle data, a range reaching past end of life shows the same drift."""

from __future__ import annotations

from dataclasses import replace

from releaser.adapters.datasets import load_lifecycle
from releaser.adapters.kit_files import WorktreeFiles
from releaser.adapters.yaml import parse_document
from releaser.app.compat import CompatService
from releaser.app.kit import load_kit
from releaser.app.plan import Planner
from releaser.app.report import ReportPorts, drift_row
from releaser.domain.kit import Kit, KubernetesRange
from tests.compat_support import ROOT, TODAY, IndexFileSource, real_data


def _drift(kit: Kit) -> dict[str, tuple[str | None, str]]:
    service = CompatService(IndexFileSource(), real_data())
    ports = ReportPorts(
        releases=list, kit_at=lambda ref: kit, compat=service,
        judge=Planner(service, TODAY).judge, lifecycle=load_lifecycle(), data_dates={},
        customers=None, today=TODAY,
    )
    return {c.name: (row.newest, row.change) for c in kit for row in [drift_row(c, kit, ports)]}


def test_drift_on_a_range_past_end_of_life_matches_the_supported_range() -> None:
    kit = load_kit(WorktreeFiles(ROOT), parse_document)
    supported = _drift(kit)
    past_eol = _drift(replace(kit, kubernetes=KubernetesRange("1.33", "1.36")))
    assert past_eol == supported
    assert past_eol["argo-cd"] == ("10.1.1", "major")  # a major behind is never "none"
    assert past_eol["cert-manager"] == ("v1.21.1", "patch")

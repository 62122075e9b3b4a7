"""A campaign plan as terminal text, Markdown (a pull request, a ticket) or JSON; a run's
end and a campaign's status as text or JSON.

Blocking reasons carry git and upstream messages: one line each on a terminal, escaped in
Markdown; every text leaves through `releaser.render.output` (redacted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from releaser.render import output
from releaser.render.sanitize import md_inline, one_line
from releaser.render.text import table

# Types only: `campaign --help` does not import the use case.
if TYPE_CHECKING:
    from releaser.app.campaign import CampaignPlan, CustomerPlan, WavePlan, WindowState
    from releaser.app.campaign_control import CampaignStatus, WaveStatus
    from releaser.app.campaign_run import CampaignRun

HEADERS = ("CUSTOMER", "RUNS", "KUBERNETES", "PREFLIGHT", "HOLD", "WINDOW", "ESTIMATE")


def duration(seconds: float) -> str:
    """`1h 05m`, `30m`, `45s`, `0s`."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m" + (f" {secs:02d}s" if secs else "")
    return f"{secs}s"


def _when(moment: datetime, tz: str) -> str:
    return moment.astimezone(ZoneInfo(tz)).strftime("%a %Y-%m-%d %H:%M %Z")


def window_text(state: WindowState | None) -> str:
    if state is None:
        return "any time"
    if state.opens is None:
        return "no open window within 400 days"
    closes = f" until {_when(state.closes, state.tz)}" if state.closes else ""
    if state.open_now:
        return "open now" + closes
    return f"opens {_when(state.opens, state.tz)}" + closes


def _wave_rules(plan: WavePlan) -> str:
    wave = plan.wave
    rules = [
        "one at a time" if wave.max_parallel == 1 else f"{wave.max_parallel} at a time",
        "stops at the first failure"
        if wave.max_failures == 0
        else f"tolerates {wave.max_failures} failure{'s' * (wave.max_failures > 1)}",
    ]
    if wave.soak:
        rules.append(f"soak {duration(wave.soak)} after")
    if wave.approval:
        rules.append("starts once approved")
    return ", ".join(rules)


def _summary(plan: CampaignPlan) -> str:
    counts: dict[str, int] = {}
    for wave in plan.waves:
        for customer in wave.customers:
            counts[customer.status] = counts.get(customer.status, 0) + 1
    shown = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    return (
        f"estimated {duration(plan.estimate)} of rollout work ({shown}); "
        "waiting for windows and approvals comes on top"
    )


def _cells(customer: CustomerPlan) -> list[str]:
    return [
        customer.name,
        customer.version or "?",
        customer.kubernetes,
        customer.status,
        customer.hold or "-",
        window_text(customer.window),
        duration(customer.estimate) if customer.status == "ready" else "-",
    ]


def _reasons(plan: WavePlan, line: Callable[[str, str], str]) -> list[str]:
    return [line(c.name, reason) for c in plan.customers for reason in c.blocking]


def plan_text(plan: CampaignPlan) -> str:
    at = plan.at.strftime("%Y-%m-%d %H:%M %Z")
    lines = [f"campaign to {plan.version}, planned at {at}", _summary(plan)]
    for number, wave in enumerate(plan.waves, 1):
        lines += [
            "",
            f"wave {number}/{len(plan.waves)} {wave.wave.name} ({wave.wave.select.describe()}): "
            f"{_wave_rules(wave)}; about {duration(wave.estimate)}",
        ]
        if not wave.customers:
            lines.append("  (selects no customer)")
            continue
        lines.append(table(HEADERS, [_cells(c) for c in wave.customers]))
        lines += _reasons(wave, lambda name, reason: f"  {name}: {one_line(reason)}")
    return output.terminal("\n".join(lines))


def plan_markdown(plan: CampaignPlan) -> str:
    at = plan.at.strftime("%Y-%m-%d %H:%M %Z")
    lines = [f"## Campaign to {md_inline(plan.version)}", "", f"Planned at {at}; "
             + md_inline(_summary(plan)) + "."]  # fmt: skip
    for number, wave in enumerate(plan.waves, 1):
        lines += [
            "",
            f"### Wave {number} of {len(plan.waves)}: {md_inline(wave.wave.name)}",
            "",
            f"Selects {md_inline(wave.wave.select.describe())}; "
            f"{md_inline(_wave_rules(wave))}; about {duration(wave.estimate)}.",
            "",
        ]
        if not wave.customers:
            lines.append("_Selects no customer._")
            continue
        lines.append("| " + " | ".join(h.capitalize() for h in HEADERS) + " |")
        lines.append("|" + "---|" * len(HEADERS))
        lines += ["| " + " | ".join(md_inline(c) for c in _cells(p)) + " |" for p in wave.customers]
        reasons = _reasons(wave, lambda name, why: f"- **{md_inline(name)}**: {md_inline(why)}")
        lines += ["", *reasons] if reasons else []
    return output.markdown("\n".join(lines) + "\n")


def plan_json(plan: CampaignPlan) -> str:
    return output.json_text(plan.as_dict())


# --------------------------------------------------------------------------- run and status


def run_text(run: CampaignRun) -> str:
    """What this run did, wave by wave, then how it ended."""
    lines = []
    for wave in run.waves:
        skipped = f"; {wave.skipped} settled before" if wave.skipped else ""
        lines.append(f"wave {wave.wave.name}: {len(wave.customers)} rolled by this run{skipped}")
        for customer in wave.customers:
            outcome = f" ({customer.outcome})" if customer.outcome else ""
            lines.append(f"  {customer.customer}: {customer.mark}{outcome}")
            lines += [f"    {one_line(reason)}" for reason in customer.reasons[:5]]
    lines.append(run.message)
    return output.terminal("\n".join(lines))


def run_json(run: CampaignRun) -> str:
    return output.json_text(run.as_dict())


MARKS = ("rolled", "failed", "passed-over", "pending")


def status_text(status: CampaignStatus) -> str:
    """The campaign's state, each wave's counts, and the customers that did not roll."""
    started = status.started or {}
    since = f", started {started.get('at')} by {started.get('actor')}" if started else ""
    lines = [f"campaign to {status.version}: {status.status}{since}"]
    last = status.last
    if last is not None:
        on = f" {last.get('wave')}" if last.get("wave") else ""
        lines.append(f"last: {last.get('event')}{on} at {last.get('at')} by {last.get('actor')}")
    for wave in status.waves:
        counts = ", ".join(f"{wave.count(m)} {m}" for m in MARKS if wave.count(m))
        lines.append(f"wave {wave.wave.name}: {wave.state} ({counts or 'no customer'})")
        lines += _unsettled_lines(wave)
    return output.terminal("\n".join(lines))


def _unsettled_lines(wave: WaveStatus) -> list[str]:
    lines = []
    for customer in wave.customers:
        if customer.mark in ("failed", "passed-over"):
            why = "; ".join(one_line(r) for r in customer.reasons[:3]) or customer.outcome
            lines.append(f"  {customer.name}: {customer.mark} ({customer.outcome}): {why}")
    return lines


def status_json(status: CampaignStatus) -> str:
    return output.json_text(status.as_dict())

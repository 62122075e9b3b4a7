"""Campaign keys of the fleet: labels, maintenance windows and waves, with every validation
error reported as file:line (exit 3), and the next open window on a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from releaser.adapters.yaml import parse_document
from releaser.domain.errors import ExitCode, InvalidFileError
from releaser.domain.fleet import Fleet, read_fleet
from releaser.domain.windows import OpenSpan, Window

HEAD = """\
kit: {repoURL: https://github.com/example/core-kit.git}
customers:
"""


def customer(name: str, extra: str = "") -> str:
    return f"  - name: {name}\n    repo: file:///srv/{name}.git\n    kubernetes: '1.30'\n{extra}"


FLEET = (
    HEAD
    + customer("kuvaq", "    labels: {tier: gold, region: eu}\n")
    + customer("menetekel", "    labels: {tier: silver}\n")
    + customer("ossa", "    labels: {tier: gold, region: us}\n")
    + customer("pell")
    + """\
waves:
  - {name: canary, select: {names: [kuvaq]}, maxParallel: 1, maxFailures: 0, soak: 30m}
  - {name: gold, select: {labels: {tier: gold}}, maxParallel: 5, maxFailures: 1, approval: true}
  - {name: rest, select: {all: true}, maxParallel: 10, maxFailures: 2}
"""
)


def fleet_of(text: str) -> Fleet:
    return read_fleet(parse_document(text, "fleet.yaml"))


def problems_of(text: str) -> list[str]:
    with pytest.raises(InvalidFileError) as err:
        fleet_of(text)
    assert err.value.exit_code == ExitCode.INVALID_FILE
    return [str(p) for p in err.value.problems]


def window_of(text: str) -> Window:
    fleet = fleet_of(HEAD + customer("kuvaq", text))
    window = fleet.customers[0].window
    assert window is not None
    return window


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --------------------------------------------------------------------------- waves


def test_waves_take_customers_in_order_first_match_wins() -> None:
    fleet = fleet_of(FLEET)
    members = [(m.wave.name, m.customers) for m in fleet.wave_members()]
    # kuvaq is gold too, but the canary wave selects it first.
    assert members == [("canary", ("kuvaq",)), ("gold", ("ossa",)), ("rest", ("menetekel", "pell"))]
    canary, gold, rest = fleet.waves
    assert (canary.max_parallel, canary.max_failures, canary.soak, canary.approval) == (
        1, 0, 1800.0, False,
    )  # fmt: skip
    assert (gold.max_parallel, gold.max_failures, gold.approval) == (5, 1, True)
    assert (rest.max_parallel, rest.max_failures, rest.soak) == (10, 2, 0.0)
    assert dict(fleet.customers[0].labels) == {"tier": "gold", "region": "eu"}


def test_a_fleet_without_waves_is_one_wave_one_customer_at_a_time() -> None:
    fleet = fleet_of(HEAD + customer("kuvaq") + customer("menetekel"))
    (only,) = fleet.wave_members()
    assert only.customers == ("kuvaq", "menetekel")
    assert (only.wave.max_parallel, only.wave.max_failures, only.wave.approval) == (1, 0, False)


def test_a_customer_in_no_wave_is_an_error_naming_it() -> None:
    text = FLEET.replace("{name: rest, select: {all: true}", "{name: rest, select: {labels: {tier: silver}}")
    assert problems_of(text) == [
        "fleet.yaml:18: waves: no wave selects pell: add them to a wave, or end the waves with "
        "{name: rest, select: {all: true}}"
    ]


@pytest.mark.parametrize(
    ("wave", "expected"),
    [
        ("{name: a, select: {names: [kuvak]}}", "waves[0].select.names[0]: unknown customer 'kuvak'; did you mean 'kuvaq'?"),
        ("{name: a, select: {all: true}, maxParalel: 2}", "waves[0].maxParalel: unknown key; did you mean 'maxParallel'?"),
        ("{name: a, select: {all: true}, maxParallel: 0}", "waves[0].maxParallel: expected a whole number, 1 or more"),
        ("{name: a, select: {all: true}, maxFailures: -1}", "waves[0].maxFailures: expected a whole number, 0 or more"),
        ("{name: a, select: {all: true}, soak: soon}", "waves[0].soak: invalid duration 'soon'"),
        ("{name: a, select: {all: true}, approval: yes please}", "waves[0].approval: expected true or false"),
        ("{name: a, select: {names: [kuvaq], all: true}}", "waves[0].select: expected exactly one of names"),
        ("{name: a, select: {all: false}}", "waves[0].select.all: expected true"),
        ("{name: a, select: {labels: {}}}", "waves[0].select.labels: expected a non-empty mapping"),
        ("{name: A_1, select: {all: true}}", "waves[0].name: invalid wave name"),
        ("{select: {all: true}}", "waves[0].name: missing required value"),
    ],
)
def test_wave_errors_name_file_line_and_key(wave: str, expected: str) -> None:
    found = problems_of(HEAD + customer("kuvaq") + f"waves:\n  - {wave}\n")
    assert any(p.startswith("fleet.yaml:7: " + expected) for p in found), found


def test_duplicate_wave_names_and_a_wave_list_that_is_not_a_list() -> None:
    twice = "waves:\n  - {name: a, select: {all: true}}\n  - {name: a, select: {all: true}}\n"
    assert problems_of(HEAD + customer("kuvaq") + twice) == [
        "fleet.yaml:8: waves[1].name: duplicate wave 'a'"
    ]
    assert problems_of(HEAD + customer("kuvaq") + "waves: {a: 1}\n") == [
        "fleet.yaml:6: waves: expected a non-empty list of waves"
    ]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ("{tier: {gold: 1}}", "labels.tier: expected a label value"),
        ("{'bad key!': gold}", "labels.bad key!: invalid label key"),
        ("{tier: 'gold plated'}", "labels.tier: invalid label value 'gold plated'"),
        ("[gold]", "labels: expected a mapping, got list"),
    ],
)
def test_label_errors(labels: str, expected: str) -> None:
    found = problems_of(HEAD + customer("kuvaq", f"    labels: {labels}\n"))
    assert found == [f"fleet.yaml:6: customers[0].{expected}"] or any(expected in p for p in found)


def test_label_values_keep_their_text_numbers_included() -> None:
    fleet = fleet_of(HEAD + customer("kuvaq", "    labels: {ring: 01, canary: true}\n"))
    assert fleet.customers[0].labels == (("ring", "01"), ("canary", "true"))


# --------------------------------------------------------------------------- windows

# 2024-10-15 is a Tuesday; Berlin is on CEST (UTC+2) until 2024-10-27.
TUESDAY_MIDNIGHT = at("2024-10-15T00:00:00+00:00")


def test_rrule_window_next_opening_in_its_time_zone() -> None:
    window = window_of(
        '    window: {rrule: "FREQ=WEEKLY;BYDAY=TU,WE;BYHOUR=9", duration: 4h, tz: Europe/Berlin}\n'
    )
    assert window.tz == "Europe/Berlin"
    assert window.next_open(TUESDAY_MIDNIGHT) == OpenSpan(
        at("2024-10-15T09:00+02:00"), at("2024-10-15T13:00+02:00")
    )
    inside = at("2024-10-15T10:30+02:00")
    assert window.is_open(inside)
    assert window.next_open(inside) == OpenSpan(inside, at("2024-10-15T13:00+02:00"))
    # After Wednesday's window: next Tuesday, now on CET (UTC+1): 09:00 local still.
    assert window.next_open(at("2024-10-16T14:00+02:00")) == OpenSpan(
        at("2024-10-22T09:00+02:00"), at("2024-10-22T13:00+02:00")
    )
    assert window.next_open(at("2024-10-28T00:00+01:00")) == OpenSpan(
        at("2024-10-29T09:00+01:00"), at("2024-10-29T13:00+01:00")
    )


def test_cron_allow_minus_deny_and_freeze() -> None:
    window = window_of(
        "    window:\n"
        "      tz: America/New_York\n"
        "      allow:\n"
        '        - {cron: "0 22 * * 1-4", duration: 3h}\n'
        "      deny:\n"
        '        - {rrule: "FREQ=MONTHLY;BYMONTHDAY=1", duration: 24h}\n'
        "      freezes:\n"
        "        - {from: 2024-10-15, until: 2024-10-20, reason: quarter close}\n"
    )
    # Monday 22:00 New York opens; the freeze from Tuesday 00:00 cuts it after 2 hours.
    assert window.next_open(at("2024-10-14T12:00-04:00")) == OpenSpan(
        at("2024-10-14T22:00-04:00"), at("2024-10-15T00:00-04:00")
    )
    # Inside the freeze: the next allowed evening after it is Monday 21st.
    assert window.next_open(at("2024-10-16T12:00-04:00")) == OpenSpan(
        at("2024-10-21T22:00-04:00"), at("2024-10-22T01:00-04:00")
    )
    # Thursday 31st 22:00 runs into the deny on the 1st at midnight.
    assert window.next_open(at("2024-10-31T12:00-04:00")) == OpenSpan(
        at("2024-10-31T22:00-04:00"), at("2024-11-01T00:00-04:00")
    )


def test_deny_only_window_is_open_except_when_denied() -> None:
    window = window_of(
        '    window: {deny: [{cron: "0 0 * * SAT", duration: 48h}], tz: Europe/Paris}\n'
    )
    friday = at("2024-10-18T12:00+02:00")
    assert window.next_open(friday) == OpenSpan(friday, at("2024-10-19T00:00+02:00"))
    saturday = at("2024-10-19T12:00+02:00")
    assert not window.is_open(saturday)
    assert window.next_open(saturday) == OpenSpan(
        at("2024-10-21T00:00+02:00"), at("2024-10-26T00:00+02:00")
    )


def test_no_open_window_within_the_horizon_is_none() -> None:
    window = window_of(
        '    window: {rrule: "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;COUNT=1", duration: 1h}\n'
    )
    assert window.next_open(TUESDAY_MIDNIGHT) is None
    assert window.next_open(TUESDAY_MIDNIGHT, horizon=timedelta(days=1)) is None


def test_overlapping_allowed_periods_merge_into_one_stretch() -> None:
    window = window_of(
        "    window:\n"
        "      allow:\n"
        '        - {cron: "0 9 * * *", duration: 2h}\n'
        '        - {cron: "0 10 * * *", duration: 3h}\n'
    )
    assert window.next_open(TUESDAY_MIDNIGHT) == OpenSpan(
        at("2024-10-15T09:00+00:00"), at("2024-10-15T13:00+00:00")
    )


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ('{rrule: "FREQ=WEEKLY;BYHOUR=25", duration: 1h}', "window.rrule: invalid RRULE: hour must be in 0..23"),
        ('{rrule: "FREQ=MINUTELY", duration: 1h}', "window.rrule: invalid RRULE: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY is required"),
        ('{rrule: "DTSTART:20240101T000000\\nRRULE:FREQ=DAILY", duration: 1h}', "window.rrule: one RRULE line only"),
        ('{cron: "0 22 * *", duration: 1h}', "window.cron: invalid cron expression"),
        ('{cron: "0 25 * * *", duration: 1h}', "window.cron: invalid cron expression"),
        ('{cron: "0 2 * * *", duration: 1h, tz: Mars/Olympus}', "window.tz: unknown time zone 'Mars/Olympus'"),
        ('{cron: "0 2 * * *", duration: 0}', "window.duration: invalid duration '0'"),
        ('{cron: "0 2 * * *"}', "window.duration: missing required value"),
        ('{cron: "0 2 * * *", rrule: "FREQ=DAILY", duration: 1h}', "window: give exactly one of rrule"),
        ('{cron: "0 2 * * *", duration: 1h, allow: [{cron: "0 3 * * *", duration: 1h}]}', "window: give the period"),
        ('{allow: [{cron: "0 3 * * *", duration: 1h, tz: UTC}]}', "window.allow[0].tz: unknown key"),
        ("{allow: []}", "window.allow: expected a non-empty list"),
        ("{freezes: [{from: 2024-12-20, until: 2024-12-01}]}", "window.freezes[0].until: 2024-12-01 is before from: 2024-12-20"),
        ("{freezes: [{from: tomorrow, until: 2024-12-01}]}", "window.freezes[0].from: invalid date 'tomorrow'"),
        ("{rule: x}", "window.rule: unknown key"),
    ],
)
def test_window_errors_name_file_line_and_key(window: str, expected: str) -> None:
    found = problems_of(HEAD + customer("kuvaq", f"    window: {window}\n"))
    assert any(p.startswith("fleet.yaml:6: customers[0]." + expected) for p in found), found


def test_every_problem_of_the_file_is_reported_at_once() -> None:
    text = (
        HEAD
        + customer("kuvaq", '    window: {cron: "nope", duration: 1h}\n    paused: x\n')
        + "waves:\n  - {name: a, select: {names: [nobody]}}\n"
    )
    found = problems_of(text)
    assert [p.split(": ")[1] for p in found] == [
        "customers[0].paused",
        "customers[0].window.cron",
        "waves[0].select.names[0]",
    ]

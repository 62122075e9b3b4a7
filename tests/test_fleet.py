"""The fleet file: shape, defaults and every validation error with its line."""

from __future__ import annotations

import pytest

from releaser.adapters.yaml import parse_document
from releaser.domain.errors import InvalidFileError, UsageError
from releaser.domain.fleet import read_fleet

GOOD = """\
kit:
  repoURL: https://github.com/example/core-kit.git
  remote: git@github.com:example/core-kit.git
notify: https://hooks.example.com/T000/B000
customers:
  - name: kuvaq
    repo: git@github.com:example/kuvaq-gitops.git
    branch: main
    path: argocd/
    provider: aws
    kubernetes: v1.30.4-eks-a737599
    argocd:
      url: https://argocd.kuvaq.example.com/
      tokenEnv: KUVAQ_ARGOCD_TOKEN
      apps: [core-base, core-aws, core-addons]
  - name: menetekel
    repo: file:///srv/git/menetekel.git
    kubernetes: "1.31"
"""


def fleet_of(text: str, file: str = "fleet.yaml"):  # type: ignore[no-untyped-def]
    return read_fleet(parse_document(text, file))


def test_reads_customers_in_order_with_defaults() -> None:
    fleet = fleet_of(GOOD)
    assert fleet.kit_repo_url == "https://github.com/example/core-kit.git"
    assert fleet.kit_remote == "git@github.com:example/core-kit.git"
    assert fleet.notify == "https://hooks.example.com/T000/B000"
    kuvaq, menetekel = fleet.customers
    assert (kuvaq.name, kuvaq.path, kuvaq.provider) == ("kuvaq", "argocd", "aws")
    assert kuvaq.kubernetes.minor_str == "1.30"
    assert kuvaq.argocd is not None
    assert kuvaq.argocd.url == "https://argocd.kuvaq.example.com"
    assert kuvaq.argocd.apps == ("core-base", "core-aws", "core-addons")
    assert (menetekel.branch, menetekel.path, menetekel.argocd) == ("main", "", None)
    assert menetekel.kubernetes.minor_str == "1.31"
    assert kuvaq.work_branch("2024.3") == "releaser/kuvaq-2024.3"


def test_unknown_customer_is_a_usage_error_with_suggestion() -> None:
    with pytest.raises(UsageError, match="unknown customer 'kuvak'") as err:
        fleet_of(GOOD).customer("kuvak")
    assert "kuvaq" in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    kubernetes: v1.30.4-eks-a737599",
            "    kubernetes: one-thirty",
            "fleet.yaml:11: customers[0].kubernetes: invalid Kubernetes version",
        ),
        (
            "    provider: aws",
            "    provider: awz",
            "fleet.yaml:10: customers[0].provider: unknown provider 'awz'; did you mean 'aws'?",
        ),
        (
            "      tokenEnv: KUVAQ_ARGOCD_TOKEN",
            "      tokenEnv: $KUVAQ",
            "fleet.yaml:14: customers[0].argocd.tokenEnv: expected the name of an environment variable",
        ),
        (
            "      apps: [core-base, core-aws, core-addons]",
            "      apps: []",
            "fleet.yaml:15: customers[0].argocd.apps: expected a non-empty list",
        ),
        (
            "  - name: menetekel",
            "  - name: kuvaq",
            "fleet.yaml:16: customers[1].name: duplicate customer 'kuvaq'",
        ),
        (
            "  - name: menetekel",
            "  - name: Mene_tekel",
            "fleet.yaml:16: customers[1].name: invalid name",
        ),
        (
            "    branch: main",
            "    brnach: main",
            "fleet.yaml:8: customers[0].brnach: unknown key; did you mean 'branch'?",
        ),
        (
            "  repoURL: https://github.com/example/core-kit.git\n",
            "",
            "fleet.yaml:1: kit.repoURL: missing required value",
        ),
        (
            "notify: https://hooks.example.com/T000/B000",
            "notify: hooks",
            "fleet.yaml:4: notify: expected an http(s):// webhook URL",
        ),
        (
            "      url: https://argocd.kuvaq.example.com/",
            "      url: argocd.kuvaq",
            "fleet.yaml:13: customers[0].argocd.url: expected an http(s):// URL",
        ),
    ],
)
def test_each_problem_names_file_line_and_path(old: str, new: str, expected: str) -> None:
    text = GOOD.replace(old, new)
    assert text != GOOD
    with pytest.raises(InvalidFileError) as err:
        fleet_of(text)
    assert err.value.exit_code == 3
    assert any(str(p).startswith(expected) for p in err.value.problems), err.value.problems


def test_missing_required_customer_fields_are_all_reported() -> None:
    with pytest.raises(InvalidFileError) as err:
        fleet_of("kit: {repoURL: x}\ncustomers:\n  - name: a\n")
    messages = [str(p) for p in err.value.problems]
    assert "fleet.yaml:3: customers[0].repo: missing required value" in messages
    assert "fleet.yaml:3: customers[0].kubernetes: missing required value" in messages


def test_empty_customer_list_is_invalid() -> None:
    with pytest.raises(InvalidFileError, match="customers: expected a non-empty list"):
        fleet_of("kit: {repoURL: x}\ncustomers: []\n")


@pytest.mark.parametrize(("text", "line"), [("", 1), ("# only a comment\n", 1), ("---\n", 2)])
def test_an_empty_fleet_file_is_reported_with_a_line(text: str, line: int) -> None:
    with pytest.raises(InvalidFileError) as caught:
        fleet_of(text)
    assert all(str(p).startswith(f"fleet.yaml:{line}: ") for p in caught.value.problems)


HELD = GOOD.replace(
    '    kubernetes: "1.31"\n',
    '    kubernetes: "1.31"\n'
    '    hold:\n'
    '      version: "2026.3"\n'
    "      until: 2026-12-15\n"
    "      reason: customer freeze\n",
)


def test_a_hold_is_read_and_applies_to_its_version_until_its_date() -> None:
    from datetime import date

    from releaser.domain.versions import KitVersion

    kuvaq, menetekel = fleet_of(HELD).customers
    hold = menetekel.hold
    assert kuvaq.hold is None and hold is not None
    assert str(hold) == "held (version 2026.3 until 2026-12-15): customer freeze"
    target, other = KitVersion.parse("2026.3"), KitVersion.parse("2026.4")
    assert hold.applies(target, date(2026, 12, 15))  # the last day still holds
    assert not hold.applies(target, date(2026, 12, 16))
    assert not hold.applies(other, date(2026, 1, 1))
    every = fleet_of(GOOD + "    hold: {reason: migration}\n").customers[1].hold
    assert every is not None and every.applies(other, date(2099, 1, 1))
    assert str(every) == "held (every version): migration"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("      version: \"2026.3\"", "      version: 26.3", "fleet.yaml:20: customers[1].hold.version: invalid kit version"),
        ("      version: \"2026.3\"", "      version: 2026.3.1", "fleet.yaml:20: customers[1].hold.version: a hold names a release"),
        ("      until: 2026-12-15", "      until: next week", "fleet.yaml:21: customers[1].hold.until: expected a date YYYY-MM-DD"),
        ("      reason: customer freeze", "      reasn: customer freeze", "fleet.yaml:22: customers[1].hold.reasn: unknown key; did you mean 'reason'?"),
        ("      reason: customer freeze", "      reason: ''", "fleet.yaml:22: customers[1].hold.reason: missing required value"),
    ],
)  # fmt: skip
def test_hold_problems_name_file_line_and_path(old: str, new: str, expected: str) -> None:
    text = HELD.replace(old, new)
    assert text != HELD
    with pytest.raises(InvalidFileError) as err:
        fleet_of(text)
    assert err.value.exit_code == 3
    assert any(str(p).startswith(expected) for p in err.value.problems), err.value.problems


def test_a_hold_must_be_a_mapping() -> None:
    with pytest.raises(InvalidFileError) as err:
        fleet_of(GOOD + "    hold: frozen\n")
    assert [str(p) for p in err.value.problems] == [
        "fleet.yaml:19: customers[1].hold: expected a mapping, got str"
    ]

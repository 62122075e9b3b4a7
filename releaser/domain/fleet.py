"""The fleet: the customers a kit is rolled out to, in rollout order (SPEC §4).

Validated at the edge into frozen objects; every problem names the fleet file and line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from releaser.domain.document import Document, KeyPath
from releaser.domain.durations import parse_duration
from releaser.domain.errors import InvalidFileError, UsageError
from releaser.domain.fleet_fields import HTTP_RE, env_name_at, optional_text, server_url_at
from releaser.domain.git_values import branch_problem, path_problem, url_problem
from releaser.domain.kit_schema import (
    KNOWN_PROVIDERS,
    NAME_RE,
    Problems,
    as_mapping,
    check_keys,
    did_you_mean,
    text_at,
)
from releaser.domain.profiles import Profile, for_deploy
from releaser.domain.review import ReviewSettings, read_review
from releaser.domain.versions import InvalidVersion, KitVersion, KubeVersion
from releaser.domain.waves import (
    DEFAULT_WAVE,
    Labels,
    Wave,
    WaveMembers,
    assign,
    read_labels,
    read_waves,
)
from releaser.domain.windows import Window, read_window

FLEET_KEYS = ("kit", "customers", "notify", "waves")
KIT_KEYS = ("repoURL", "remote")
FLEET_HINT = '`releaser example fleet` prints a commented fleet file (README: "Fleet file")'
CUSTOMER_KEYS = (
    "name",
    "repo",
    "branch",
    "path",
    "provider",
    "kubernetes",
    "argocd",
    "labels",
    "window",
    "deploy",
    "hold",
    "review",
)
DEPLOY_KEYS = ("argocd", "helm")
ARGOCD_KEYS = ("url", "tokenEnv", "apps", "soak")
HOLD_KEYS = ("version", "until", "reason")


@dataclass(frozen=True)
class ArgoCdTarget:
    """Where a customer's Argo CD answers, which env var holds its token, which apps to watch."""

    url: str
    token_env: str
    apps: tuple[str, ...]
    soak: float = 0.0  # seconds the health gate holds before passing (`rollout --soak`)


@dataclass(frozen=True)
class Hold:
    """`hold:` keeps a customer where it is: every version, or only `version`; until the
    end of the day `until` (inclusive), or until the key is removed."""

    reason: str
    version: KitVersion | None = None
    until: date | None = None

    def applies(self, target: KitVersion, today: date) -> bool:
        if self.until is not None and today > self.until:
            return False
        return self.version is None or self.version.release == target.release

    def __str__(self) -> str:
        scope = f"version {self.version}" if self.version else "every version"
        until = f" until {self.until.isoformat()}" if self.until else ""
        return f"held ({scope}{until}): {self.reason}"


@dataclass(frozen=True)
class Customer:
    name: str
    repo: str
    branch: str
    path: str
    provider: str | None
    kubernetes: KubeVersion
    argocd: ArgoCdTarget | None = None
    labels: Labels = ()  # what waves select by (releaser/domain/waves.py)
    window: Window | None = None  # when it may be rolled (releaser/domain/windows.py)
    deploy: Profile | None = None  # how its cluster renders charts (`deploy:`); None: the kit's
    hold: Hold | None = None  # keeps it where it is (`hold:`)
    review: ReviewSettings | None = None  # rollouts as pull/merge requests (`review:`)

    def work_branch(self, version: str) -> str:
        """The branch a rollout commit goes to unless `--direct`."""
        return f"releaser/{self.name}-{version}"


@dataclass(frozen=True)
class Fleet:
    file: str
    kit_repo_url: str
    kit_remote: str | None
    customers: tuple[Customer, ...]
    notify: str | None = None
    waves: tuple[Wave, ...] = ()  # none written: one wave of everyone (DEFAULT_WAVE)

    def wave_members(self) -> list[WaveMembers]:
        """The campaign's waves in order, each with its customers in fleet order."""
        return assign(self.waves or (DEFAULT_WAVE,), [(c.name, c.labels) for c in self.customers])

    def customer(self, name: str) -> Customer:
        for customer in self.customers:
            if customer.name == name:
                return customer
        names = tuple(c.name for c in self.customers)
        raise UsageError(
            f"unknown customer '{name}' in {self.file}", hint=did_you_mean(name, names).lstrip("; ")
        )


def read_fleet(doc: Document) -> Fleet:
    """The fleet in `doc`; raises `InvalidFileError` (exit 3) listing every problem."""
    problems = Problems(doc)
    data = as_mapping(problems, doc.data, ())
    check_keys(problems, data, (), FLEET_KEYS)
    kit = as_mapping(problems, data.get("kit"), ("kit",))
    check_keys(problems, kit, ("kit",), KIT_KEYS)
    repo_url = text_at(problems, kit, ("kit", "repoURL"))
    remote = optional_text(problems, kit, ("kit", "remote"))
    _check(problems, ("kit", "remote"), remote, url_problem)
    notify = optional_text(problems, data, ("notify",))
    if notify and not HTTP_RE.match(notify):
        problems.add(("notify",), "expected an http(s):// webhook URL")
    customers = _read_customers(problems, data.get("customers"))
    waves = read_waves(problems, data.get("waves"), [(c.name, c.labels) for c in customers])
    if problems.found or repo_url is None:
        raise InvalidFileError(problems.found, hint=FLEET_HINT)
    return Fleet(doc.file, repo_url, remote, customers, notify, waves)


def _check(
    problems: Problems, path: KeyPath, value: str | None, rule: Callable[[str], str | None]
) -> None:
    """Values that reach git: refused here, before git could read one as an option."""
    problem = None if value is None else rule(value)
    if problem:
        problems.add(path, problem)


def _read_customers(problems: Problems, value: Any) -> tuple[Customer, ...]:
    if not isinstance(value, list) or not value:
        problems.add(("customers",), "expected a non-empty list of customers")
        return ()
    customers: list[Customer] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        customer = _read_customer(problems, ("customers", index), item)
        if customer is None:
            continue
        if customer.name in seen:
            problems.add(("customers", index, "name"), f"duplicate customer '{customer.name}'")
        seen.add(customer.name)
        customers.append(customer)
    return tuple(customers)


def _read_customer(problems: Problems, path: KeyPath, value: Any) -> Customer | None:
    data = as_mapping(problems, value, path)
    if not data:
        return None
    check_keys(problems, data, path, CUSTOMER_KEYS)
    name = text_at(problems, data, (*path, "name"))
    if name is not None and (not NAME_RE.match(name) or len(name) > 63):
        problems.add((*path, "name"), "invalid name: use lower-case letters, digits and '-'")
    repo = text_at(problems, data, (*path, "repo"))
    _check(problems, (*path, "repo"), repo, url_problem)
    branch = optional_text(problems, data, (*path, "branch")) or "main"
    _check(problems, (*path, "branch"), branch, branch_problem)
    sub = (optional_text(problems, data, (*path, "path")) or "").strip("/")
    _check(problems, (*path, "path"), sub, path_problem)
    provider = optional_text(problems, data, (*path, "provider"))
    if provider is not None and provider not in KNOWN_PROVIDERS:
        hint = did_you_mean(provider, KNOWN_PROVIDERS)
        problems.add((*path, "provider"), f"unknown provider '{provider}'{hint}")
    kube = _read_kube(problems, data, (*path, "kubernetes"))
    argocd = _read_argocd(problems, data.get("argocd"), (*path, "argocd"))
    labels = read_labels(problems, data.get("labels"), (*path, "labels"))
    window = read_window(problems, data.get("window"), (*path, "window"))
    deploy = _read_deploy(problems, data.get("deploy"), (*path, "deploy"))
    hold = _read_hold(problems, data.get("hold"), (*path, "hold"))
    review = read_review(problems, data.get("review"), (*path, "review"))
    if name is None or repo is None or kube is None:
        return None
    return Customer(
        name, repo, branch, sub, provider, kube, argocd,
        labels=labels, window=window, deploy=deploy, hold=hold, review=review,
    )  # fmt: skip


def _read_deploy(problems: Problems, value: Any, path: KeyPath) -> Profile | None:
    """`{argocd: v3.4.4}` or `{helm: 3.17.2}`: the evaluator profile of this cluster."""
    if value is None:
        return None
    data = as_mapping(problems, value, path)
    check_keys(problems, data, path, DEPLOY_KEYS)
    given = [key for key in DEPLOY_KEYS if key in data]
    if len(given) != 1:
        problems.add(path, "expected exactly one of argocd: VERSION or helm: VERSION")
        return None
    text = text_at(problems, data, (*path, given[0]))
    if text is None:
        return None
    try:
        return for_deploy({given[0]: text})
    except UsageError as err:
        problems.add((*path, given[0]), err.message)
        return None


def _read_kube(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> KubeVersion | None:
    text = text_at(problems, data, path)
    if text is None:
        return None
    try:
        return KubeVersion.parse(text)
    except InvalidVersion as err:
        problems.add(path, err.message)
        return None


def _read_argocd(problems: Problems, value: Any, path: KeyPath) -> ArgoCdTarget | None:
    if value is None:
        return None
    data = as_mapping(problems, value, path)
    check_keys(problems, data, path, ARGOCD_KEYS)
    url = server_url_at(problems, data, (*path, "url"), "the Argo CD server")
    token_env = env_name_at(problems, data, (*path, "tokenEnv"))
    apps = data.get("apps")
    if not isinstance(apps, list) or not apps or not all(isinstance(a, str) for a in apps):
        problems.add((*path, "apps"), "expected a non-empty list of Argo CD application names")
        apps = []
    soak = _read_soak(problems, data, (*path, "soak"))
    if url is None or token_env is None or not apps:
        return None
    return ArgoCdTarget(url.rstrip("/"), token_env, tuple(apps), soak)


def _read_soak(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> float:
    text = optional_text(problems, data, path)
    try:
        return parse_duration(text) if text is not None else 0.0
    except UsageError:
        problems.add(path, f"invalid duration {text!r}: use for example 2m, 90s or 0")
        return 0.0


def _read_hold(problems: Problems, value: Any, path: KeyPath) -> Hold | None:
    data = as_mapping(problems, value, path)
    if not isinstance(value, dict):
        return None  # absent, or reported as not a mapping
    check_keys(problems, data, path, HOLD_KEYS)
    reason = text_at(problems, data, (*path, "reason"))
    version = _hold_version(problems, data, (*path, "version"))
    until = _hold_until(problems, data, (*path, "until"))
    return Hold(reason, version, until) if reason is not None else None


def _hold_version(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> KitVersion | None:
    text = optional_text(problems, data, path)
    if text is None:
        return None
    try:
        version = KitVersion.parse(text.strip("'\""))
    except InvalidVersion as err:
        problems.add(path, err.message)
        return None
    if version.is_patch:
        problems.add(path, f"a hold names a release (YYYY.N), not the hotfix {version}")
        return None
    return version


def _hold_until(problems: Problems, data: Mapping[str, Any], path: KeyPath) -> date | None:
    text = optional_text(problems, data, path)
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip("'\""))
    except ValueError:
        problems.add(path, f"expected a date YYYY-MM-DD, got {text!r}")
        return None

"""Which customers can take a release: the rollout preflight, run dry for each customer."""

from __future__ import annotations

from releaser.app.rollout import RolloutPorts, RolloutRequest, roll_out
from releaser.app.rollout_read import running_version
from releaser.domain.errors import ReleaserError
from releaser.domain.fleet import Customer, Fleet
from releaser.domain.progress import NoProgress, Progress, batch
from releaser.domain.report import CustomerRow
from releaser.domain.rollout import blocking
from releaser.domain.versions import InvalidVersion, KitVersion


def customer_row(
    fleet: Fleet, customer: Customer, target: KitVersion, ports: RolloutPorts
) -> CustomerRow:
    cluster = str(customer.kubernetes)
    request = RolloutRequest(customer, fleet.kit_repo_url, target, dry_run=True)
    try:
        result = roll_out(request, ports)
    except ReleaserError as err:
        return CustomerRow(customer.name, None, cluster, False, (err.message,))
    reasons = tuple(str(block) for block in blocking(result.blocks))
    return CustomerRow(
        customer.name, runs(result.from_version, ports), cluster, not reasons, reasons,
        result.unverified,
    )


def runs(described: str, ports: RolloutPorts) -> str | None:
    """What `rollout --status` shows: a customer on `2026.2` whose branch carries a hotfix
    runs `2026.2.1`. Mixed or unknown references stay as the preflight described them."""
    try:
        release = KitVersion.parse(described)
    except InvalidVersion:
        return described or None
    try:
        return str(running_version(ports.kit, release))
    except ReleaserError:  # the preflight read this branch already; keep its own answer
        return described


def customer_rows(
    fleet: Fleet, target: KitVersion, ports: RolloutPorts, progress: Progress | None = None
) -> list[CustomerRow]:
    rows = []
    with batch(progress or NoProgress(), len(fleet.customers), "preflight") as bar:
        for customer in fleet.customers:
            bar.advance(f"{customer.name} on Kubernetes {customer.kubernetes}")
            rows.append(customer_row(fleet, customer, target, ports))
    return rows

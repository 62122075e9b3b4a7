"""The one way a command fails closed: after printing its partial result, exit 4 naming every
upstream it could not read (SPEC §8). stdout keeps the partial data; stderr says what is missing.

An upstream that is down while a cached copy younger than RELEASER_STALE_MAX exists is not
missing: the copy answered (its source said so on stderr), the result carries it as `stale`,
and nothing here fails. Only the upstreams with no usable copy reach `fail_if_partial`.
"""

from __future__ import annotations

from collections.abc import Sequence

from releaser.domain.errors import UpstreamError
from releaser.domain.unverified import Unverified, partial_message

HINT = "the result above is partial; retry when the upstream answers, or point --mirrors at a copy"


def fail_if_partial(unverified: Sequence[Unverified], what: str) -> None:
    """Raise exit 4 when `unverified` names any upstream; `what` is the result ("the plan")."""
    if unverified:
        raise UpstreamError(partial_message(unverified, what), hint=HINT)

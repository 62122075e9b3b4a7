"""Customer leases as refs on the customer's own remote (see `releaser.domain.lease`).

Each lease is a parentless commit of the empty tree whose message names the holder. It is
created with `push --force-with-lease=<ref>:` (an empty expected value: the push fails when
the ref exists), taken over from a dead run with `--force-with-lease=<ref>:<its commit>`, and
given back by deleting the ref under the same lease, so a run never removes a lease that is
not its own. Only this lock ref is ever pushed that way, never a branch.

The commits are built in a throw-away bare repository per call: runs on one machine share
no local state that could race.
"""

from __future__ import annotations

import os
import socket
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from releaser.adapters.git import END_OF_OPTIONS, GitRemote, run_git
from releaser.domain.errors import GitError
from releaser.domain.fleet import Customer
from releaser.domain.lease import LeaseHolder, lease_ref
from releaser.domain.redaction import redact_url

_IDENTITY = {
    "GIT_AUTHOR_NAME": "releaser",
    "GIT_AUTHOR_EMAIL": "releaser@localhost",
    "GIT_COMMITTER_NAME": "releaser",
    "GIT_COMMITTER_EMAIL": "releaser@localhost",
}


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="releaser-lease-") as tmp:
        run_git(Path(tmp), "init", "--quiet", "--bare")
        yield Path(tmp)


class GitCustomerLocks:
    def take(self, customer: Customer, message: str, replacing: str | None) -> str | None:
        """Create the lease (or replace the lease commit `replacing`); its commit, or None
        when the remote refused: the ref exists (or moved on) meanwhile."""
        remote = GitRemote.parse(customer.repo)
        ref = lease_ref(customer.name)
        with _scratch() as repo:
            tree = run_git(repo, "mktree", stdin=b"").decode().strip()
            commit = run_git(repo, "commit-tree", tree, "-m", message, env=_IDENTITY)
            sha = commit.decode().strip()
            lease = f"--force-with-lease={ref}:{replacing or ''}"
            try:
                run_git(repo, "push", "--quiet", lease, END_OF_OPTIONS, remote.url,
                        f"{sha}:{ref}", remote=remote)  # fmt: skip
            except GitError:
                return None
        return sha

    def current(self, customer: Customer) -> tuple[str, str] | None:
        """(commit, message) of the customer's lease on its remote now, or None."""
        remote = GitRemote.parse(customer.repo)
        ref = lease_ref(customer.name)
        with _scratch() as repo:
            try:
                listed = run_git(repo, "ls-remote", END_OF_OPTIONS, remote.url, ref,
                                 remote=remote).decode().split()  # fmt: skip
            except GitError as err:
                raise GitError(
                    f"cannot read the lease of {customer.name} on {redact_url(customer.repo)}",
                    hint=err.message,
                ) from None
            if not listed:
                return None
            try:
                run_git(repo, "fetch", "--quiet", "--no-tags", END_OF_OPTIONS, remote.url,
                        f"+{ref}:refs/lease", remote=remote)  # fmt: skip
            except GitError:
                return None  # given back between the two calls
            sha = run_git(repo, "rev-parse", "refs/lease").decode().strip()
            message = run_git(repo, "log", "-1", "--format=%B", sha).decode()
        return sha, message

    def give_back(self, customer: Customer, commit: str) -> None:
        """Delete the lease ref if it is still `commit`; GitError when that fails."""
        remote = GitRemote.parse(customer.repo)
        ref = lease_ref(customer.name)
        with _scratch() as repo:
            run_git(repo, "push", "--quiet", f"--force-with-lease={ref}:{commit}",
                    END_OF_OPTIONS, remote.url, f":{ref}", remote=remote)  # fmt: skip

    def gone(self, holder: LeaseHolder) -> bool:
        """A holder on this host whose process has exited (a reused pid looks alive: the
        lease then lapses at its `until`)."""
        if holder.host != socket.gethostname() or holder.pid <= 0:
            return False
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, someone else's
            return False
        return False

"""The kit's release branches, read from the kit remote into a bare cache clone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from releaser.adapters.customer_repo import run_git
from releaser.adapters.kit_files import GitRefFiles
from releaser.domain.errors import GitError
from releaser.domain.redaction import redact_url
from releaser.domain.versions import KitVersion


class KitRemote:
    """`release/*` of the kit remote; each branch is fetched (shallow) when first needed."""

    def __init__(self, url: str, cache: Path) -> None:
        self.url = url
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        self.root = cache / "kit" / digest
        self._versions: dict[KitVersion, str] | None = None
        self._fetched: set[KitVersion] = set()

    def _ensure(self) -> None:
        if not (self.root / "HEAD").is_file():
            self.root.mkdir(parents=True, exist_ok=True)
            run_git(self.root, "init", "--quiet", "--bare")

    def versions(self) -> dict[KitVersion, str]:
        if self._versions is None:
            try:
                out = run_git(Path.cwd(), "ls-remote", "--heads", self.url, "refs/heads/release/*")
            except GitError as err:
                raise GitError(
                    f"cannot list the kit's release branches at {redact_url(self.url)}",
                    hint=err.message,
                ) from None
            found: dict[KitVersion, str] = {}
            for line in out.decode().splitlines():
                sha, _, ref = line.partition("\t")
                version = KitVersion.from_branch(ref.removeprefix("refs/heads/"))
                if version is not None:
                    found[version] = sha
            self._versions = found
        return self._versions

    def files(self, version: KitVersion) -> GitRefFiles | None:
        """The kit files on `release/<version>`, or None when there is no such branch."""
        if version.release not in self.versions():
            return None
        ref = f"refs/remotes/kit/{version.release.branch}"
        if version.release not in self._fetched:
            self._ensure()
            spec = f"+refs/heads/{version.release.branch}:{ref}"
            run_git(self.root, "fetch", "--quiet", "--no-tags", "--depth", "1", self.url, spec)
            self._fetched.add(version.release)
        return GitRefFiles(self.root, ref)

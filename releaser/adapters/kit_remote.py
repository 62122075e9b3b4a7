"""The kit's release branches, read from the kit remote into a bare cache clone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from releaser.adapters.git import END_OF_OPTIONS, GitRemote, run_git
from releaser.adapters.git_cache import CacheRepo
from releaser.adapters.git_objects import GitRefFiles
from releaser.domain.errors import GitError
from releaser.domain.versions import KitVersion


class KitRemote:
    """`release/*` of the kit remote; each branch is fetched (shallow) when first needed.

    `cache` is the kits cache directory; each remote URL gets its own clone in it."""

    def __init__(self, url: str, cache: Path) -> None:
        self.remote = GitRemote.parse(url)
        digest = hashlib.sha256(url.encode()).hexdigest()[:12]
        self.clone = CacheRepo(cache / digest)
        self._versions: dict[KitVersion, str] | None = None
        self._fetched: set[KitVersion] = set()

    @property
    def root(self) -> Path:
        return self.clone.root

    def versions(self) -> dict[KitVersion, str]:
        if self._versions is None:
            self._versions = self._list_versions()
        return self._versions

    def _list_versions(self) -> dict[KitVersion, str]:
        try:
            out = run_git(Path.cwd(), "ls-remote", "--heads", END_OF_OPTIONS, self.remote.url,
                          "refs/heads/release/*", remote=self.remote)  # fmt: skip
        except GitError as err:
            raise GitError(
                f"cannot list the kit's release branches at {self.remote.shown}",
                hint=err.message,
            ) from None
        found: dict[KitVersion, str] = {}
        for line in out.decode().splitlines():
            sha, _, ref = line.partition("\t")
            version = KitVersion.from_branch(ref.removeprefix("refs/heads/"))
            if version is not None:
                found[version] = sha
        return found

    def files(self, version: KitVersion) -> GitRefFiles | None:
        """The kit files on `release/<version>`, or None when there is no such branch."""
        if version.release not in self.versions():
            return None
        ref = f"refs/remotes/kit/{version.release.branch}"
        if version.release not in self._fetched:
            spec = f"+refs/heads/{version.release.branch}:{ref}"
            try:
                self.clone.fetch(self.remote, [spec])
            except GitError as err:
                raise GitError(
                    f"cannot fetch {version.release.branch} from the kit at {self.remote.shown}",
                    hint=err.message,
                ) from None
            self._fetched.add(version.release)
        return GitRefFiles(self.root, ref)

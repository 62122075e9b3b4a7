"""The one git runner: hostile values refused, credentials kept out of argv, config and
output, and cache clones rebuilt after a killed run damaged them."""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from releaser.adapters.customer_repo import GitCustomerRepos
from releaser.adapters.fleet_file import load_fleet
from releaser.adapters.git import GitRemote, child_env, run_git
from releaser.adapters.git_cache import CacheRepo
from releaser.adapters.kit_remote import KitRemote
from releaser.domain.errors import GitError, InvalidFileError
from releaser.domain.fleet import Customer
from releaser.domain.git_values import branch_problem, path_problem, url_problem
from releaser.domain.versions import KitVersion, KubeVersion
from tests.customerrepo import cli, make_customer_remote, make_fleet, make_kit_remote
from tests.gitwrap import GitWrap, install
from tests.servers import FileServer

SECRET = "hunter2-planted-secret"
CLOSED = "127.0.0.1:9"  # the discard port: nothing listens on loopback


@pytest.fixture
def wrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitWrap:
    """Every git child of this test process goes through the recording wrapper."""
    installed = install(tmp_path / "gitwrap")
    for name, value in installed.env().items():
        monkeypatch.setenv(name, value)
    return installed


# --------------------------------------------------------------------------- values


@pytest.mark.parametrize(
    "url",
    [
        "file:///srv/git/kuvaq.git",
        "/srv/git/kuvaq.git",
        "https://git.example.com/kuvaq.git",
        "https://bot:token@git.example.com/kuvaq.git",
        "http://127.0.0.1:8080/x.git",
        "ssh://git@git.example.com:22/kuvaq.git",
        "git://git.example.com/kuvaq.git",
        "git@github.com:example/kuvaq.git",
    ],
)
def test_plain_remote_urls_are_accepted(url: str) -> None:
    assert url_problem(url) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("--upload-pack=touch /tmp/pwned", "option"),
        ("-u", "option"),
        ("ext::sh -c touch% /tmp/pwned", "transport"),
        ("fd::3", "transport"),
        ("foo::bar", "transport"),
        ("ftp://example.com/x.git", "unsupported URL scheme"),
        ("ssh://-oProxyCommand=touch%20x/y", "host starts with '-'"),
        ("ssh://git:pw@host/x.git", "password"),
        ("relative/path.git", "expected"),
        ("https://host/x.git\n", "control"),
        ("", "empty"),
    ],
)
def test_hostile_or_odd_remote_urls_are_refused(url: str, message: str) -> None:
    problem = url_problem(url)
    assert problem is not None and message in problem
    with pytest.raises(GitError, match="refusing the git remote"):
        GitRemote.parse(url)


@pytest.mark.parametrize("name", ["main", "release/2024.1", "releaser/kuvaq-2024.3", "a-b_c"])
def test_ordinary_branch_names_are_accepted(name: str) -> None:
    assert branch_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["-x", "--force", "a..b", "a b", "x.lock", ".hidden", "a/", "/a", "a//b", "a@{1}", "a~1",
     "a^", "a:b", "a?", "a*", "a[", "a\\b", "HEAD", "@", "a.", "a\x01"],
)  # fmt: skip
def test_branch_names_git_would_refuse_or_misread_are_refused(name: str) -> None:
    assert branch_problem(name) is not None


@pytest.mark.parametrize("path", ["../x", "a/../../x", "-x", "/etc", "a\\b", "a:b", "./a"])
def test_paths_leaving_the_repository_are_refused(path: str) -> None:
    assert path_problem(path) is not None


FLEET = """\
kit:
  repoURL: https://github.com/example/core-kit.git
  remote: {remote}
customers:
  - name: kuvaq
    repo: {repo}
    branch: {branch}
    path: {path}
    kubernetes: "1.30"
"""
SAFE = {"remote": "file:///srv/kit.git", "repo": "file:///srv/kuvaq.git", "branch": "main",
        "path": "argocd"}  # fmt: skip


@pytest.mark.parametrize(
    ("field", "value", "line"),
    [
        ("remote", "'--upload-pack=touch /tmp/pwned'", 3),
        ("repo", "'ext::sh -c touch% /tmp/pwned'", 6),
        ("branch", "'-x'", 7),
        ("branch", "a..b", 7),
        ("path", "../x", 8),
    ],
)
def test_the_fleet_loader_refuses_values_git_could_misread(
    tmp_path: Path, field: str, value: str, line: int
) -> None:
    path = tmp_path / "fleet.yaml"
    path.write_text(FLEET.format(**{**SAFE, field: value}), encoding="utf-8")
    with pytest.raises(InvalidFileError) as err:
        load_fleet(path)
    assert err.value.exit_code == 3
    assert str(err.value).startswith(f"{path}:{line}: ")


def test_a_hostile_kit_remote_in_a_fleet_file_runs_nothing(tmp_path: Path) -> None:
    bed = make_fleet(tmp_path, [{"name": "kuvaq", "version": "2024.2", "kubernetes": "1.30"}])
    pwned = tmp_path / "pwned"
    text = bed.fleet.read_text().replace(bed.kit_remote.as_uri(), f"'--upload-pack=touch {pwned}'")
    bed.fleet.write_text(text)
    result = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3")
    assert result.code == 3
    assert "fleet.yaml:3: kit.remote: invalid repository URL" in result.err
    assert not pwned.exists()


def test_adapters_refuse_option_like_and_command_running_urls(tmp_path: Path) -> None:
    pwned = tmp_path / "pwned"
    with pytest.raises(GitError, match="refusing the git remote"):
        KitRemote(f"--upload-pack=touch {pwned}", tmp_path / "kits")
    customer = Customer(
        "kuvaq", f"ext::sh -c touch% {pwned}", "main", "", None, KubeVersion.parse("1.30")
    )
    with pytest.raises(GitError, match="refusing the git remote"):
        GitCustomerRepos(tmp_path / "customers").open(customer)
    assert not pwned.exists()


def test_the_runner_itself_never_allows_command_transports(tmp_path: Path) -> None:
    """Even a URL that skipped validation cannot run a command: only safe transports."""
    pwned = tmp_path / "pwned"
    with pytest.raises(GitError, match="ls-remote failed"):
        run_git(tmp_path, "ls-remote", f"ext::sh -c touch% {pwned}")
    assert not pwned.exists()


def test_inherited_git_variables_cannot_redirect_or_configure_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_customer_remote(tmp_path, "kuvaq", "2024.2")
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor'='touch pwned'")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Kept")
    env = child_env()
    assert "GIT_DIR" not in env and "GIT_CONFIG_PARAMETERS" not in env
    assert env["GIT_AUTHOR_NAME"] == "Kept" and env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_ALLOW_PROTOCOL"] == "file:git:http:https:ssh"
    assert run_git(repo, "rev-parse", "--is-bare-repository").strip() == b"true"


def test_git_failures_are_git_errors_with_the_reason(tmp_path: Path) -> None:
    repo = make_customer_remote(tmp_path, "kuvaq", "2024.2")
    with pytest.raises(GitError) as err:
        run_git(repo, "rev-parse", "--verify", "no-such-ref")
    assert err.value.exit_code == 5
    assert err.value.message.startswith(f"git rev-parse failed in {repo}: ")
    assert "Needed a single revision" in err.value.message


# --------------------------------------------------------------------------- credentials


def test_credentials_reach_the_server_only_through_the_childs_environment(
    tmp_path: Path, wrap: GitWrap
) -> None:
    with FileServer() as server:
        url = f"http://bot:{SECRET}@127.0.0.1:{server.port}/kuvaq.git"
        remote = KitRemote(url, tmp_path / "kits")
        with pytest.raises(GitError) as err:
            remote.versions()
        seen = [r.headers.get("authorization") for r in server.log]
    expected = "Basic " + base64.b64encode(f"bot:{SECRET}".encode()).decode()
    assert expected in seen  # the credential did reach the server
    assert SECRET not in str(err.value)
    (call,) = wrap.calls()
    assert call.sub == "ls-remote" and SECRET not in call.text
    assert call.env["GIT_CONFIG_KEY_0"] == "http.extraHeader"
    assert call.env["GIT_CONFIG_VALUE_0"] == f"Authorization: {expected}"


def test_planted_credentials_appear_in_no_argv_config_or_output(
    tmp_path: Path, wrap: GitWrap
) -> None:
    bed = make_fleet(tmp_path, [{"name": "kuvaq", "version": "2024.2", "kubernetes": "1.30"}])
    text = bed.fleet.read_text()
    text = text.replace(bed.remotes["kuvaq"].as_uri(), f"https://bot:{SECRET}@{CLOSED}/kuvaq.git")
    text = text.replace(bed.kit_remote.as_uri(), f"https://kit:{SECRET}@{CLOSED}/kit.git")
    bed.fleet.write_text(text)
    status = cli(bed, "--json", "rollout", "--status")
    rollout = cli(bed, "rollout", "--customer", "kuvaq", "--to", "2024.3", "--push")
    kits = tmp_path / "kit-cache"
    with pytest.raises(GitError) as err:
        KitRemote(f"https://kit:{SECRET}@{CLOSED}/kit.git", kits).files(KitVersion.parse("2024.3"))
    assert status.code == 5 and rollout.code != 0
    outputs = status.out + status.err + rollout.out + rollout.err + str(err.value)
    assert "https://***@127.0.0.1:9/kuvaq.git" in outputs
    assert SECRET not in outputs
    calls = wrap.calls()
    assert {c.sub for c in calls} >= {"fetch"}
    assert all(SECRET not in c.text for c in calls)
    header = [c.env.get("GIT_CONFIG_VALUE_0", "") for c in calls if "127.0.0.1" in c.text]
    assert header and all(h.startswith("Authorization: Basic ") for h in header)
    cache = Path(os.environ["XDG_CACHE_HOME"])
    stored = [p for p in [*cache.rglob("*"), *kits.rglob("*")] if p.is_file()]
    assert stored and all(SECRET.encode() not in p.read_bytes() for p in stored)


# --------------------------------------------------------------------------- cache damage


def _one_loose_object(root: Path) -> Path:
    return next(p for p in (root / "objects").glob("??/*"))


def _damage_pack(root: Path) -> None:
    run_git(root, "repack", "-adq")
    run_git(root, "prune-packed")
    pack = next((root / "objects/pack").glob("*.pack"))
    data = bytearray(pack.read_bytes())
    for offset in range(20, len(data) - 20, 7):
        data[offset] ^= 0xFF
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))


def _half_clone(root: Path) -> None:
    for child in (root / "objects").iterdir():
        if child.name not in ("info", "pack"):
            for item in child.iterdir():
                item.unlink()


def _replace(root: Path, make: Callable[[], object]) -> None:
    shutil.rmtree(root)
    make()


DAMAGE: dict[str, Callable[[Path], None]] = {
    "missing object": lambda root: _one_loose_object(root).unlink(),
    "shallow.lock": lambda root: (root / "shallow.lock").write_text(""),
    "index.lock": lambda root: (root / "index.lock").write_text(""),
    "ref lock": lambda root: next(root.glob("refs/*/*")).with_suffix(".lock").write_text(""),
    "packed-refs.lock": lambda root: (root / "packed-refs.lock").write_text(""),
    "temporary pack": lambda root: (root / "objects/pack/tmp_pack_x").write_text("half"),
    "damaged pack": _damage_pack,
    "half clone": _half_clone,
    "empty dir": lambda root: _replace(root, lambda: root.mkdir()),
    "a file instead": lambda root: _replace(root, lambda: root.write_text("not a repo")),
    "refs in a reftable": lambda root: (root / "reftable").mkdir(),  # read only from files
}


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(".lock") or p.name.startswith("tmp_")]


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_customer_clone_is_rebuilt_not_blamed_on_the_customer(
    tmp_path: Path, damage: str
) -> None:
    bare = make_customer_remote(tmp_path, "kuvaq", "2024.2")
    customer = Customer("kuvaq", bare.as_uri(), "main", "argocd", None, KubeVersion.parse("1.30"))
    repos = GitCustomerRepos(tmp_path / "customers")
    expected = repos.open(customer).base().read(["argocd/apps.yaml"])
    root = repos.clone_dir(customer)
    DAMAGE[damage](root)
    base = repos.open(customer).base()
    assert base.read(["argocd/apps.yaml"]) == expected
    assert base.files("argocd") == ["argocd/addons.yml", "argocd/apps.yaml"]
    assert CacheRepo(root).intact() and _leftovers(root) == []


@pytest.mark.parametrize("damage", ["missing object", "shallow.lock", "damaged pack", "empty dir"])
def test_a_damaged_kit_clone_is_rebuilt(tmp_path: Path, damage: str) -> None:
    url = make_kit_remote(tmp_path / "kit").as_uri()
    version = KitVersion.parse("2024.3")
    files = KitRemote(url, tmp_path / "kits").files(version)
    assert files is not None
    expected = files.read_text("core/kit.yaml")
    root = files.snapshot.root
    DAMAGE[damage](root)
    again = KitRemote(url, tmp_path / "kits").files(version)
    assert again is not None and again.read_text("core/kit.yaml") == expected
    assert CacheRepo(root).intact() and _leftovers(root) == []


def test_an_unreachable_remote_with_a_sound_cache_is_the_remotes_fault(tmp_path: Path) -> None:
    bare = make_customer_remote(tmp_path, "kuvaq", "2024.2")
    customer = Customer("kuvaq", bare.as_uri(), "main", "argocd", None, KubeVersion.parse("1.30"))
    repos = GitCustomerRepos(tmp_path / "customers")
    repos.open(customer)
    commit = run_git(repos.clone_dir(customer), "rev-parse", "refs/heads/main")
    bare.rename(tmp_path / "gone.git")
    with pytest.raises(GitError, match="cannot fetch kuvaq's repository"):
        repos.open(customer)
    # the sound clone was kept, not thrown away
    assert run_git(repos.clone_dir(customer), "rev-parse", "refs/heads/main") == commit


def test_concurrent_runs_share_a_clone_without_wiping_each_others_work(tmp_path: Path) -> None:
    bare = make_customer_remote(tmp_path, "kuvaq", "2024.2")
    customer = Customer("kuvaq", bare.as_uri(), "main", "argocd", None, KubeVersion.parse("1.30"))
    repos = GitCustomerRepos(tmp_path / "customers")
    with ThreadPoolExecutor(max_workers=4) as pool:
        bases = list(pool.map(lambda _: repos.open(customer).base().commit, range(8)))
    assert len(set(bases)) == 1
    assert CacheRepo(repos.clone_dir(customer)).intact()

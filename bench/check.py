"""Benchmark `releaser check` over a whole kit against the real index files on 127.0.0.1.

    python bench/check.py [--kit PATH] [--data DIR] [--runs 5]

Serves the real Helm repository indexes (the package's gzipped copies, see tests/upstream.py)
with the test server, maps the kit's real repository URLs onto it with a mirrors file, and runs the CLI as
a subprocess (`python -m releaser --kit K --mirrors M --json check`):
- cold: an empty cache directory each run (fetch + parse everything);
- warm: the same cache directory, primed once (one 304 per repository, no YAML, each
  component's answer read back from the memo of the earlier run);
- warm, answers not kept: the same, with the memo of answers deleted before each run (what a
  run costs after the kit's versions changed but upstream did not);
- peak memory: the largest ru_maxrss of those child processes;
- the package's bytecode is compiled first, as `pip install` does: where
  PYTHONDONTWRITEBYTECODE is set, an edited module would otherwise be compiled on every run;
- baseline: parsing every needed index whole with yaml.CSafeLoader, in this process.
For scale: Renovate takes 11.8 s cold and 3.0 s warm with 680–870 MB peak on this kit.
Targets: cold <= 1.5 s, warm <= 0.4 s, peak <= 120 MB.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from releaser.adapters.local_helm_repo import shipped_repositories  # noqa: E402
from tests.kitrepo import make_kit_repo  # noqa: E402
from tests.servers import FileServer  # noqa: E402
from tests.upstream import HELM_REPOS  # noqa: E402

# Real repository URL -> index file: the mapping the package ships for the demo.
INDEX_FILES = shipped_repositories()

# The 16 components of the project's core kit (used when no kit with core/ is available).
BUILTIN = {
    "base": [
        ("cert-manager", "https://charts.jetstack.io", "cert-manager", "v1.21.0"),
        ("ingress-nginx", "https://kubernetes.github.io/ingress-nginx", "ingress-nginx", "4.15.1"),
        ("kube-prometheus-stack", "https://prometheus-community.github.io/helm-charts", "kube-prometheus-stack", "88.3.0"),
        ("loki", "https://grafana-community.github.io/helm-charts", "loki", "18.10.1"),
        ("promtail", "https://grafana.github.io/helm-charts", "promtail", "6.17.0"),
        ("sealed-secrets", "https://bitnami-labs.github.io/sealed-secrets", "sealed-secrets", "2.18.5"),
        ("argo-cd", "https://argoproj.github.io/argo-helm", "argo-cd", "9.7.1"),
    ],
    "aws": [
        ("cluster-autoscaler", "https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.58.0"),
        ("aws-load-balancer-controller", "https://aws.github.io/eks-charts", "aws-load-balancer-controller", "3.4.3"),
        ("aws-ebs-csi-driver", "https://kubernetes-sigs.github.io/aws-ebs-csi-driver", "aws-ebs-csi-driver", "2.63.1"),
    ],
    "gcp": [
        ("prometheus-stackdriver-exporter", "https://prometheus-community.github.io/helm-charts", "prometheus-stackdriver-exporter", "4.13.0"),
    ],
    "addons": [
        ("external-dns", "https://kubernetes-sigs.github.io/external-dns/", "external-dns", "1.21.1"),
        ("external-secrets", "https://charts.external-secrets.io", "external-secrets", "2.8.0"),
        ("postgres-operator", "https://opensource.zalando.com/postgres-operator/charts/postgres-operator", "postgres-operator", "1.15.1"),
        ("victoria-metrics-single", "https://victoriametrics.github.io/helm-charts/", "victoria-metrics-single", "0.44.0"),
        ("prometheus-adapter", "https://prometheus-community.github.io/helm-charts", "prometheus-adapter", "5.3.0"),
    ],
}


def builtin_kit(where: Path) -> Path:
    components = {
        section: {
            name: {"repoURL": repo, "chart": chart, "version": version, "namespace": name, "values": {}}
            for name, repo, chart, version in items
        }
        for section, items in BUILTIN.items()
    }
    return make_kit_repo(where, components=components)


def kit_charts(kit: Path) -> list[tuple[str, str]]:
    """(repoURL, chart) of every component, read from core/<section>/values.yaml."""
    out = []
    for values in sorted((kit / "core").glob("*/values.yaml")):
        data = yaml.safe_load(values.read_text(encoding="utf-8")) or {}
        for spec in (data.get("components") or {}).values():
            out.append((spec["repoURL"], spec["chart"]))
    return out


def prefix_of(url: str) -> str:
    return "/" + INDEX_FILES[url].removesuffix(".index.yaml")


def run_measured(kit: Path, mirrors: Path, cache: Path, forget_answers: bool = False) -> tuple[float, int]:
    """Runs check in a child it reaps itself, so the child's own ru_maxrss is known."""
    if forget_answers:
        shutil.rmtree(cache / "releaser" / "checks", ignore_errors=True)
    env = dict(os.environ, XDG_CACHE_HOME=str(cache), PYTHONPATH=str(ROOT))
    env.pop("RELEASER_CACHE_DIR", None)
    argv = [sys.executable, "-m", "releaser", "--kit", str(kit), "--mirrors", str(mirrors), "--json", "check"]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=[
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, str(cache) + ".stderr", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
    ])
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"releaser check failed ({code}):\n{Path(str(cache) + '.stderr').read_text()}")
    return elapsed, usage.ru_maxrss


def startup_floor(runs: int, *args: str) -> float:
    """Median wall time of `python ARGS`: what every command pays before it works."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def baseline(data: Path, repos: list[str]) -> float:
    start = time.perf_counter()
    for url in repos:
        yaml.load((data / INDEX_FILES[url]).read_bytes(), Loader=yaml.CSafeLoader)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kit", type=Path, help="kit checkout with core/ (default: this repo, else built-in)")
    parser.add_argument("--data", type=Path, default=HELM_REPOS)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "releaser", quiet=1)
    with tempfile.TemporaryDirectory(prefix="releaser-bench-") as tmp_dir:
        tmp = Path(tmp_dir)
        kit = args.kit or (ROOT if (ROOT / "core/kit.yaml").is_file() else builtin_kit(tmp / "kit"))
        charts = kit_charts(kit)
        repos = sorted({url for url, _ in charts})
        with FileServer() as server:
            for url in repos:
                server.route(prefix_of(url) + "/index.yaml", args.data / INDEX_FILES[url])
            mirrors = tmp / "mirrors.yaml"
            mirrors.write_text(yaml.safe_dump({u: server.url + prefix_of(u) for u in repos}))
            cold = [run_measured(kit, mirrors, tmp / f"cold-{i}") for i in range(args.runs)]
            warm_cache = tmp / "warm"
            run_measured(kit, mirrors, warm_cache)
            warm = [run_measured(kit, mirrors, warm_cache) for _ in range(args.runs)]
            unkept = [run_measured(kit, mirrors, warm_cache, forget_answers=True) for _ in range(args.runs)]
        floor = startup_floor(args.runs, "-c", "import releaser.cli.main")
        help_floor = startup_floor(args.runs, "-m", "releaser", "--help")
        base = baseline(args.data, repos)
        size = sum((args.data / INDEX_FILES[u]).stat().st_size for u in repos)
        peak = max(rss for _, rss in cold + warm + unkept) / 1024
        print(f"kit: {kit}  components: {len(charts)}  repositories: {len(repos)}  index bytes: {size / 1e6:.1f} MB")
        print(f"cold  median of {args.runs}: {statistics.median(t for t, _ in cold):.2f} s   (target <= 1.5 s)")
        print(f"warm  median of {args.runs}: {statistics.median(t for t, _ in warm):.2f} s   (target <= 0.4 s)")
        print(f"warm, answers not kept, median of {args.runs}: {statistics.median(t for t, _ in unkept):.2f} s")
        print(f"peak memory (max ru_maxrss of the runs): {peak:.0f} MB   (target <= 120 MB)")
        print(f"startup floor, medians: import releaser.cli.main {floor:.2f} s, "
              f"`releaser --help` {help_floor:.2f} s (typer builds every command)")
        print(f"baseline: whole-index yaml.CSafeLoader parse of the {len(repos)} indexes: {base:.2f} s")
        print("reference: Renovate 11.8 s cold, 3.0 s warm, 680-870 MB peak")


if __name__ == "__main__":
    main()

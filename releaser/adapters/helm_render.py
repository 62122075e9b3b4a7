"""`helm template --kube-version X` of a cached chart archive, when a helm binary exists.

Looked up on PATH, then in `<kit checkout>/.tools/bin` (where `.ci/install-helm.sh` puts
one): `helm`, and versioned copies beside it such as `helm-3.19`. When several are found the
newest renders (a modern chart may use template functions an old helm lacks). Rendering uses
the chart's default values with the given ones over them (the kit's, a customer's: passed
as a values file), touches no network (the archive is a local file, HELM_*_HOME point into a
private directory) and never goes through a shell. A chart is upstream input: helm's output
is bounded in bytes and time (a template can loop or print without end), and helm is killed
with anything it started once either runs out. What a render returns and caches is its
outline (`outline`: apiVersion, kind and source of each document; no values, no Secret),
keyed by archive, helm version, Kubernetes version and values, written whole or not at all.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import selectors
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releaser.domain.api_scan import ChartScan
from releaser.domain.errors import ReleaserError

TIMEOUT = 60.0  # seconds one helm run may take
MAX_OUTPUT = 64 * 1024 * 1024  # bytes of rendered manifests (real charts render a few MiB)
_MAX_ERROR = 500  # characters of helm's error line shown


class RenderError(ReleaserError):
    """helm refused the chart (kubeVersion, a `required` value, a template error)."""


_HELM_NAME = re.compile(r"^helm(?:[-_]?v?\d+(?:\.\d+)*)?$")  # helm, helm-3.19, helm4
_VERSION = re.compile(r"\bv?(\d+)\.(\d+)\.(\d+)")


def find_helms(kit_root: Path | None = None, env: Mapping[str, str] | None = None) -> list[str]:
    """Every helm binary on the PATH of `env` (default: this process's), then in the kit's
    `.tools/bin`: `helm` first, then versioned copies (`helm-3.19`), each path once."""
    path = os.environ.get("PATH", os.defpath) if env is None else env.get("PATH", os.defpath)
    folders = [Path(p) for p in path.split(os.pathsep) if p]
    if kit_root is not None:
        folders.append(kit_root / ".tools" / "bin")
    found: dict[str, None] = {}
    for folder in folders:
        for name in _helm_names(folder):
            candidate = folder / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                found.setdefault(str(candidate.resolve()), None)
    return list(found)


def _helm_names(folder: Path) -> list[str]:
    try:
        names = sorted(n for n in os.listdir(folder) if _HELM_NAME.match(n))
    except OSError:
        return []
    return sorted(names, key=lambda n: n != "helm")


def find_helm(kit_root: Path | None = None, env: Mapping[str, str] | None = None) -> str | None:
    """The newest helm `find_helms` finds (asked with `helm version`), or None."""
    helms = find_helms(kit_root, env)
    if len(helms) < 2:
        return helms[0] if helms else None
    return max(helms, key=lambda helm: (helm_version(helm, env), -helms.index(helm)))


def helm_version(helm: str, env: Mapping[str, str] | None = None) -> tuple[int, int, int]:
    """`helm version --short` as numbers; (0, 0, 0) for a binary that does not answer.
    Asked once per binary (path, size and mtime) in a process."""
    try:
        stat = os.stat(helm)
    except OSError:
        return (0, 0, 0)
    path = (env or os.environ).get("PATH", os.defpath)
    return _asked_version(helm, stat.st_size, stat.st_mtime_ns, path)


@functools.cache
def _asked_version(helm: str, size: int, mtime_ns: int, path: str) -> tuple[int, int, int]:
    try:
        out = subprocess.run(
            [helm, "version", "--short"], capture_output=True, text=True, timeout=10,
            env={"PATH": path}, stdin=subprocess.DEVNULL,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return (0, 0, 0)
    match = _VERSION.search(out)
    return (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)


@dataclass(frozen=True)
class _Run:
    returncode: int
    stdout: str
    stderr: str


class HelmRenderer:
    """`ChartRenderer` backed by a helm binary.

    helm runs in `env` (the caller's environment; none by default) without its HELM_*
    variables: its homes are private directories under `work_dir`."""

    def __init__(
        self,
        helm: str,
        work_dir: Path,
        timeout: float = TIMEOUT,
        max_output: int = MAX_OUTPUT,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.helm = helm
        self.base_env = dict(env or {})
        self.work_dir = work_dir
        self.timeout = timeout
        self.max_output = max_output
        self._version: str | None = None

    def describe(self) -> str:
        if self._version is None:
            out = self._run(["version", "--short"])
            self._version = "helm " + (out.stdout.strip().split("+", 1)[0] or "(unknown version)")
        return self._version

    def render(
        self, scan: ChartScan, kube_version: str, values: Mapping[str, Any] | None = None
    ) -> str:
        if scan.archive is None:
            raise RenderError(f"{scan.chart} {scan.version}: no local archive to render")
        given = json.dumps(values or {}, sort_keys=True, default=str)
        key = hashlib.sha256(
            f"{scan.digest}|{self.describe()}|{kube_version}|{given}".encode()
        ).hexdigest()[:40]
        cached = self.work_dir / "rendered" / f"{key}.yaml"
        if cached.is_file():
            return cached.read_text()
        found = outline(self._template(scan.archive, kube_version, values, "release", "default"))
        _write(cached, found)
        return found

    def manifests(
        self, chart: str, kube_version: str, values: Mapping[str, Any] | None = None,
        *, release: str, namespace: str,
    ) -> str:
        """The whole rendered manifests of a chart (an archive or a directory), as Argo CD
        renders an application: never cached, since they may hold Secrets and a customer's
        values; the values exist on disk only in helm's private file, during the call."""
        return self._template(chart, kube_version, values, release, namespace)

    def _template(
        self, chart: str, kube_version: str, values: Mapping[str, Any] | None,
        release: str, namespace: str,
    ) -> str:
        args = ["template", release, chart, "--kube-version", kube_version,
                "--include-crds", "--namespace", namespace]
        given = json.dumps(values, sort_keys=True, default=str) if values else None
        with _values_file(self.work_dir / "values", given) as file:
            out = self._run(args + (["--values", file] if file else []))
        if out.returncode != 0:
            lines = (out.stderr or out.stdout).strip().splitlines()
            errors = [line for line in lines if line.startswith("Error:")]  # not its --debug hint
            last = (errors or lines or [f"helm exited with {out.returncode}"])[-1][:_MAX_ERROR]
            raise RenderError(last)
        return out.stdout

    def _run(self, args: list[str]) -> _Run:
        env = {k: v for k, v in self.base_env.items() if not k.startswith("HELM_")}
        for name in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
            env[name] = str(self.work_dir / "home" / name.lower())
        try:
            proc = subprocess.Popen(
                [self.helm, *args], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            )
        except OSError as exc:
            raise RenderError(f"cannot run {self.helm}: {exc}") from None
        try:
            out, err = self._collect(proc)
        finally:
            _kill_group(proc)
        text = (out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace"))
        return _Run(proc.returncode, *text)

    def _collect(self, proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
        """stdout and stderr until helm closes both, within the time and size bounds."""
        deadline = time.monotonic() + self.timeout
        chunks: dict[int, list[bytes]] = {}
        total = 0
        with selectors.DefaultSelector() as selector:
            for stream in (proc.stdout, proc.stderr):
                assert stream is not None  # both are pipes
                selector.register(stream, selectors.EVENT_READ)
                chunks[stream.fileno()] = []
            while selector.get_map():
                left = self._left(deadline)
                for key, _ in selector.select(left):
                    data = os.read(key.fd, 65536)
                    if not data:
                        selector.unregister(key.fileobj)
                    chunks[key.fd].append(data)
                    total += len(data)
                    if total > self.max_output:
                        raise RenderError(f"helm printed more than {self.max_output} bytes")
        try:
            proc.wait(timeout=self._left(deadline))
        except subprocess.TimeoutExpired:
            raise self._too_slow() from None
        assert proc.stdout is not None and proc.stderr is not None
        return b"".join(chunks[proc.stdout.fileno()]), b"".join(chunks[proc.stderr.fileno()])

    def _left(self, deadline: float) -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise self._too_slow()
        return left

    def _too_slow(self) -> RenderError:
        return RenderError(f"helm did not finish within {self.timeout:g} s")


_OUTLINE = re.compile(r"^(?:# Source: |---|apiVersion:|kind:)")


def outline(manifests: str) -> str:
    """Each document's separator, `# Source:`, top-level `apiVersion` and `kind` lines: what
    the API check reads. Kept instead of the manifests, so no rendered Secret, nor a value a
    customer set, is ever written to the cache."""
    return "".join(line for line in manifests.splitlines(True) if _OUTLINE.match(line))


@contextlib.contextmanager
def _values_file(folder: Path, text: str | None) -> Iterator[str | None]:
    """`text` in a private file (0600: mkstemp's mode) for helm's --values, removed after."""
    if text is None:
        yield None
        return
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="values-", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)  # JSON is YAML: helm reads it as a values file
        yield name
    finally:
        Path(name).unlink(missing_ok=True)


def _write(path: Path, text: str) -> Path:
    """Whole or not at all: a run killed mid-write never leaves a truncated file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text)
    partial.replace(path)
    return path


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Ends helm and whatever it started (plugins, post-renderers); reaps it."""
    if proc.poll() is None:  # not reaped yet: the group id cannot have been reused
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()

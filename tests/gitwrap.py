"""A `git` wrapper for tests, put first on PATH: faults are injected from outside the product.

Every git child releaser starts runs the wrapper, which appends a record to the log (call
number, argv, cwd and the `GIT_CONFIG_*` environment the child got) and then runs the real
git. `GITWRAP_KILL=<when>:<target>` makes it SIGKILL its parent (the releaser
process) at a chosen call:
- `when` is `before` (git never runs) or `during` (git runs on, orphaned, as after a real
  `kill -9` of releaser);
- `target` is a call number (1-based) or a subcommand, meaning its first call.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

# A POSIX sh script (a Python one costs ~15 ms per git call). A call is recorded as
# NUL-separated fields: "call", number, subcommand, cwd, then "arg" VALUE for each argument
# and "env" NAME=VALUE for each GIT_CONFIG* variable, then "end".
SCRIPT = """\
#!/bin/sh
state="$GITWRAP_LOG.d"
mkdir -p "$state/first"
number=$(( $(cat "$state/count" 2>/dev/null || echo 0) + 1 ))
echo "$number" > "$state/count"
sub=""
for arg in "$@"; do
    case "$arg" in -*) ;; *) sub="$arg"; break ;; esac
done
# Built whole, then appended with one write: parallel git children never interleave records.
record="$state/record.$$"
{
    printf 'call\\0%s\\0%s\\0%s\\0' "$number" "$sub" "$PWD"
    for arg in "$@"; do printf 'arg\\0%s\\0' "$arg"; done
    env | grep '^GIT_CONFIG' | while IFS= read -r line; do printf 'env\\0%s\\0' "$line"; done
    printf 'end\\0'
} > "$record"
cat "$record" >> "$GITWRAP_LOG"
rm -f "$record"
first=no
if [ -n "$sub" ] && [ ! -e "$state/first/$sub" ]; then
    first=yes
    : > "$state/first/$sub"
fi
when=${GITWRAP_KILL%%:*}
target=${GITWRAP_KILL#*:}
hit=no
if [ -n "${GITWRAP_KILL:-}" ]; then
    if [ "$target" = "$number" ] || { [ "$target" = "$sub" ] && [ "$first" = yes ]; }; then
        hit=yes
    fi
fi
if [ "$hit" = yes ] && [ "$when" = before ]; then
    kill -9 "$PPID"
    exit 137
fi
if [ "$hit" = yes ] && [ "$when" = during ]; then
    "$GITWRAP_REAL" "$@" &
    child=$!
    sleep 0.02  # let git start its work
    kill -9 "$PPID"
    wait "$child"
    exit $?
fi
exec "$GITWRAP_REAL" "$@"
"""


@dataclass(frozen=True)
class GitCall:
    n: int
    sub: str
    argv: list[str]
    cwd: str
    env: dict[str, str]

    @property
    def text(self) -> str:
        return " ".join(self.argv)


@dataclass(frozen=True)
class GitWrap:
    bin_dir: Path
    log: Path
    real: str

    def env(self, kill: str | None = None) -> dict[str, str]:
        """Variables for a releaser process whose git children go through the wrapper."""
        env = {
            "PATH": f"{self.bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "GITWRAP_LOG": str(self.log),
            "GITWRAP_REAL": self.real,
        }
        if kill:
            env["GITWRAP_KILL"] = kill
        return env

    def calls(self) -> list[GitCall]:
        if not self.log.exists():
            return []
        fields = self.log.read_bytes().decode("utf-8", errors="replace").split("\0")
        calls: list[GitCall] = []
        while fields and fields[0] == "call":
            number, sub, cwd = fields[1:4]
            fields = fields[4:]
            argv: list[str] = []
            env: dict[str, str] = {}
            while fields[0] != "end":
                kind, value, fields = fields[0], fields[1], fields[2:]
                if kind == "arg":
                    argv.append(value)
                else:
                    name, _, text = value.partition("=")
                    env[name] = text
            fields = fields[1:]
            calls.append(GitCall(int(number), sub, argv, cwd, env))
        return calls


def install(base: Path) -> GitWrap:
    """Write the wrapper as `base/bin/git`; the log goes to `base/git-calls.jsonl`."""
    real = shutil.which("git")
    assert real, "git is not on PATH"
    bin_dir = base / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "git"
    script.write_text(SCRIPT, encoding="utf-8")
    script.chmod(0o755)
    return GitWrap(bin_dir, base / "git-calls.jsonl", real)


# A customer lease (refs/releaser/lock/<name>) is created, taken over and given back with
# a compare-and-swap on that one ref, never on a branch: not a forced push.
_LEASE = "--force-with-lease=refs/releaser/lock/"


def forced_pushes(calls: list[GitCall]) -> list[str]:
    """Push calls that could overwrite remote history (`--force`, `-f`, `+refspec`)."""
    forced = []
    for call in calls:
        if call.sub != "push":
            continue
        words = call.argv[call.argv.index("push") + 1 :]
        lease = [w for w in words if w.startswith(_LEASE) and ":" in w]
        positional = [w for w in words if not w.startswith("-")]
        targets = [spec.split(":")[-1] for spec in positional[1:]]  # after the remote
        if lease and targets and all(t.startswith("refs/releaser/lock/") for t in targets):
            continue
        if any(w.startswith(("--force", "+")) or w == "-f" for w in words):
            forced.append(call.text)
    return forced

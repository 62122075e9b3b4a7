"""Shell completion: `releaser completion bash|zsh|fish` prints a script; bash runs it for
real, zsh and fish answers go through the same protocol their scripts speak. Component
names, customers and release versions come from a real kit repository and fleet file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.kitrepo import git, make_kit_repo

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ["cert-manager", "ingress-nginx", "cluster-autoscaler", "external-dns"]
CUSTOMERS = ["kuvaq", "orbis", "tandem"]


@pytest.fixture
def kit(tmp_path: Path) -> Path:
    """A kit with three release branches."""
    root = make_kit_repo(tmp_path / "kit")
    for version in ("2024.1", "2024.2", "2025.1"):
        git(root, "branch", f"release/{version}")
    return root


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    customers = [
        {"name": name, "repo": f"https://git.example.com/{name}.git", "provider": "aws",
         "kubernetes": "1.30"}
        for name in CUSTOMERS
    ]  # fmt: skip
    path = tmp_path / "ops/fleet.yaml"
    path.parent.mkdir(parents=True)
    kit_url = "https://git.example.com/kit.git"
    path.write_text(yaml.safe_dump({"kit": {"repoURL": kit_url}, "customers": customers}))
    return path


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A `releaser` on PATH that runs this checkout, as the installed script would."""
    path = tmp_path / "bin"
    path.mkdir()
    script = path / "releaser"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m releaser "$@"\n')
    script.chmod(0o755)
    return path


def env_with(bin_dir: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "RELEASER_TODAY": "2025-06-01",
        **extra,
    }


def script(shell: str, bin_dir: Path) -> str:
    done = subprocess.run(
        ["releaser", "completion", shell], env=env_with(bin_dir), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def bash_complete(bin_dir: Path, cwd: Path, line: str) -> list[str]:
    """What bash offers for TAB at the end of `line`, with the generated script loaded."""
    words = line.split(" ")
    program = (
        'source "$1"\n'
        'read -r -a COMP_WORDS <<< "$2"\n'
        '[[ "$2" == *" " ]] && COMP_WORDS+=("")\n'
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "_releaser_completion releaser\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    path = cwd.parent / "releaser.bash"
    path.write_text(script("bash", bin_dir))
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program, "bash", str(path), line],
        cwd=cwd, env=env_with(bin_dir), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", (words, done.stderr)
    return [item for item in done.stdout.splitlines() if item]


def protocol(bin_dir: Path, cwd: Path, shell: str, line: str, **extra: str) -> str:
    """The answer `releaser` gives the zsh or fish script for `line`."""
    env = env_with(bin_dir, _RELEASER_COMPLETE=f"complete_{shell}", _TYPER_COMPLETE_ARGS=line)
    done = subprocess.run(
        ["releaser"], cwd=cwd, env={**env, **extra}, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return done.stdout


# ---------------------------------------------------------------- bash, for real
def test_bash_script_completes_component_names_in_the_kit(bin_dir: Path, kit: Path) -> None:
    assert shutil.which("bash")
    assert bash_complete(bin_dir, kit, "releaser bump ") == COMPONENTS
    assert bash_complete(bin_dir, kit, "releaser bump c") == ["cert-manager", "cluster-autoscaler"]


def test_bash_reads_the_kit_named_before_or_after_the_command(
    bin_dir: Path, kit: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert bash_complete(bin_dir, elsewhere, f"releaser --kit {kit} bump e") == ["external-dns"]
    assert bash_complete(bin_dir, elsewhere, f"releaser bump --kit {kit} i") == ["ingress-nginx"]
    assert bash_complete(bin_dir, elsewhere, "releaser bump ") == []  # no kit here: nothing


def test_bash_completes_commands_options_and_choices(bin_dir: Path, kit: Path) -> None:
    assert bash_complete(bin_dir, kit, "releaser ro") == ["rollout"]
    assert bash_complete(bin_dir, kit, "releaser check --section a") == ["aws", "addons"]
    assert bash_complete(bin_dir, kit, "releaser report 2025.1 --format ") == ["md", "html", "json"]
    assert "--json" in bash_complete(bin_dir, kit, "releaser check --")
    assert bash_complete(bin_dir, kit, "releaser data r") == ["refresh"]


def test_bash_completes_releases_refs_and_the_next_version(bin_dir: Path, kit: Path) -> None:
    assert bash_complete(bin_dir, kit, "releaser report ") == ["2025.1", "2024.2", "2024.1"]
    assert bash_complete(bin_dir, kit, "releaser rollout --to 2024") == ["2024.2", "2024.1"]
    assert bash_complete(bin_dir, kit, "releaser hotfix 2025") == ["2025.1"]
    assert bash_complete(bin_dir, kit, "releaser diff release/2024.1 release/2025") == [
        "release/2025.1"
    ]
    assert bash_complete(bin_dir, kit, "releaser cut ") == ["2025.2"]  # RELEASER_TODAY 2025
    assert bash_complete(bin_dir, kit, "releaser hotfix 2025.1 --set ex") == ["external-dns="]


def test_bash_completes_customers_of_the_fleet(bin_dir: Path, kit: Path, fleet: Path) -> None:
    line = f"releaser rollout --fleet {fleet} --customer "
    assert bash_complete(bin_dir, kit, line) == CUSTOMERS
    assert bash_complete(bin_dir, kit, f"releaser --fleet {fleet} rollout --customer t") == [
        "tandem"
    ]
    assert bash_complete(bin_dir, kit, "releaser rollout --customer ") == []  # no fleet file


def test_an_unreadable_kit_or_fleet_completes_nothing_and_prints_nothing(
    bin_dir: Path, kit: Path, tmp_path: Path
) -> None:
    (kit / "core/base/values.yaml").write_text("components: [unclosed\n")
    assert bash_complete(bin_dir, kit, "releaser bump ") == []
    broken = tmp_path / "fleet.yaml"
    broken.write_text("customers: 3\n")
    assert bash_complete(bin_dir, kit, f"releaser rollout --fleet {broken} --customer ") == []
    assert bash_complete(bin_dir, kit, "releaser --kit /nonexistent report ") == []


# ---------------------------------------------------------------- zsh and fish
def test_zsh_script_and_its_answers(bin_dir: Path, kit: Path) -> None:
    text = script("zsh", bin_dir)
    assert text.startswith("#compdef releaser")
    assert "_RELEASER_COMPLETE=complete_zsh" in text
    assert "compdef _releaser_completion releaser" in text
    answer = protocol(bin_dir, kit, "zsh", "releaser bump c")
    assert answer.startswith("_arguments '*: :((")
    assert '"cert-manager":"base v1.20.2"' in answer
    assert '"cluster-autoscaler":"aws 9.50.0"' in answer
    assert protocol(bin_dir, kit, "zsh", "releaser --kit /nonexistent bump ") == "_files\n"


def test_fish_script_and_its_answers(bin_dir: Path, kit: Path) -> None:
    text = script("fish", bin_dir)
    assert text.startswith("complete --command releaser")
    assert "_RELEASER_COMPLETE=complete_fish" in text
    answer = protocol(
        bin_dir, kit, "fish", "releaser bump ", _TYPER_COMPLETE_FISH_ACTION="get-args"
    )
    assert answer.splitlines() == [
        "cert-manager\tbase v1.20.2",
        "ingress-nginx\tbase 4.14.1",
        "cluster-autoscaler\taws 9.50.0",
        "external-dns\taddons 1.19.0",
    ]


def test_an_unknown_shell_is_a_usage_error(bin_dir: Path) -> None:
    done = subprocess.run(
        ["releaser", "completion", "tcsh"], env=env_with(bin_dir), capture_output=True, text=True
    )
    assert done.returncode == 2 and "choose from bash, zsh, fish" in done.stderr

"""The fixed choices options take: help lists them, completion offers them, and a value
outside them is a usage error (exit 2) before the command runs (`releaser.cli.coercion`)."""

from typing import Literal

# The kit's sections (releaser.domain.kit.SECTION_ORDER; tests/test_cli_conventions.py
# checks they match). A kit without a provider section still refuses it, naming its own.
SectionName = Literal["base", "aws", "gcp", "addons"]

# check and compat: a terminal table or Markdown; `--json` prints JSON instead.
TextFormat = Literal["table", "md"]

# report: Markdown for a pull request, one HTML page, or JSON (as `--json`).
ReportFormat = Literal["md", "html", "json"]

# campaign plan: a terminal table, Markdown or JSON.
PlanFormat = Literal["text", "md", "json"]

# diff: terminal text, Markdown (for a pull request) or JSON (as `--json`).
DiffFormat = Literal["text", "md", "json"]

# campaign emit: the CI engine, and how each job lands its rollout.
Engine = Literal["github", "gitlab", "argo-workflows"]
LandingMode = Literal["branch", "direct", "pr"]

# example: which commented file.
ExampleKind = Literal["fleet", "mirrors", "kit"]

"""Reading what a customer runs from its Argo CD manifests, and the byte-minimal rewrite."""

from __future__ import annotations

import pytest

from releaser.adapters.yaml import parse_manifests
from releaser.domain.customer import (
    find_kit_sources,
    normalise_repo_url,
    rewrite_problems,
)
from releaser.domain.errors import InvalidFileError
from releaser.domain.redaction import redact_url
from releaser.domain.splice import splice
from tests.customerrepo import ADDONS, APPS, KIT_URL

CUSTOMER_REPO = "file:///srv/git/kuvaq.git"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/core-kit.git",
        "https://github.com/example/core-kit",
        "https://github.com/example/core-kit/",
        "https://GitHub.COM/example/core-kit.git/",
        "http://github.com/example/core-kit",
        "git@github.com:example/core-kit.git",
        "git@GITHUB.com:example/core-kit",
        "ssh://git@github.com/example/core-kit.git",
        "ssh://git@github.com:22/example/core-kit.git",
        "https://user:token@github.com/example/core-kit.git",
    ],
)
def test_spellings_of_one_repository_normalise_alike(url: str) -> None:
    assert normalise_repo_url(url) == "github.com/example/core-kit"


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/example/core-kit-fork.git",
        "https://github.com/Example2/core-kit",
        "git@gitlab.com:example/core-kit.git",
        "file:///srv/core-kit.git",
    ],
)
def test_other_repositories_do_not_match(url: str) -> None:
    assert normalise_repo_url(url) != "github.com/example/core-kit"


def test_path_case_is_kept_and_file_urls_compare_by_path() -> None:
    assert normalise_repo_url("https://github.com/Example/Kit") == "github.com/Example/Kit"
    assert normalise_repo_url("file:///srv/kit.git/") == normalise_repo_url("file:///srv/kit")


def test_redact_url_hides_credentials() -> None:
    assert (
        redact_url("https://bot:s3cr3t@git.example.com/x.git")
        == "https://***@git.example.com/x.git"
    )
    assert redact_url("git@github.com:a/b.git") == "git@github.com:a/b.git"


def docs_for(version: str = "2024.2", quote: str = "", name: str = "kuvaq"):  # type: ignore[no-untyped-def]
    apps = APPS.format(name=name, version=version, q=quote, repo=CUSTOMER_REPO)
    addons = ADDONS.format(name=name, version=version, addons="external-dns")
    return (
        apps,
        addons,
        parse_manifests(apps, "argocd/apps.yaml") + parse_manifests(addons, "argocd/addons.yml"),
    )


def test_finds_every_kit_source_in_apps_multi_source_and_application_sets() -> None:
    _, _, docs = docs_for()
    state = find_kit_sources(docs, KIT_URL)
    found = [(s.kind, s.app, s.section, s.revision, s.line) for s in state.sources]
    assert found == [
        ("Application", "core-base", "base", "release/2024.2", 11),
        ("Application", "core-aws", "aws", "release/2024.2", 42),
        ("ApplicationSet", "core-addons", "addons", "release/2024.2", 17),
    ]
    assert state.problems == ()
    assert str(state.version) == "2024.2"
    assert state.sections == {"base": "2024.2", "aws": "2024.2", "addons": "2024.2"}
    aws = state.sources[1]
    assert aws.refs == {"values": CUSTOMER_REPO}
    assert aws.helm["valueFiles"] == ["$values/values/aws.yaml"]


def test_mixed_versions_are_reported_not_guessed() -> None:
    apps, addons, _ = docs_for()
    docs = parse_manifests(apps, "a.yaml") + parse_manifests(
        addons.replace("release/2024.2", "release/2024.1"), "b.yaml"
    )
    state = find_kit_sources(docs, KIT_URL)
    assert state.version is None
    assert state.mixed
    assert state.describe() == "mixed (addons 2024.1, aws 2024.2, base 2024.2)"


@pytest.mark.parametrize(
    ("revision", "problem"),
    [
        ("main", "targetRevision 'main' is not a release branch"),
        ("HEAD", "targetRevision 'HEAD' is not a release branch"),
        ("'{{.values.rev}}'", "targetRevision '{{.values.rev}}' is not a release branch"),
        (">-\n          release/2024.2", "targetRevision is not a plain or quoted scalar"),
    ],
)
def test_unusable_revisions_are_problems_with_location(revision: str, problem: str) -> None:
    _, addons, _ = docs_for()
    text = addons.replace("targetRevision: release/2024.2", f"targetRevision: {revision}")
    state = find_kit_sources(parse_manifests(text, "b.yaml"), KIT_URL)
    assert len(state.problems) == 1
    assert state.problems[0].startswith(
        "b.yaml:17 (ApplicationSet core-addons, spec.template.spec.source)"
    )
    assert problem in state.problems[0]


def test_source_without_revision_or_section_is_a_problem() -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: x}\n"
        f"spec:\n  source:\n    repoURL: {KIT_URL}\n    path: charts/other\n"
    )
    state = find_kit_sources(parse_manifests(text, "x.yaml"), KIT_URL)
    assert any("path does not name a kit section" in p for p in state.problems)
    assert any("no targetRevision" in p for p in state.problems)
    assert state.version is None


def test_non_argo_documents_and_other_kinds_are_ignored() -> None:
    text = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        f"data: {{repoURL: {KIT_URL}}}\n---\n---\nkind: Application\nspec: {{source: {{repoURL: {KIT_URL}}}}}\n"
    )
    assert find_kit_sources(parse_manifests(text, "x.yaml"), KIT_URL).sources == ()


@pytest.mark.parametrize("quote", ["", "'", '"'])
def test_splice_changes_only_the_revision_scalars_and_keeps_quotes(quote: str) -> None:
    apps, _, _ = docs_for(quote=quote)
    docs = parse_manifests(apps, "apps.yaml")
    state = find_kit_sources(docs, KIT_URL)
    edits = [(s.span, "release/2024.3") for s in state.sources if s.span]
    new = splice(apps, edits)
    expected = apps.replace(
        f"targetRevision: {quote}release/2024.2{quote}    # the kit version",
        f"targetRevision: {quote}release/2024.3{quote}    # the kit version",
    ).replace('targetRevision: "release/2024.2"', 'targetRevision: "release/2024.3"')
    assert new == expected
    # the non-kit Application keeps its release/2024.2
    assert "    targetRevision: release/2024.2\n    path: .\n" in new
    changed = {(s.doc_index, (*s.path, "targetRevision")) for s in state.sources}
    assert (
        rewrite_problems(docs, parse_manifests(new, "apps.yaml"), changed, "release/2024.3") == []
    )


def test_splice_keeps_crlf_and_non_ascii_text() -> None:
    text = "# ünïcødé ✓\r\napiVersion: argoproj.io/v1alpha1\r\nkind: Application\r\nmetadata: {name: x}\r\nspec:\r\n  source: {repoURL: 'https://github.com/example/core-kit', path: core/base, targetRevision: 'release/2024.2'}  # é\r\n"
    docs = parse_manifests(text, "x.yaml")
    (source,) = find_kit_sources(docs, KIT_URL).sources
    assert source.span is not None
    new = splice(text, [(source.span, "release/2024.3")])
    assert new == text.replace("release/2024.2", "release/2024.3")


def test_rewrite_problems_catch_any_other_change() -> None:
    apps, _, docs = docs_for()
    state = find_kit_sources(docs[:3], KIT_URL)
    changed = {(s.doc_index, (*s.path, "targetRevision")) for s in state.sources}
    tampered = splice(apps, [(s.span, "release/2024.3") for s in state.sources if s.span])
    tampered = tampered.replace("namespace: argocd}", "namespace: kube-system}")
    problems = rewrite_problems(
        docs[:3], parse_manifests(tampered, "argocd/apps.yaml"), changed, "release/2024.3"
    )
    assert problems == ["argocd/apps.yaml: document 1 changed beyond targetRevision"]


def test_manifest_syntax_error_names_file_and_line() -> None:
    with pytest.raises(InvalidFileError, match=r"argocd/bad.yaml:4: YAML syntax error"):
        parse_manifests("a: 1\nb: [1,\nc: {\n", "argocd/bad.yaml")


def test_application_set_with_multiple_sources() -> None:
    text = """\
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: core}
spec:
  generators: [{list: {elements: []}}]
  template:
    metadata: {name: 'core-{{name}}'}
    spec:
      sources:
        - repoURL: https://github.com/example/core-kit
          path: core/gcp
          targetRevision: release/2024.2   # gcp
          helm:
            valueFiles: [$vals/gcp.yaml]
        - repoURL: git@github.com:example/customer.git
          targetRevision: main
          ref: vals
"""
    docs = parse_manifests(text, "set.yaml")
    (source,) = find_kit_sources(docs, KIT_URL).sources
    assert (source.kind, source.section, source.line) == ("ApplicationSet", "gcp", 12)
    assert source.refs == {"vals": "git@github.com:example/customer.git"}
    assert source.origin("valueFiles") == "set.yaml:14 (ApplicationSet core helm.valueFiles)"
    assert source.span is not None
    new = splice(text, [(source.span, "release/2024.3")])
    assert new == text.replace("release/2024.2   # gcp", "release/2024.3   # gcp")

"""Read a kit at a ref into a frozen `Kit`, and validate every kit file."""

from __future__ import annotations

from releaser.app.ports import KitFiles, YamlParser
from releaser.domain.document import Document
from releaser.domain.errors import InvalidFileError, Problem
from releaser.domain.kit import Kit, section_names_for
from releaser.domain.kit_schema import build_kit, read_kit_header

KIT_DIR = "core"
KIT_FILE = f"{KIT_DIR}/kit.yaml"


def values_file(section: str) -> str:
    return f"{KIT_DIR}/{section}/values.yaml"


def chart_file(section: str) -> str:
    return f"{KIT_DIR}/{section}/Chart.yaml"


def _parse(files: KitFiles, path: str, parse: YamlParser) -> Document:
    text = files.read_text(path)
    if text is None:
        where = files.label
        raise InvalidFileError([Problem(path, None, "", f"file is missing ({where})")])
    return parse(text, path)


def _collect(
    problems: list[Problem], files: KitFiles, path: str, parse: YamlParser
) -> Document | None:
    try:
        return _parse(files, path, parse)
    except InvalidFileError as err:
        problems.extend(err.problems)
        return None


def check_kit(files: KitFiles, parse: YamlParser) -> tuple[Kit | None, list[Problem]]:
    """Every problem in the kit's files, and the kit when there are none."""
    problems: list[Problem] = []
    header_doc = _collect(problems, files, KIT_FILE, parse)
    if header_doc is None:
        return None, problems
    header, header_problems = read_kit_header(header_doc)
    problems += header_problems
    providers = header.providers if header else ()
    docs: dict[str, Document] = {}
    for section in section_names_for(providers):
        doc = _collect(problems, files, values_file(section), parse)
        _collect(problems, files, chart_file(section), parse)
        if doc is not None:
            docs[section] = doc
    if header is None or problems:
        return None, problems
    return build_kit(header, docs, files.ref)


def load_kit(files: KitFiles, parse: YamlParser) -> Kit:
    """The kit at `files`' ref; raises `InvalidFileError` (exit 3) naming every problem."""
    kit, problems = check_kit(files, parse)
    if kit is None:
        raise InvalidFileError(
            problems, hint=f"fix the kit files ({files.label}), then run `releaser validate`"
        )
    return kit

"""Text edits of the files a release writes: `core/kit.yaml`, a section's values.yaml and
CHANGELOG.md. Line-based, so comments and formatting around the edited value are kept."""

from __future__ import annotations

import re

from releaser.domain.document import Document, KeyPath
from releaser.domain.versions import InvalidVersion, KitVersion

_HEADING = re.compile(r"^## +(?P<version>\S+)", re.MULTILINE)
_VALUE_LINE = re.compile(
    r"^(?P<lead>\s*(?:-\s+)?[\w.-]+:\s*)(?P<q>[\"']?)(?P<value>[^\"'\s#]+)(?P=q)(?P<rest>.*)$"
)
_COMMENT = re.compile(r"(\s+#.*)$")


def _split(text: str) -> list[str]:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _line_index(doc: Document, path: KeyPath) -> int | None:
    line = doc.lines.get(path)
    return None if line is None else line - 1


def set_kit_version(text: str, doc: Document, version: str) -> str:
    """`core/kit.yaml` with `version: "<version>"` (quoted: 2024.10 must not read as 2024.1)."""
    lines = _split(text)
    new_line = f'version: "{version}"'
    index = _line_index(doc, ("version",)) if isinstance(doc.data, dict) else None
    if index is not None and "version" in doc.data:
        comment = _COMMENT.search(lines[index].rstrip("\n"))
        lines[index] = new_line + (comment.group(1) if comment else "") + "\n"
        return "".join(lines)
    after = _line_index(doc, ("name",))
    lines.insert(0 if after is None else after + 1, new_line + "\n")
    return "".join(lines)


def set_component_version(text: str, doc: Document, component: str, version: str) -> str:
    """A section's values.yaml with `components.<component>.version` set to `version`."""
    path: KeyPath = ("components", component, "version")
    index = _line_index(doc, path)
    old = doc.raw_text(path)
    if index is None or old is None:
        raise ValueError(f"{doc.file}: no {'.'.join(map(str, path))} to edit")
    lines = _split(text)
    line = lines[index].rstrip("\n")
    match = _VALUE_LINE.match(line)
    if match is not None and match["value"] == old:
        q = match["q"]
        lines[index] = f"{match['lead']}{q}{version}{q}{match['rest']}\n"
    else:  # flow style or an unusual layout: replace the value as written, once
        lines[index] = line.replace(old, version, 1) + "\n"
    return "".join(lines)


def _heading_version(text: str) -> KitVersion | None:
    try:
        return KitVersion.parse(text)
    except InvalidVersion:
        return None


def has_entry(changelog: str, version: str) -> bool:
    return any(m["version"] == version for m in _HEADING.finditer(changelog))


def insert_entry(changelog: str, entry: str, version: KitVersion) -> str:
    """CHANGELOG.md with `entry` placed before the first older version, so the file stays
    newest first on main (a hotfix of an older release lands under the newer releases)."""
    entry = entry.strip("\n") + "\n"
    for match in _HEADING.finditer(changelog):
        other = _heading_version(match["version"])
        if other is not None and other < version:
            head = changelog[: match.start()].rstrip("\n")
            head = head + "\n\n" if head else ""
            return head + entry + "\n" + changelog[match.start() :]
    body = changelog.rstrip("\n")
    return (body + "\n\n" if body else "") + entry


def entry_text(changelog: str, version: str) -> str | None:
    """The entry of `version` as written (heading included), or None when absent."""
    matches = list(_HEADING.finditer(changelog))
    for index, match in enumerate(matches):
        if match["version"] == version:
            end = matches[index + 1].start() if index + 1 < len(matches) else len(changelog)
            return changelog[match.start() : end].strip("\n") + "\n"
    return None

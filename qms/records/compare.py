"""What changed between two revisions of a record: fields, title, text and files."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from qms.records.display import field_lines
from qms.records.models import Record
from qms.workflow.definition import RecordKind


@dataclass(frozen=True)
class FieldChange:
    title: str
    before: str
    after: str


@dataclass(frozen=True)
class Comparison:
    before_revision: int
    after_revision: int
    fields: list[FieldChange] = field(default_factory=list)
    # The text, line by line: ("same" | "removed" | "added", line); unchanged runs are
    # cut down to the lines around a change.
    body: list[tuple[str, str]] = field(default_factory=list)
    files_added: list[str] = field(default_factory=list)
    files_removed: list[str] = field(default_factory=list)

    @property
    def unchanged(self) -> bool:
        return not (self.fields or self.body or self.files_added or self.files_removed)

    def as_dict(self) -> dict:
        return {
            "before_revision": self.before_revision,
            "after_revision": self.after_revision,
            "fields": [vars(c) for c in self.fields],
            "body": [list(line) for line in self.body],
            "files_added": self.files_added,
            "files_removed": self.files_removed,
        }


def compare_revisions(
    kind: RecordKind, before: Record, after: Record, lang: str, title_label: str
) -> Comparison:
    """Changes from `before` to `after` (two revisions of one record), shown in `lang`."""
    changes = []
    if before.title != after.title:
        changes.append(FieldChange(title_label, before.title, after.title))
    old, new = field_lines(kind, before.fields, lang), field_lines(kind, after.fields, lang)
    for title in dict.fromkeys([*old, *new]):
        if old.get(title, "") != new.get(title, ""):
            changes.append(FieldChange(title, old.get(title, ""), new.get(title, "")))
    old_files = {(a.filename, a.blob_sha256) for a in before.attachments}
    new_files = {(a.filename, a.blob_sha256) for a in after.attachments}
    return Comparison(
        before_revision=before.revision,
        after_revision=after.revision,
        fields=changes,
        body=_body_changes(before.body or "", after.body or ""),
        files_added=sorted(name for name, _ in new_files - old_files),
        files_removed=sorted(name for name, _ in old_files - new_files),
    )


def _body_changes(before: str, after: str, context: int = 1) -> list[tuple[str, str]]:
    if before == after:
        return []
    lines = []
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines())
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append(("gap", "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [("same", line) for line in matcher.a[i1:i2]]
                continue
            lines += [("removed", line) for line in matcher.a[i1:i2]]
            lines += [("added", line) for line in matcher.b[j1:j2]]
    return lines

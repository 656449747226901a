"""Creating, editing, signing and revising records. The caller commits."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.i18n import lazy_text
from qms.orders.models import Order
from qms.records.models import Attachment, Record, RecordContribution
from qms.timeutil import utcnow
from qms.workflow.definition import RecordKind
from qms.workflow.record_fields import FieldProblem, clean_values
from qms.workflow.registry import definition_of


class RecordError(ValueError):
    """A record operation refused, with the reason in words (rendered in the reader's
    language when shown)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RecordChanged(RecordError):
    """The record is not what the signer read: nothing was signed (HTTP 409)."""


CONTRIBUTION_TITLES = {
    "created": _l("created it"),
    "edited": _l("edited it"),
    "attached": _l("attached a file"),
    "removed_file": _l("removed a file"),
    "revised": _l("opened this revision"),
    "earlier_revision": _l("shaped the revision it came from"),
}


def record_kind(order: Order, kind: str) -> RecordKind:
    definition = definition_of(order.workflow_version)
    if kind not in definition.records:
        known = ", ".join(definition.records)
        raise RecordError(
            _l(
                "'%(kind)s' is not a record kind of this order's workflow (%(known)s)",
                kind=kind,
                known=known,
            )
        )
    return definition.records[kind]


class RecordFieldError(RecordError):
    """A field's value cannot be stored; `path` names the field (and row) at fault."""

    def __init__(self, path: tuple, message):
        super().__init__(message)
        self.path = path


def _check_fields(kind: RecordKind, fields: dict[str, Any]) -> dict[str, Any]:
    """The kind's fields as they are stored (see qms.workflow.record_fields)."""
    known = {f.name for f in kind.fields}
    if unknown := set(fields) - known:
        raise RecordError(
            _l(
                "unknown field(s) for %(kind)s: %(names)s",
                kind=lazy_text(kind.title),
                names=", ".join(sorted(unknown)),
            )
        )
    try:
        return clean_values(kind.fields, fields)
    except FieldProblem as problem:
        raise RecordFieldError(problem.path, problem.message) from None


def edit_refusal(record: Record, user: User) -> str | None:
    """Why `user` may not change this revision's content (edit, attach, remove files)."""
    if user.role == "auditor":
        return _l("auditors read records; they do not write them")
    if record.is_approved:
        return _l("this record is approved; revise it (with a reason) instead of editing")
    if user.id != record.author_id and user.role not in ("manager", "admin"):
        return _l("only the author of this draft or a manager may change it")
    return None


def check_may_edit(record: Record, user: User) -> None:
    if (refusal := edit_refusal(record, user)) is not None:
        raise RecordError(refusal)


def contribute(record: Record, user: User, contribution: str) -> None:
    """Record that `user` shaped this revision; they may no longer sign it."""
    if any(c.user_id == user.id and c.contribution == contribution for c in record.contributions):
        return
    record.contributions.append(
        RecordContribution(user_id=user.id, user=user, contribution=contribution, at=utcnow())
    )


def create_record(
    order: Order,
    kind: str,
    *,
    author: User,
    title: str,
    body: str = "",
    fields: dict[str, Any] | None = None,
) -> Record:
    """A new draft record (revision 1) of `kind` on `order`."""
    if author.role == "auditor":
        raise RecordError(_l("auditors read records; they do not write them"))
    record_type = record_kind(order, kind)
    if not title or not title.strip():
        raise RecordError(_l("a record needs a title"))
    record = Record(
        order_id=order.id,
        kind=kind,
        lineage=str(uuid.uuid4()),
        revision=1,
        title=title.strip(),
        body=body or "",
        fields=_check_fields(record_type, fields or {}),
        status="draft",
        author_id=author.id,
        author=author,
    )
    db.session.add(record)
    contribute(record, author, "created")
    db.session.flush()
    record_event(
        actor=author,
        action="record.created",
        entity_type="record",
        entity_id=record.id,
        order_id=order.id,
        changes={"kind": kind, "title": record.title, "revision": 1, "fields": record.fields},
    )
    return record


def update_draft(
    record: Record,
    *,
    editor: User,
    title: str | None = None,
    body: str | None = None,
    fields: dict[str, Any] | None = None,
) -> Record:
    """Edit a draft; approved records are evidence and are revised, never edited."""
    check_may_edit(record, editor)
    order = db.session.get(Order, record.order_id)
    changes: dict[str, Any] = {}
    if title is not None and title.strip() != record.title:
        if not title.strip():
            raise RecordError(_l("a record needs a title"))
        changes["title"] = [record.title, title.strip()]
        record.title = title.strip()
    if body is not None and body != record.body:
        changes["body"] = [record.body, body]
        record.body = body
    if fields is not None:
        clean = _check_fields(record_kind(order, record.kind), fields)
        if clean != record.fields:
            changes["fields"] = [record.fields, clean]
            record.fields = clean
    if changes:
        contribute(record, editor, "edited")
        db.session.flush()
        record_event(
            actor=editor,
            action="record.edited",
            entity_type="record",
            entity_id=record.id,
            order_id=record.order_id,
            changes=changes,
        )
    return record


def revise_record(record: Record, *, author: User, reason: str) -> Record:
    """A new draft revision of an approved record; the approved one is kept unchanged.

    Whoever opens it contributes to it, and so does everyone who shaped the revision it
    came from: its content carries over, so none of them may approve it.
    """
    if author.role == "auditor":
        raise RecordError(_l("auditors read records; they do not write them"))
    if not reason or not reason.strip():
        raise RecordError(_l("revising an approved record needs a reason"))
    if not record.is_approved:
        raise RecordError(_l("this revision is still a draft; edit it instead"))
    latest = db.session.scalar(
        select(func.max(Record.revision)).where(Record.lineage == record.lineage)
    )
    if latest != record.revision:
        raise RecordError(_l("revision %(n)s is the current one; revise that instead", n=latest))
    revision = Record(
        order_id=record.order_id,
        kind=record.kind,
        lineage=record.lineage,
        revision=record.revision + 1,
        title=record.title,
        body=record.body,
        fields=dict(record.fields or {}),
        status="draft",
        author_id=author.id,
        author=author,
        revision_reason=reason.strip(),
    )
    db.session.add(revision)
    contribute(revision, author, "revised")
    for earlier in {c.user_id: c.user for c in record.contributions}.values():
        contribute(revision, earlier, "earlier_revision")
    db.session.flush()
    for attachment in record.attachments:  # the files carry over; the blobs are shared
        db.session.add(
            Attachment(
                record_id=revision.id,
                blob_sha256=attachment.blob_sha256,
                filename=attachment.filename,
                uploaded_by_id=attachment.uploaded_by_id,
            )
        )
    record_event(
        actor=author,
        action="record.revised",
        entity_type="record",
        entity_id=revision.id,
        order_id=record.order_id,
        changes={"kind": record.kind, "revision": [record.revision, revision.revision]},
        reason=reason.strip(),
    )
    return revision

"""Creating, editing, signing and revising records. The caller commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.auth.roles import SIGNATURE_MEANINGS
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Attachment, Record, Signature
from qms.timeutil import utcnow
from qms.workflow.definition import RecordKind
from qms.workflow.registry import definition_of


class RecordError(ValueError):
    """A record operation refused, with the reason in words."""


def record_kind(order: Order, kind: str) -> RecordKind:
    definition = definition_of(order.workflow_version)
    if kind not in definition.records:
        known = ", ".join(definition.records)
        raise RecordError(f"'{kind}' is not a record kind of this order's workflow ({known})")
    return definition.records[kind]


def _check_fields(kind: RecordKind, fields: dict[str, Any]) -> dict[str, str]:
    known = {f.name: f for f in kind.fields}
    if unknown := set(fields) - set(known):
        raise RecordError(f"unknown field(s) for {kind.title.en}: {', '.join(sorted(unknown))}")
    clean = {}
    for field in kind.fields:
        value = str(fields.get(field.name) or "").strip()
        if not value and not field.optional:
            raise RecordError(f"{kind.title.en}: '{field.title.en}' is required")
        if value and field.choices is not None and value not in field.choices:
            allowed = ", ".join(field.choices)
            raise RecordError(f"{kind.title.en}: '{field.title.en}' must be one of {allowed}")
        if value:
            clean[field.name] = value
    return clean


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
        raise RecordError("auditors read records; they do not write them")
    record_type = record_kind(order, kind)
    if not title or not title.strip():
        raise RecordError("a record needs a title")
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
    if record.is_approved:
        raise RecordError("this record is approved; revise it (with a reason) instead of editing")
    if editor.id != record.author_id and editor.role not in ("manager", "admin"):
        raise RecordError("only the author or a manager may edit a draft")
    order = db.session.get(Order, record.order_id)
    changes: dict[str, Any] = {}
    if title is not None and title.strip() != record.title:
        if not title.strip():
            raise RecordError("a record needs a title")
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


def sign_record(record: Record, *, signer: User, password: str, meaning: str) -> Signature:
    """An electronic signature: the signer re-enters their password and says what it means.

    Signing with the meaning the record kind is approved by (usually "approved")
    approves the record. The author cannot sign their own record.
    """
    if meaning not in SIGNATURE_MEANINGS:
        raise RecordError(f"a signature means one of: {', '.join(SIGNATURE_MEANINGS)}")
    if not signer.check_password(password or ""):
        raise RecordError("the password is not correct; the record was not signed")
    if signer.id == record.author_id:
        raise RecordError("the author of a record cannot sign it; ask someone else to")
    order = db.session.get(Order, record.order_id)
    kind = record_kind(order, record.kind)
    approving = meaning == kind.approve_as
    if approving and signer.role not in kind.approvers:
        who = " or ".join(kind.approvers)
        raise RecordError(f"only a {who} may sign {kind.title.en} as {meaning}")
    if approving and record.is_approved:
        raise RecordError("this revision is already approved")
    already = db.session.scalar(
        select(func.count()).where(
            Signature.record_id == record.id,
            Signature.signer_id == signer.id,
            Signature.meaning == meaning,
        )
    )
    if already:
        raise RecordError(f"you have already signed this record as {meaning}")
    content = record.content_hash()
    signature = Signature(
        record_id=record.id, signer_id=signer.id, meaning=meaning, content_sha256=content
    )
    db.session.add(signature)
    if approving:
        record.status = "approved"
        record.approved_at = utcnow()
        record.content_sha256 = content
    db.session.flush()
    record_event(
        actor=signer,
        action="record.approved" if approving else "record.signed",
        entity_type="record",
        entity_id=record.id,
        order_id=record.order_id,
        changes={"meaning": meaning, "content_sha256": content, "revision": record.revision},
    )
    return signature


def revise_record(record: Record, *, author: User, reason: str) -> Record:
    """A new draft revision of an approved record; the approved one is kept unchanged."""
    if author.role == "auditor":
        raise RecordError("auditors read records; they do not write them")
    if not reason or not reason.strip():
        raise RecordError("revising an approved record needs a reason")
    if not record.is_approved:
        raise RecordError("this revision is still a draft; edit it instead")
    latest = db.session.scalar(
        select(func.max(Record.revision)).where(Record.lineage == record.lineage)
    )
    if latest != record.revision:
        raise RecordError(f"revision {latest} is the current one; revise that instead")
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

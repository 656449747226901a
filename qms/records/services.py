"""Creating, editing, signing and revising records. The caller commits."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.orm.attributes import set_committed_value

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.i18n import lazy_text, role_titles
from qms.orders.models import Order
from qms.records.models import Attachment, Record, RecordContribution, Signature
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
        raise RecordError(f"'{kind}' is not a record kind of this order's workflow ({known})")
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


def sign_refusal(record: Record, user: User, kind: RecordKind) -> str | None:
    """Why `user` may not sign this revision at all (password and meaning aside)."""
    if user.role not in kind.approvers:
        return _l(
            "only a %(roles)s may sign a record of this kind (%(kind)s)",
            roles=role_titles(kind.approvers),
            kind=lazy_text(kind.title),
        )
    if record.is_approved:
        return _l("this revision is already approved; there is nothing more to sign")
    own = [c for c in record.contributions if c.user_id == user.id]
    if own:
        how = ", ".join(str(CONTRIBUTION_TITLES[c.contribution]) for c in own)
        return _l(
            "you shaped this revision (%(how)s), so someone who did not must sign it", how=how
        )
    return None


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


def sign_record(
    record: Record, *, signer: User, password: str, meaning: str, seen_sha256: str
) -> Signature:
    """An electronic signature on exactly the content the signer read.

    `seen_sha256` is the content hash of the record as it was shown to the signer; if the
    record has changed since, RecordChanged is raised and nothing is signed. The signer
    re-enters their password and says what the signature means: the kind's approving
    meaning (usually "approved") approves the revision; "reviewed" does not. Only the
    kind's approvers may sign, and no one who shaped this revision (its contributors).
    """
    order = db.session.get(Order, record.order_id)
    kind = record_kind(order, record.kind)
    meanings = signing_meanings(kind)
    if meaning not in meanings:
        raise RecordError(
            _l(
                "a signature on this record means one of: %(meanings)s",
                meanings=", ".join(meanings),
            )
        )
    if (refusal := sign_refusal(record, signer, kind)) is not None:
        raise RecordError(refusal)
    content = record.content_hash()
    if seen_sha256 != content:
        raise RecordChanged(
            _l("the record changed since you opened it; read it again before you sign")
        )
    if not signer.check_password(password or ""):
        raise RecordError(_l("the password is not correct; the record was not signed"))
    already = db.session.scalar(
        select(func.count()).where(
            Signature.record_id == record.id,
            Signature.signer_id == signer.id,
            Signature.meaning == meaning,
        )
    )
    if already:
        raise RecordError(
            _l("you have already signed this revision as %(meaning)s", meaning=meaning)
        )
    approving = meaning == kind.approve_as
    signature = Signature(
        record_id=record.id, signer_id=signer.id, meaning=meaning, content_sha256=content
    )
    db.session.add(signature)
    if approving:  # the version-checked UPDATE refuses if someone changed it meanwhile
        record.status = "approved"
        record.approved_at = utcnow()
        record.content_sha256 = content
    else:
        _claim_unchanged(record)
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


def signing_meanings(kind: RecordKind) -> tuple[str, ...]:
    """What a signature on this kind may mean: its approving meaning, or "reviewed"."""
    return (kind.approve_as,) if kind.approve_as == "reviewed" else (kind.approve_as, "reviewed")


def _claim_unchanged(record: Record) -> None:
    """Bump the record's version only if it is still the version read: a signature that
    approves nothing must not land on content someone changed after it was read."""
    written = db.session.execute(
        update(Record.__table__)
        .where(Record.__table__.c.id == record.id, Record.__table__.c.version == record.version)
        .values(version=record.version + 1)
    )
    if written.rowcount != 1:
        raise RecordChanged(
            _l("the record changed since you opened it; read it again before you sign")
        )
    set_committed_value(record, "version", record.version + 1)


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

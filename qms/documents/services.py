"""Revisions of controlled documents: prepared, approved by e-signature, superseded,
withdrawn. Each operation flushes and writes its audit event; the caller commits.

Approval follows the rules of a record's signature (qms.records.signing.check_signature):
the password re-entered, a meaning, only an approver, never the person who prepared the
revision, and only the content the approver was shown.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.catalogue.model import Document
from qms.documents.content import DocumentError, checked_content
from qms.documents.models import (
    DocumentRevision,
    DocumentSignature,
    DocumentWithdrawal,
)
from qms.extensions import db
from qms.i18n import role_titles
from qms.records.signing import check_signature
from qms.timeutil import utcnow
from qms.workflow.registry import catalogue

PREPARERS = ("admin", "manager", "engineer")
APPROVERS = ("admin", "manager")
APPROVE_AS = "approved"


def find_document(key: str) -> Document:
    """A register entry by its register number or its code (СТП-3-01); DocumentError if
    there is none, or the code names more than one."""
    documents = catalogue().documents
    if key in documents:
        return documents[key]
    matches = [d for d in documents.values() if d.code and d.code == key.strip()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        registers = ", ".join(d.register for d in matches)
        raise DocumentError(
            _l(
                "'%(key)s' names several documents; give its register number (%(registers)s)",
                key=key,
                registers=registers,
            )
        )
    raise DocumentError(_l("no document '%(key)s' in the register", key=key))


def revisions_of(register: str) -> list[DocumentRevision]:
    return list(
        db.session.scalars(
            select(DocumentRevision)
            .where(DocumentRevision.register == register)
            .order_by(DocumentRevision.revision)
        )
    )


def withdrawal_of(register: str) -> DocumentWithdrawal | None:
    return db.session.scalars(
        select(DocumentWithdrawal).where(DocumentWithdrawal.register == register)
    ).first()


def add_revision(
    document: Document,
    *,
    author: User,
    summary: str,
    effective_from: date,
    body: str = "",
    filename: str | None = None,
    content: bytes | None = None,
    review_months: int = 12,
    max_bytes: int = 10 * 1024 * 1024,
) -> DocumentRevision:
    """Prepare the next revision of `document` as a draft: a text, or a PDF/DOCX/ODT file
    checked as any uploaded file is. It supersedes the latest approved revision."""
    if author.role not in PREPARERS:
        raise DocumentError(
            _l("only a %(roles)s may prepare a revision", roles=role_titles(PREPARERS))
        )
    if withdrawal_of(document.register) is not None:
        raise DocumentError(_l("%(document)s was withdrawn", document=document.label))
    revisions = revisions_of(document.register)
    if any(not r.is_approved for r in revisions):
        raise DocumentError(
            _l("a draft revision of %(document)s is waiting for approval", document=document.label)
        )
    approved = [r for r in revisions if r.is_approved]
    checked = checked_content(
        summary=summary,
        body=body,
        filename=filename,
        content=content,
        effective_from=effective_from,
        review_months=review_months,
        max_bytes=max_bytes,
        after=approved[-1] if approved else None,
    )
    revision = DocumentRevision(
        register=document.register,
        revision=(revisions[-1].revision + 1) if revisions else 1,
        prepared_by_id=author.id,
        supersedes_id=approved[-1].id if approved else None,
        **checked,
    )
    db.session.add(revision)
    db.session.flush()
    record_event(
        actor=author,
        action="document.prepared",
        entity_type="document",
        entity_id=revision.id,
        changes={
            "document": document.label,
            "revision": revision.revision,
            "effective_from": revision.effective_from,
            "file": revision.filename,
            "sha256": revision.blob_sha256,
        },
        reason=revision.summary,
    )
    return revision


def edit_draft(
    revision: DocumentRevision,
    *,
    editor: User,
    summary: str,
    effective_from: date,
    body: str = "",
    filename: str | None = None,
    content: bytes | None = None,
    review_months: int = 12,
    max_bytes: int = 10 * 1024 * 1024,
) -> None:
    """Rewrite a draft revision; only the person who prepared it may (they stay the one
    person who shaped it, so anyone else may approve it). A file left out keeps the one
    the draft has, unless a text is given instead."""
    if revision.is_approved:
        raise DocumentError(_l("an approved revision cannot change; prepare a new one"))
    if editor.id != revision.prepared_by_id:
        raise DocumentError(_l("only the person who prepared a draft may edit it"))
    keep_file = not content and not (body or "").strip() and revision.blob_sha256
    previous = (
        db.session.get(DocumentRevision, revision.supersedes_id) if revision.supersedes_id else None
    )
    checked = checked_content(
        summary=summary,
        body=body,
        filename=revision.filename if keep_file else filename,
        content=b"kept" if keep_file else content,
        effective_from=effective_from,
        review_months=review_months,
        max_bytes=max_bytes,
        after=previous or None,
        keep=(revision.filename, revision.blob_sha256) if keep_file else None,
    )
    for name, value in checked.items():
        setattr(revision, name, value)
    db.session.flush()  # the version column refuses if someone changed it meanwhile
    record_event(
        actor=editor,
        action="document.edited",
        entity_type="document",
        entity_id=revision.id,
        changes={
            "document": catalogue().documents[revision.register].label,
            "revision": revision.revision,
            "effective_from": revision.effective_from,
            "file": revision.filename,
            "sha256": revision.blob_sha256,
        },
        reason=revision.summary,
    )


def approval_refusal(revision: DocumentRevision, user: User) -> str | None:
    """Why `user` may not approve this revision at all (password and meaning aside)."""
    if user.role not in APPROVERS:
        return _l(
            "only a %(roles)s may approve a document's revision", roles=role_titles(APPROVERS)
        )
    if revision.is_approved:
        return _l("this revision is already approved; there is nothing more to sign")
    if user.id in revision.contributor_ids:
        return _l("you prepared this revision, so someone who did not must approve it")
    if withdrawal_of(revision.register) is not None:
        return _l("the document was withdrawn")
    return None


def approve_revision(
    revision: DocumentRevision, *, signer: User, password: str, meaning: str, seen_sha256: str
) -> DocumentSignature:
    """Approve a draft revision with an electronic signature (see check_signature): it
    takes effect on its effective date, and the revision it supersedes becomes obsolete."""
    content = revision.content_hash()
    check_signature(
        signer,
        password=password,
        meaning=meaning,
        meanings=(APPROVE_AS,),
        refusal=approval_refusal(revision, signer),
        seen_sha256=seen_sha256,
        content_sha256=content,
    )
    signature = DocumentSignature(
        revision_id=revision.id, signer_id=signer.id, meaning=meaning, content_sha256=content
    )
    db.session.add(signature)
    revision.status = "approved"
    revision.approved_at = utcnow()
    revision.content_sha256 = content
    db.session.flush()  # the version column refuses if someone changed it meanwhile
    record_event(
        actor=signer,
        action="document.approved",
        entity_type="document",
        entity_id=revision.id,
        changes={
            "document": catalogue().documents[revision.register].label,
            "revision": revision.revision,
            "meaning": meaning,
            "content_sha256": content,
            "effective_from": revision.effective_from,
        },
    )
    from qms.documents.acknowledgements import tell_readers  # it reads the statuses

    tell_readers(revision, signer)
    return signature


def revision_count() -> int:
    return db.session.scalar(select(func.count()).select_from(DocumentRevision)) or 0

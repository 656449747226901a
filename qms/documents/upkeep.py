"""Keeping the register current: a periodic review that keeps the revision in force, and
withdrawing a document (its revisions are kept). Each writes its audit event; the caller
commits."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.catalogue.model import Document
from qms.documents.content import DocumentError, add_months
from qms.documents.models import DocumentReview, DocumentRevision, DocumentWithdrawal
from qms.documents.services import APPROVERS, withdrawal_of
from qms.extensions import db
from qms.i18n import role_titles
from qms.timeutil import utcnow
from qms.workflow.registry import catalogue


def confirm_review(
    revision: DocumentRevision, *, reviewer: User, note: str, today: date | None = None
) -> DocumentReview:
    """Record a periodic review that keeps the revision in force as it is: its next review
    falls one interval from today. Only for the revision in force, by an approver."""
    from qms.documents.queries import document_statuses

    if reviewer.role not in APPROVERS:
        raise DocumentError(
            _l("only a %(roles)s may review a document", roles=role_titles(APPROVERS))
        )
    if not note or not note.strip():
        raise DocumentError(_l("say what the review found"))
    today = today or utcnow().date()
    if document_statuses(today, revision.register)[revision.register].in_force is not revision:
        raise DocumentError(_l("only the revision in force is reviewed"))
    review = DocumentReview(
        revision_id=revision.id,
        reviewed_by_id=reviewer.id,
        next_review_due=add_months(today, revision.review_months),
        note=note.strip(),
    )
    db.session.add(review)
    db.session.flush()
    record_event(
        actor=reviewer,
        action="document.reviewed",
        entity_type="document",
        entity_id=revision.id,
        changes={
            "document": catalogue().documents[revision.register].label,
            "revision": revision.revision,
            "review_due": review.next_review_due,
        },
        reason=review.note,
    )
    return review


def withdraw_document(document: Document, *, actor: User, reason: str) -> DocumentWithdrawal:
    """Take a document out of use: no revision of it is in force from now; all are kept."""
    if actor.role not in APPROVERS:
        raise DocumentError(
            _l("only a %(roles)s may withdraw a document", roles=role_titles(APPROVERS))
        )
    if not reason or not reason.strip():
        raise DocumentError(_l("a reason is required"))
    if withdrawal_of(document.register) is not None:
        raise DocumentError(_l("%(document)s was withdrawn", document=document.label))
    withdrawal = DocumentWithdrawal(
        register=document.register, reason=reason.strip(), withdrawn_by_id=actor.id
    )
    db.session.add(withdrawal)
    db.session.flush()
    record_event(
        actor=actor,
        action="document.withdrawn",
        entity_type="document",
        entity_id=None,
        changes={"document": document.label},
        reason=withdrawal.reason,
    )
    return withdrawal

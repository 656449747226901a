"""Read models: the register with each document's revisions, status and review date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.catalogue.model import Document
from qms.documents.models import (
    DocumentReview,
    DocumentRevision,
    DocumentSignature,
    DocumentWithdrawal,
)
from qms.extensions import db
from qms.timeutil import utcnow
from qms.workflow.registry import catalogue

# A revision's status, computed from its approval, its dates and its document's.
STATUS_TITLES = {
    "draft": _l("Draft"),
    "approved": _l("Approved, not yet in force"),
    "in_force": _l("In force"),
    "obsolete": _l("Obsolete"),
    "withdrawn": _l("Withdrawn"),
    "none": _l("No revision loaded"),
}


@dataclass
class DocumentStatus:
    document: Document
    revisions: list[DocumentRevision] = field(default_factory=list)
    withdrawal: DocumentWithdrawal | None = None
    in_force: DocumentRevision | None = None
    statuses: dict[int, str] = field(default_factory=dict)  # revision id -> status
    reviews: list[DocumentReview] = field(default_factory=list)  # of the revision in force

    @property
    def status(self) -> str:
        if self.withdrawal is not None:
            return "withdrawn"
        if self.in_force is not None:
            return "in_force"
        return "draft" if self.revisions else "none"

    @property
    def review_due(self) -> date | None:
        """The revision in force's review date, moved on by each review that kept it."""
        if self.in_force is None:
            return None
        return self.reviews[-1].next_review_due if self.reviews else self.in_force.review_due

    def review_overdue(self, today: date) -> bool:
        return self.review_due is not None and self.review_due < today

    def as_dict(self) -> dict:
        return {
            "register": self.document.register,
            "code": self.document.code,
            "revision": self.in_force.revision if self.in_force else None,
            "effective_from": self.in_force.effective_from.isoformat() if self.in_force else None,
            "review_due": self.review_due.isoformat() if self.review_due else None,
            "status": self.status,
        }


def document_statuses(today: date | None = None, register: str | None = None):
    """Every document of the register (or one), with its revisions, their statuses and
    the reviews of the revision in force, in four queries."""
    today = today or utcnow().date()
    query = select(DocumentRevision).options(
        selectinload(DocumentRevision.signatures).joinedload(DocumentSignature.signer)
    )
    withdrawals = select(DocumentWithdrawal)
    documents = catalogue().documents
    if register is not None:
        query = query.where(DocumentRevision.register == register)
        withdrawals = withdrawals.where(DocumentWithdrawal.register == register)
        documents = {register: documents[register]}
    result = {r: DocumentStatus(d) for r, d in documents.items()}
    for revision in db.session.scalars(query.order_by(DocumentRevision.revision)):
        if revision.register in result:
            result[revision.register].revisions.append(revision)
    for withdrawal in db.session.scalars(withdrawals):
        if withdrawal.register in result:
            result[withdrawal.register].withdrawal = withdrawal
    for entry in result.values():
        _classify(entry, today)
    in_force = {e.in_force.id: e for e in result.values() if e.in_force is not None}
    if in_force:
        for review in db.session.scalars(
            select(DocumentReview)
            .where(DocumentReview.revision_id.in_(in_force))
            .order_by(DocumentReview.id)
        ):
            in_force[review.revision_id].reviews.append(review)
    return result


def _classify(entry: DocumentStatus, today: date) -> None:
    effective = [r for r in entry.revisions if r.is_approved and r.effective_from <= today]
    current = max(effective, key=lambda r: (r.effective_from, r.revision), default=None)
    if entry.withdrawal is None:
        entry.in_force = current
    for r in entry.revisions:
        if not r.is_approved:
            entry.statuses[r.id] = "draft"
        elif entry.withdrawal is not None:
            entry.statuses[r.id] = "withdrawn" if r is current else "obsolete"
        elif r is current:
            entry.statuses[r.id] = "in_force"
        elif r.effective_from > today:
            entry.statuses[r.id] = "approved"
        else:
            entry.statuses[r.id] = "obsolete"


def reviews_overdue(today: date | None = None) -> list[DocumentStatus]:
    """Documents in force whose review date has passed, the longest overdue first."""
    today = today or utcnow().date()
    late = [s for s in document_statuses(today).values() if s.review_overdue(today)]
    return sorted(late, key=lambda s: s.review_due)

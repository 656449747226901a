"""The revisions of the internal documents, their signatures, who has read them, and
which revision was in force at each step.

The register (standards/documents.yaml) says what documents exist; these tables hold
their revisions. Nothing here is deleted (database triggers): a superseded revision is
kept and shown as obsolete, a withdrawn document keeps its history.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class DocumentRevision(db.Model):
    """One revision of a controlled document: a text written in the app or a file."""

    __tablename__ = "document_revisions"
    __table_args__ = (
        UniqueConstraint("register", "revision"),
        CheckConstraint("status IN ('draft', 'approved')", name="status_known"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        CheckConstraint("review_months >= 1", name="review_months_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(32), index=True)  # the register number
    revision: Mapped[int]
    summary: Mapped[str] = mapped_column(Text)  # what changed
    body: Mapped[str] = mapped_column(Text, default="")
    filename: Mapped[str | None] = mapped_column(String(255))
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    prepared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    effective_from: Mapped[date] = mapped_column(Date)
    review_months: Mapped[int] = mapped_column(default=12)
    review_due: Mapped[date] = mapped_column(Date, index=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("document_revisions.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    prepared_by: Mapped[User] = relationship()
    signatures: Mapped[list[DocumentSignature]] = relationship(order_by="DocumentSignature.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"

    @property
    def contributor_ids(self) -> set[int]:
        return {self.prepared_by_id}

    def content_hash(self) -> str:
        """SHA-256 of what an approver reads: the text or file, the dates, the summary."""
        content = {
            "register": self.register,
            "revision": self.revision,
            "summary": self.summary,
            "body": self.body or "",
            "file": [self.filename, self.blob_sha256] if self.blob_sha256 else None,
            "effective_from": self.effective_from.isoformat(),
            "review_months": self.review_months,
        }
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class DocumentSignature(db.Model):
    """An approval of a revision: the same electronic signature as a record's."""

    __tablename__ = "document_signatures"
    __table_args__ = (UniqueConstraint("revision_id", "signer_id", "meaning"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("document_revisions.id"), index=True)
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    meaning: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))

    signer: Mapped[User] = relationship()


class DocumentWithdrawal(db.Model):
    """A document taken out of use, with the reason; its revisions stay."""

    __tablename__ = "document_withdrawals"

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(32), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    withdrawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    withdrawn_by: Mapped[User] = relationship()


class DocumentAcknowledgement(db.Model):
    """ "Read and understood": a light signature (the password re-entered) on one revision."""

    __tablename__ = "document_acknowledgements"
    __table_args__ = (UniqueConstraint("revision_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("document_revisions.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship()


class GoverningRevision(db.Model):
    """The revision of a governing document in force when an event (a step taken, a
    record approved) happened. Written with the event, never changed."""

    __tablename__ = "governing_revisions"
    __table_args__ = (UniqueConstraint("event_id", "revision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("document_revisions.id"), index=True)


class DocumentReview(db.Model):
    """A periodic review that found the revision in force still right: its next review
    date moves on without a new revision."""

    __tablename__ = "document_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("document_revisions.id"), index=True)
    reviewed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_review_due: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)

    reviewed_by: Mapped[User] = relationship()

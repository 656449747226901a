"""Typed evidence per order, revisions of it, and the signatures that approve it.

An approved record is never edited: revising it makes a new draft revision in the same
lineage, and database triggers refuse UPDATE of approved records and of signatures.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.auth.roles import SIGNATURE_MEANINGS
from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class Record(db.Model):
    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("lineage", "revision"),
        CheckConstraint("status IN ('draft', 'approved')", name="status_known"),
        CheckConstraint("revision >= 1", name="revision_positive"),
        CheckConstraint("revision = 1 OR revision_reason IS NOT NULL", name="revision_has_reason"),
        # The traceability matrix counts each order's approved records from this index alone.
        Index("ix_records_order_trace", "order_id", "status", "kind"),
        # Drafts oldest first (records waiting for a signature, in every page's header).
        Index("ix_records_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    lineage: Mapped[str] = mapped_column(String(36), index=True)  # shared by all revisions
    revision: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revision_reason: Mapped[str | None] = mapped_column(Text)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)

    author: Mapped[User] = relationship()
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="record", order_by="Signature.id"
    )
    attachments: Mapped[list[Attachment]] = relationship(order_by="Attachment.id")
    contributions: Mapped[list[RecordContribution]] = relationship(order_by="RecordContribution.at")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_approved(self) -> bool:
        return self.status == "approved"

    @property
    def contributor_ids(self) -> set[int]:
        return {c.user_id for c in self.contributions}

    def content_hash(self) -> str:
        """SHA-256 of what a signer sees: kind, revision, title, body, fields, attachments."""
        content = {
            "kind": self.kind,
            "lineage": self.lineage,
            "revision": self.revision,
            "title": self.title,
            "body": self.body,
            "fields": self.fields or {},
            "attachments": [[a.filename, a.blob_sha256] for a in self.attachments],
        }
        text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class Signature(db.Model):
    """An electronic signature: who, when, what it means, and the content they signed."""

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("record_id", "signer_id", "meaning"),
        CheckConstraint(
            f"meaning IN ({', '.join(repr(m) for m in SIGNATURE_MEANINGS)})", name="meaning_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    signer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    meaning: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))

    record: Mapped[Record] = relationship(back_populates="signatures")
    signer: Mapped[User] = relationship()


class Blob(db.Model):
    """Uploaded file content, addressed by its SHA-256, so hosts need no shared disk."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


CONTRIBUTIONS = ("created", "edited", "attached", "removed_file", "revised", "earlier_revision")


class RecordContribution(db.Model):
    """Someone shaped this revision's content: they may not approve it.

    Kept on the revision when the contribution happens (not derived from the trail at
    request time); the person who opens a revision also inherits, as contributors, all
    who shaped the revision it came from, since its content carries over. Rows are never
    changed or removed (database triggers).
    """

    __tablename__ = "record_contributions"
    __table_args__ = (
        UniqueConstraint("record_id", "user_id", "contribution"),
        CheckConstraint(
            f"contribution IN ({', '.join(repr(c) for c in CONTRIBUTIONS)})",
            name="contribution_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    contribution: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class AuditNote(db.Model):
    """An auditor's note on an order, optionally about one ISO 9001:2015 clause."""

    __tablename__ = "audit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    clause: Mapped[str | None] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

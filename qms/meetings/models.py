"""A meeting, call or letter, and the records it handed over, received or approved."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record
from qms.timeutil import UTCDateTime, utcnow

KINDS = ("meeting", "call", "letter")
ACTS = ("handed_over", "received", "approved")


class Communication(db.Model):
    __tablename__ = "communications"
    __table_args__ = (CheckConstraint("kind IN ('meeting', 'call', 'letter')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default="meeting")
    subject: Mapped[str] = mapped_column(String(300))
    our_participants: Mapped[str] = mapped_column(Text, default="")
    their_participants: Mapped[str] = mapped_column(Text, default="")
    agenda: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship()
    order: Mapped[Order | None] = relationship()
    created_by: Mapped[User] = relationship()
    links: Mapped[list[CommunicationRecord]] = relationship(
        back_populates="communication", order_by="CommunicationRecord.id"
    )


class CommunicationRecord(db.Model):
    """A record (a revision) that a communication handed over, received or approved."""

    __tablename__ = "communication_records"
    __table_args__ = (
        CheckConstraint("act IN ('handed_over', 'received', 'approved')", name="act_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    communication_id: Mapped[int] = mapped_column(ForeignKey("communications.id"), index=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    act: Mapped[str] = mapped_column(String(16))

    communication: Mapped[Communication] = relationship(back_populates="links")
    record: Mapped[Record] = relationship()

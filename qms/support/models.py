"""A support request's clocks and the hours logged against it.

The request itself is a work item (workflow `support-request`); this row holds what the
workflow engine does not: priority, the line it is with, and the clocks, all in UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow
from qms.workitems.models import WorkItem

PRIORITIES = ("critical", "high", "normal", "low")
RUNNING_STATES = ("received", "accepted", "in_work")  # the resolution clock runs in these


class SupportRequest(db.Model):
    __tablename__ = "support_requests"
    __table_args__ = (
        CheckConstraint("priority IN ('critical', 'high', 'normal', 'low')", name="priority_known"),
        CheckConstraint("line BETWEEN 1 AND 3", name="line_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), unique=True)
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    line: Mapped[int] = mapped_column(default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    response_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The resolution clock: working hours used so far, and since when it runs (None: paused).
    resolve_target_hours: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    clock_used_hours: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal(0))
    clock_running_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    start_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 4))
    resolution_breached: Mapped[bool] = mapped_column(default=False)

    item: Mapped[WorkItem] = relationship()

    @property
    def response_breached(self) -> bool:
        moment = self.accepted_at or utcnow()
        return moment > self.response_due_at

    def active_deadline(self) -> tuple[str, datetime] | None:
        """The clock that runs now and when it runs out: ('response'|'resolution', moment)."""
        if self.accepted_at is None:
            return "response", self.response_due_at
        if self.clock_running_since is not None and self.resolve_due_at is not None:
            return "resolution", self.resolve_due_at
        return None


class SupportTimeEntry(db.Model):
    """Hours spent on a request: who, on which day, how long (as worked; billing rounds)."""

    __tablename__ = "support_time_entries"
    __table_args__ = (CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    worked_on: Mapped[date] = mapped_column(Date, index=True)
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    item: Mapped[WorkItem] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

"""Work items that are not orders: contract changes, complaints, corrective actions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.models import Order
from qms.timeutil import UTCDateTime, utcnow
from qms.workflow.models import WorkflowVersion


class WorkItem(db.Model):
    """One item driven by its own workflow; what its transitions asked for is in `data`."""

    __tablename__ = "work_items"
    # Someone's items (or the unassigned ones) soonest due first: the inbox, the dashboard.
    __table_args__ = (Index("ix_work_items_owner_due", "owner_id", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow: Mapped[str] = mapped_column(String(64), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("work_items.id"))
    channel: Mapped[str | None] = mapped_column(String(64))  # complaints: how it came in
    source: Mapped[str | None] = mapped_column(String(64))  # corrective actions: where from
    received_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(64), index=True)
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("workflow_versions.id"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    order: Mapped[Order | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    workflow_version: Mapped[WorkflowVersion] = relationship()
    parent: Mapped[WorkItem | None] = relationship(remote_side=[id])

    __mapper_args__ = {"version_id_col": version}

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow
from qms.workflow.models import WorkflowVersion

# The customer-order workflow's final states: an order in one of them is finished.
FINAL_STATES = ("closed", "declined", "cancelled")
# Open orders, as the partial indexes below and the queries that use them both say it: the
# database uses such an index only when the query repeats its condition with the same
# literals (qms.orders.queries.is_open), so that "overdue" and "my orders" read the open
# orders alone and never walk the years of finished ones.
OPEN_SQL = "state NOT IN ({})".format(", ".join(f"'{s}'" for s in FINAL_STATES))


def _open_index(name: str, *columns: str) -> Index:
    """Said for SQLite here; for PostgreSQL by name_postgresql_conditions()."""
    return Index(name, *columns, sqlite_where=text(OPEN_SQL))


def name_postgresql_conditions() -> None:
    """Give the partial indexes their condition for PostgreSQL too (its DDL and alembic's
    comparison read it), once an app is on PostgreSQL. Named in the Index itself, the
    option would import the PostgreSQL dialect (some 24 ms) into every command on SQLite,
    where `qms overdue` starts in well under a second (issue 18)."""
    for index in Order.__table__.indexes:
        where = index.dialect_options["sqlite"]["where"]
        if where is not None:
            index.dialect_kwargs["postgresql_where"] = where


class Order(db.Model):
    """A customer order driven through a workflow; `state` is the workflow state."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("value IS NULL OR value >= 0", name="value_not_negative"),
        CheckConstraint("language IN ('en', 'ru')", name="language_known"),
        Index("ix_orders_due_on", "due_on"),
        # The dashboard's and the inbox's "my orders" and "overdue" read the open orders
        # in due-date order (ix_orders_open_manager_due took ix_orders_manager_due's place).
        _open_index("ix_orders_open_due", "due_on"),
        _open_index("ix_orders_open_manager_due", "manager_id", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    # The customer who recommended us for this order (loyalty: purchases on recommendation).
    recommended_by_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    value: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    language: Mapped[str] = mapped_column(String(2), default="ru")
    starts_on: Mapped[date | None] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(64), index=True)
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("workflow_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship(foreign_keys=[customer_id])
    recommended_by: Mapped[Customer | None] = relationship(foreign_keys=[recommended_by_id])
    manager: Mapped[User] = relationship()
    workflow_version: Mapped[WorkflowVersion] = relationship()

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.state}>"


class SalesStage(db.Model):
    """A sales stage of pre-contract work (СТП-1-01) marked done on an order."""

    __tablename__ = "sales_stages"
    __table_args__ = (UniqueConstraint("order_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))
    done_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""The customer card of the sources: business data only, never private details about people."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class Customer(db.Model):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("size IS NULL OR size IN ('small', 'medium', 'large')", name="size_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    directions: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    bank_details: Mapped[str | None] = mapped_column(Text)
    size: Mapped[str | None] = mapped_column(String(16))
    financial_standing: Mapped[str | None] = mapped_column(Text)  # stability and potential
    structure: Mapped[str | None] = mapped_column(Text)  # structure, decision path and deadlines
    payment_practice: Mapped[str | None] = mapped_column(Text)
    head_of_company: Mapped[str | None] = mapped_column(String(200))
    problems_solved: Mapped[str | None] = mapped_column(Text)  # what our product solves for them
    competitors: Mapped[str | None] = mapped_column(Text)  # competitors and substitutes
    purchase_frequency: Mapped[str | None] = mapped_column(String(200))
    heard_of_us_from: Mapped[str | None] = mapped_column(String(200))
    referred_by_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # Support terms (qms.support): billed per hour, each entry rounded up to the step,
    # and at least the minimum hours in a month with any support.
    support_hourly_rate: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    support_rounding_minutes: Mapped[int | None] = mapped_column()
    support_minimum_hours: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    contacts: Mapped[list[Contact]] = relationship(
        back_populates="customer", order_by="Contact.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Contact(db.Model):
    """A contact person or decision maker, with their part in decisions."""

    __tablename__ = "contacts"
    __table_args__ = (
        CheckConstraint(
            "influence IN ('decides', 'high', 'medium', 'low')", name="influence_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(200))
    role_in_decision: Mapped[str | None] = mapped_column(String(200))
    influence: Mapped[str] = mapped_column(String(16), default="medium")
    is_decision_maker: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="contacts")

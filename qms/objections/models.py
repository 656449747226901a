"""An objection logged against an order before the contract: its kind (about change, about
price, from a negative experience, about the decision itself), what the customer said,
the four handling steps as a checklist, and the outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.extensions import db
from qms.orders.models import Order
from qms.timeutil import UTCDateTime, utcnow

KINDS = ("change", "price", "experience", "decision")
STEPS = ("listened", "emotion_neutralised", "clarified", "solution_offered")
OUTCOMES = ("overcome", "alternative", "open", "lost")


class Objection(db.Model):
    __tablename__ = "objections"
    __table_args__ = (
        CheckConstraint("kind IN ('change', 'price', 'experience', 'decision')", name="kind_known"),
        CheckConstraint(
            "outcome IN ('overcome', 'alternative', 'open', 'lost')", name="outcome_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    said: Mapped[str] = mapped_column(Text)
    listened: Mapped[bool] = mapped_column(default=False)
    emotion_neutralised: Mapped[bool] = mapped_column(default=False)
    clarified: Mapped[bool] = mapped_column(default=False)
    solution_offered: Mapped[bool] = mapped_column(default=False)
    handling: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(16), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    order: Mapped[Order] = relationship()
    created_by: Mapped[User] = relationship()

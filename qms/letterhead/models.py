from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class Letterhead(db.Model):
    """The organisation's letterhead as an administrator set it; the latest row is current.

    Rows are added, never changed, so each issued pack's letterhead stays on record.
    """

    __tablename__ = "letterheads"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    details: Mapped[str] = mapped_column(Text, default="")
    logo_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class ContractPack(db.Model):
    """An issued contract pack: its PDF bytes are stored and never rendered again."""

    __tablename__ = "contract_packs"
    __table_args__ = (UniqueConstraint("order_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    revision: Mapped[int]
    language: Mapped[str] = mapped_column(String(2))
    content_sha256: Mapped[str] = mapped_column(String(64))  # of what the pack says
    pdf_sha256: Mapped[str] = mapped_column(String(64))  # of the issued file
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    pages: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The certificate that signed the file (PAdES): its SHA-256 and subject.
    certificate_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_by: Mapped[str | None] = mapped_column(String(300))

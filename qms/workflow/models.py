from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


class WorkflowVersion(db.Model):
    """A workflow definition as it stood when its first order started under it.

    Orders point here, so an order keeps its rules even after the YAML file moves on.
    """

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: needed only when the YAML file no longer holds this version, and decoding
    # it on every transition is most of what loading the row would cost.
    document: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

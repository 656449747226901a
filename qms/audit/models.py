"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qms.auth.models import User
from qms.extensions import db
from qms.timeutil import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    """One event. `hash = sha256(prev_hash + canonical JSON of the event)`, and
    `mac = HMAC-SHA256(audit key, hash)` with a key the database never holds.

    The hash chain proves order; the MAC proves the event was written by qms, so no one
    with write access to the database alone can insert, alter or re-hash an event.
    Database triggers refuse UPDATE and DELETE of these rows.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        # The traceability matrix reads each order's transitions from this index alone.
        Index("ix_audit_events_order_trace", "order_id", "entity_type", "to_state", "action"),
        # An order's events newest first (its page, the trail filtered by order): read in
        # order from the index, not gathered and sorted.
        Index("ix_audit_events_order_seq", "order_id", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)  # 1, 2, 3 ... in chain order
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(64))  # kept as it was when it happened
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str | None] = mapped_column(String(16))  # web, cli, api, system
    origin_detail: Mapped[str | None] = mapped_column(String(200))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    mac: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()

    def payload(self) -> dict[str, Any]:
        return event_payload(self)


def event_payload(event: Any) -> dict[str, Any]:
    """An event's content as hashed: everything but its own hash and row id.

    Takes a model instance or a plain row with the same column names. The origin is
    hashed when it is known; events written before it was recorded hash as they did.
    """
    payload = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "order_id": event.order_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "changes": event.changes or {},
        "reason": event.reason,
    }
    if event.origin is not None:
        payload["origin"] = event.origin
        payload["origin_detail"] = event.origin_detail
    return payload


class AuditChainHead(db.Model):
    """One row holding the chain's last seq and hash.

    Appending an event first updates this row, which serialises appenders on both
    SQLite (write lock) and PostgreSQL (row lock), so the chain never forks; and it
    lets verification notice events cut off the end of the chain.
    """

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


class AuditCheckpoint(db.Model):
    """A signed statement "the trail's head was event #seq with this hash at this time".

    Written to the database and, line for line, to an append-only file outside it
    (qms.audit.anchor); printed on packs and reports. A checkpoint the trail no longer
    agrees with shows the trail was cut, rolled back or rewritten.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(index=True)
    hash: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32), default="checkpoint")
    note: Mapped[str | None] = mapped_column(Text)
    mac: Mapped[str] = mapped_column(String(64))

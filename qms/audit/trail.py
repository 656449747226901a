"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from blinker import Namespace
from flask import current_app
from sqlalchemy import bindparam, insert, update

from qms.audit.chain_rows import canonical_json
from qms.audit.models import AuditChainHead, AuditEvent, event_payload
from qms.audit.origin import current_origin
from qms.auth.models import User
from qms.extensions import db
from qms.timeutil import utcnow

_HEAD = AuditChainHead.__table__
_CLAIM_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + 1)
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_ADVANCE_HEAD = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("new_hash"))
_INSERT_EVENT = insert(AuditEvent.__table__).returning(AuditEvent.__table__.c.id)

# Sent with each event as it is appended, in the change's transaction: what must happen
# because of an event (webhook deliveries, qms.webhooks.outbox) hangs here, in one place,
# rather than in every service. Receivers write in the same transaction, or not at all.
event_recorded = Namespace().signal("audit-event-recorded")


@dataclass(frozen=True)
class RecordedEvent:
    """An event as just appended: what callers report back (no ORM instance to reload)."""

    id: int
    seq: int
    occurred_at: datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity_type: str
    entity_id: int | None
    order_id: int | None
    from_state: str | None
    to_state: str | None
    changes: dict[str, Any]
    reason: str | None
    origin: str | None
    origin_detail: str | None
    prev_hash: str
    hash: str
    mac: str


def audit_key() -> bytes:
    """The HMAC key of this installation (never stored in the database)."""
    return current_app.config["QMS_AUDIT_KEY"].encode()


def event_mac(key: bytes, event_hash_hex: str) -> str:
    return hmac.digest(key, event_hash_hex.encode(), "sha256").hex()


def event_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    # The canonical form: sorted keys, no spaces, UTF-8 (one prebuilt encoder, same bytes).
    return hashlib.sha256((prev_hash + canonical_json(payload)).encode()).hexdigest()


def jsonable(value: Any) -> Any:
    """Values as they are stored in an event's changes (and so hashed the same after a reload)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record_event(
    *,
    actor: User | None,
    action: str,
    entity_type: str,
    entity_id: int | None,
    order_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> RecordedEvent:
    """Append one event in the caller's transaction; the caller commits.

    After the commit, the new head is appended to the checkpoint file
    (qms.audit.anchor), so every committed batch of events is anchored outside the
    database.
    """
    origin = current_origin()
    key = audit_key()
    event = append_event(
        db.session.connection(),
        key,
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "system",
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        order_id=order_id,
        from_state=from_state,
        to_state=to_state,
        changes=changes,
        reason=reason,
        origin=origin.channel,
        origin_detail=origin.detail,
    )
    # Anchored after the commit (qms.audit.anchor), with what the hook needs to do it.
    db.session.info["audit_head"] = (
        event.seq,
        event.hash,
        current_app.config["QMS_AUDIT_CHECKPOINT_FILE"],
        key,
    )
    event_recorded.send(event)
    return event


def append_event(connection, key: bytes, *, changes: dict | None, **columns) -> RecordedEvent:
    """Append one event on `connection`: claim the head, insert, advance the head."""
    # Claim the chain head first: this write lock serialises every appender. Prebuilt
    # Core statements on the session's connection: this runs once per change, on the
    # hot path, where building statements and the unit of work cost more than SQL.
    seq, prev_hash = connection.execute(_CLAIM_HEAD).one()
    values = {
        "seq": seq,
        "occurred_at": utcnow(),
        **columns,
        "changes": jsonable(changes or {}),
        "prev_hash": prev_hash,
    }
    values["hash"] = event_hash(prev_hash, event_payload(SimpleNamespace(**values)))
    values["mac"] = event_mac(key, values["hash"])
    event_id = connection.execute(_INSERT_EVENT, values).scalar_one()
    connection.execute(_ADVANCE_HEAD, {"new_hash": values["hash"]})
    return RecordedEvent(id=event_id, **values)

"""Writing and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from blinker import Namespace
from flask import current_app

from qms.audit.chain_rows import canonical_json
from qms.audit.models import event_payload
from qms.audit.origin import current_origin
from qms.auth.models import User
from qms.database.driver import placeholder, run, stored_time
from qms.extensions import db
from qms.timeutil import utcnow

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
    # Claim the chain head first: this write lock serialises every appender. The three
    # statements go to the driver's cursor (qms.database.driver): this runs once per
    # change, on the hot path.
    statements = _statements(connection.dialect)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        seq, prev_hash = run(cursor, connection.dialect, statements[0], ()).fetchone()
        occurred_at = utcnow()
        values = {
            "seq": seq,
            "occurred_at": occurred_at,
            **columns,
            "changes": jsonable(changes or {}),
            "prev_hash": prev_hash,
        }
        values["hash"] = event_hash(prev_hash, event_payload(SimpleNamespace(**values)))
        values["mac"] = event_mac(key, values["hash"])
        row = [values[name] for name in EVENT_COLUMNS]
        row[1] = stored_time(connection.dialect, occurred_at)
        # As the JSON column serialises it ("{}" for the many events that change nothing).
        row[10] = json.dumps(values["changes"]) if values["changes"] else "{}"
        (event_id,) = run(cursor, connection.dialect, statements[1], row).fetchone()
        run(cursor, connection.dialect, statements[2], (values["hash"],))
    finally:
        cursor.close()
    return RecordedEvent(id=event_id, **values)


EVENT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_name",
    "action",
    "entity_type",
    "entity_id",
    "order_id",
    "from_state",
    "to_state",
    "changes",
    "reason",
    "origin",
    "origin_detail",
    "prev_hash",
    "hash",
    "mac",
)


@cache
def _statements(dialect) -> tuple[str, str, str]:
    mark = placeholder(dialect)
    return (
        "UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        f"INSERT INTO audit_events ({', '.join(EVENT_COLUMNS)}) "
        f"VALUES ({', '.join([mark] * len(EVENT_COLUMNS))}) RETURNING id",
        f"UPDATE audit_chain_head SET hash = {mark} WHERE id = 1",
    )

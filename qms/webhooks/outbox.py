"""Deliveries written in the change's own transaction, one per subscribed URL.

Connected to the audit trail's `event_recorded` signal: every audit event passes here, is
mapped to a webhook kind (qms.webhooks.kinds) and, when some active subscription asks for
that kind, becomes a pending delivery. A change that rolls back takes its deliveries with
it; `qms notify send` sends the committed ones.
"""

from __future__ import annotations

import json
import uuid

from qms.audit.trail import RecordedEvent, event_recorded
from qms.database.driver import fetch_all
from qms.extensions import db
from qms.webhooks.kinds import kind_of
from qms.webhooks.models import WebhookDelivery

# Two columns, sent to the driver (qms.database.driver): this runs for every event, where
# loading subscription entities cost as much as the rest of the change.
_ACTIVE_SUBSCRIPTIONS = "SELECT id, event_kinds FROM webhook_subscriptions WHERE is_active"


@event_recorded.connect
def queue_deliveries(event: RecordedEvent) -> None:
    kind = kind_of(event.action, event.entity_type, event.to_state)
    if kind is None:
        return
    session = db.session
    if session.new or session.dirty:
        session.flush()  # what a query would autoflush (a subscription added just now)
    subscriptions = [
        subscription_id
        for subscription_id, kinds in fetch_all(session.connection(), _ACTIVE_SUBSCRIPTIONS)
        if kind in _kinds(kinds)
    ]
    if not subscriptions:
        return
    body = json.dumps(payload(kind, event), ensure_ascii=False, separators=(",", ":"))
    for subscription_id in subscriptions:
        db.session.add(
            WebhookDelivery(
                subscription_id=subscription_id,
                event_kind=kind,
                event_seq=event.seq,
                message_id=f"msg_{uuid.uuid4().hex}",
                payload=body,
            )
        )


def _kinds(stored) -> list[str]:
    """A subscription's kinds as the driver returns them: JSON text on SQLite, decoded by
    psycopg on PostgreSQL."""
    if isinstance(stored, str):
        stored = json.loads(stored)
    return stored or []


def payload(kind: str, event: RecordedEvent) -> dict:
    """The Standard Webhooks body: type, timestamp and data (what happened, to what, by
    whom, through which edge, and where the API shows it)."""
    return {
        "type": kind,
        "timestamp": event.occurred_at.isoformat(timespec="seconds"),
        "data": {
            "event": {
                "seq": event.seq,
                "action": event.action,
                "actor": event.actor_name,
                "origin": event.origin,
                "hash": event.hash,
            },
            "entity": {"type": event.entity_type, "id": event.entity_id, **_names(event)},
            "from_state": event.from_state,
            "to_state": event.to_state,
            "reason": event.reason,
        },
    }


def _names(event: RecordedEvent) -> dict:
    """The numbers people and the API use, read from the session's identity map (the
    service that wrote the event has just loaded them)."""
    from qms.orders.models import Order
    from qms.workitems.models import WorkItem

    names = {}
    if event.order_id is not None and (order := db.session.get(Order, event.order_id)):
        names["order"] = order.number
        names["order_url"] = f"/api/v1/orders/{order.number}"
    if event.entity_type == "record":
        names["url"] = f"/api/v1/records/{event.entity_id}"
    elif event.entity_type == "customer":
        names["url"] = f"/api/v1/customers/{event.entity_id}"
    elif event.entity_type != "order" and (item := db.session.get(WorkItem, event.entity_id)):
        names["number"] = item.number
        names["url"] = f"/api/v1/items/{item.number}"
    return names

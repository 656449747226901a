"""Changing an order's own facts after it was opened: title, value, dates, manager.

Each change needs a reason and lands in the trail with its old and new values; the
version the editor read must still be the order's, or someone else's change would be
silently overwritten. The caller commits.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.database.limits import check_date, check_lengths
from qms.orders.models import Order
from qms.orders.services import OrderError, parse_value
from qms.workflow.engine import ConcurrentChange


def edit_order(
    order: Order,
    actor: User,
    *,
    reason: str,
    expected_version: int,
    title: str,
    value: Decimal | None,
    currency: str,
    starts_on: date | None,
    due_on: date | None,
    manager: User,
) -> dict[str, Any]:
    """Apply the changed facts; returns {field: [old, new]} (empty: nothing changed)."""
    if actor.role not in ("manager", "admin"):
        raise OrderError(_l("only a project manager or an administrator may change an order"))
    if expected_version != order.version:
        raise ConcurrentChange(
            _l("someone changed this order while you were editing it; reload and try again")
        )
    if not title or not title.strip():
        raise OrderError(_l("an order needs a title"))
    if manager.role != "manager" or not manager.is_active:
        raise OrderError(_l("%(name)s is not an active project manager", name=manager.full_name))
    if starts_on and due_on and due_on < starts_on:
        raise OrderError(_l("the due date is before the start date"))
    check_date(starts_on, "Starts on")
    check_date(due_on, "Due on")
    check_lengths(Order, title=title.strip())
    if value is not None:
        parse_value(str(value))
    wanted = {
        "title": title.strip(),
        "value": value,
        "currency": currency,
        "starts_on": starts_on,
        "due_on": due_on,
        "manager_id": manager.id,
    }
    changes = {
        name: [getattr(order, name), new]
        for name, new in wanted.items()
        if getattr(order, name) != new
    }
    if not changes:
        return {}
    if not reason or not reason.strip():
        raise OrderError(_l("say why the order changes"))
    for name, (_old, new) in changes.items():
        setattr(order, name, new)
    if "manager_id" in changes:  # the trail names people, not row ids
        old_manager = changes.pop("manager_id")[0]
        changes["manager"] = [_username(old_manager), manager.username]
    record_event(
        actor=actor,
        action="order.edited",
        entity_type="order",
        entity_id=order.id,
        order_id=order.id,
        changes=changes,
        reason=reason.strip(),
    )
    return changes


def _username(user_id: int) -> str:
    from qms.extensions import db

    user = db.session.get(User, user_id)
    return user.username if user else str(user_id)

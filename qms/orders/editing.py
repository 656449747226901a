"""Changing an order's own facts after it was opened: title, customer, manager, value,
currency, language of the documents, dates.

Each change needs a reason and lands in the trail with its old and new values; the
version the editor read must still be the order's, or someone else's change would be
silently overwritten. The web and the API call the same service. The caller commits.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.database.limits import check_date, check_lengths
from qms.orders.models import Order
from qms.orders.services import OrderError, parse_value
from qms.workflow.engine import ConcurrentChange

EDITABLE = ("title", "customer", "manager", "value", "currency", "language", "starts_on", "due_on")
# How the trail names what changed: people and customers by name, not by row.
SHOWN = {"customer": lambda c: c.name, "manager": lambda m: m.username}


def edit_order(
    order: Order,
    actor: User,
    changes: dict[str, Any],
    *,
    reason: str | None,
    expected_version: int | None = None,
) -> dict[str, list]:
    """Apply `changes` (any of EDITABLE; customer and manager as objects); returns what
    changed as {field: [old, new]}, empty when nothing did (and then no reason is needed)."""
    if actor.role not in ("manager", "admin"):
        raise OrderError(_l("only a project manager or an administrator may change an order"))
    if expected_version is not None and expected_version != order.version:
        raise ConcurrentChange(
            _l("someone changed this order while you were editing it; reload and try again")
        )
    if unknown := set(changes) - set(EDITABLE):
        raise OrderError(
            _l("these cannot be changed here: %(names)s", names=", ".join(sorted(unknown)))
        )
    _check(order, changes)
    recorded: dict[str, list] = {}
    for name, new in changes.items():
        old = getattr(order, name)
        if old != new:
            show = SHOWN.get(name, lambda v: v)
            recorded[name] = [
                None if old is None else show(old),
                None if new is None else show(new),
            ]
    if not recorded:
        return {}
    if not reason or not reason.strip():
        raise OrderError(_l("say why the order changes"))
    for name in recorded:
        setattr(order, name, changes[name])
    record_event(
        actor=actor,
        action="order.edited",
        entity_type="order",
        entity_id=order.id,
        order_id=order.id,
        changes=recorded,
        reason=reason.strip(),
    )
    return recorded


def _shown(show, value):
    return None if value is None else show(value)


def _check(order: Order, changes: dict[str, Any]) -> None:
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            raise OrderError(_l("an order needs a title"))
        check_lengths(Order, title=changes["title"])
    manager = changes.get("manager")
    if "manager" in changes and (
        manager is None or manager.role != "manager" or not manager.is_active
    ):
        name = manager.full_name if manager else "—"
        raise OrderError(_l("%(name)s is not an active project manager", name=name))
    if "customer" in changes and changes["customer"] is None:
        raise OrderError(_l("choose the customer"))
    if changes.get("language", "ru") not in ("ru", "en"):
        raise OrderError(_l("the documents' language is Russian or English"))
    starts_on = changes.get("starts_on", order.starts_on)
    due_on = changes.get("due_on", order.due_on)
    check_date(starts_on, _l("Starts on"))
    check_date(due_on, _l("Due on"))
    if starts_on and due_on and due_on < starts_on:
        raise OrderError(_l("the due date is before the start date"))
    if changes.get("value") is not None:
        parse_value(str(changes["value"]))

"""Operations on orders. Each flushes and writes its audit event; the caller commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from qms.audit.trail import RecordedEvent, record_event
from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.notify.services import notify
from qms.orders.models import Order
from qms.timeutil import utcnow
from qms.workflow import engine
from qms.workflow.registry import definition_of, pin_version, registry

WORKFLOW = "customer-order"


class OrderError(ValueError):
    """Bad input for an order operation, said in words a person can act on."""


def get_order(number: str) -> Order:
    order = db.session.scalars(select(Order).where(Order.number == number)).first()
    if order is None:
        raise OrderError(f"no order numbered '{number}'")
    return order


def next_order_number(today: date | None = None) -> str:
    year = (today or utcnow().date()).year
    prefix = f"{year}-"
    last = db.session.scalar(select(func.max(Order.number)).where(Order.number.like(f"{prefix}%")))
    n = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{n:04d}"


def parse_value(text: str | None) -> Decimal | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        value = Decimal(str(text).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise OrderError(f"'{text}' is not an amount of money") from None
    if value < 0 or not value.is_finite():
        raise OrderError("the value cannot be negative")
    return value.quantize(Decimal("0.01"))


def create_order(
    *,
    actor: User,
    title: str,
    customer: Customer,
    manager: User,
    number: str | None = None,
    value: Decimal | None = None,
    currency: str = "RUB",
    language: str = "ru",
    starts_on: date | None = None,
    due_on: date | None = None,
) -> Order:
    """Open a new order at the first state of the latest customer-order workflow."""
    if actor.role not in ("manager", "admin"):
        raise OrderError("only a manager or an administrator may open an order")
    if not title or not title.strip():
        raise OrderError("an order needs a title")
    if manager.role != "manager":
        raise OrderError(f"{manager.username} is not a project manager")
    if starts_on and due_on and due_on < starts_on:
        raise OrderError("the due date is before the start date")
    number = number or next_order_number()
    if db.session.scalar(select(func.count()).where(Order.number == number)):
        raise OrderError(f"an order numbered '{number}' already exists")
    definition = registry().latest(WORKFLOW)
    order = Order(
        number=number,
        title=title.strip(),
        customer=customer,
        manager=manager,
        value=value,
        currency=currency,
        language=language,
        starts_on=starts_on,
        due_on=due_on,
        state=definition.initial,
        workflow_version=pin_version(definition),
    )
    db.session.add(order)
    db.session.flush()
    record_event(
        actor=actor,
        action="order.created",
        entity_type="order",
        entity_id=order.id,
        order_id=order.id,
        to_state=order.state,
        changes={
            "number": number,
            "title": order.title,
            "customer": customer.name,
            "manager": manager.username,
            "value": value,
            "currency": currency,
            "workflow": f"{definition.name} v{definition.version}",
        },
    )
    return order


EDITABLE = ("title", "customer", "manager", "value", "currency", "language", "starts_on", "due_on")


def edit_order(order: Order, actor: User, changes: dict, *, expected_version: int | None = None):
    """Change an order's details (not its state: that is what transitions are for).

    `changes` holds any of EDITABLE (customer and manager as objects). The same rules as
    opening one; the event records each field's old and new value. Raises OrderError, or
    ConcurrentChange when the order is no longer at `expected_version`.
    """
    from qms.workflow.engine import ConcurrentChange

    if actor.role not in ("manager", "admin"):
        raise OrderError("only a manager or an administrator may change an order")
    if expected_version is not None and expected_version != order.version:
        raise ConcurrentChange("the order was changed meanwhile; read it again")
    if unknown := set(changes) - set(EDITABLE):
        raise OrderError(f"these cannot be changed here: {', '.join(sorted(unknown))}")
    if "title" in changes:
        if not (changes["title"] or "").strip():
            raise OrderError("an order needs a title")
        changes["title"] = changes["title"].strip()
    if "manager" in changes and changes["manager"].role != "manager":
        raise OrderError(f"{changes['manager'].username} is not a project manager")
    starts_on = changes.get("starts_on", order.starts_on)
    due_on = changes.get("due_on", order.due_on)
    if starts_on and due_on and due_on < starts_on:
        raise OrderError("the due date is before the start date")
    shown = {"customer": lambda c: c.name, "manager": lambda m: m.username}
    recorded = {}
    for name, new in changes.items():
        old = getattr(order, name)
        if old != new:
            show = shown.get(name, lambda v: v)
            recorded[name] = [show(old) if old is not None else None, show(new)]
            setattr(order, name, new)
    if recorded:
        db.session.flush()
        record_event(
            actor=actor,
            action="order.edited",
            entity_type="order",
            entity_id=order.id,
            order_id=order.id,
            changes=recorded,
        )
    return order


def advance_order(
    order: Order,
    trigger: str,
    actor: User,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
) -> RecordedEvent:
    """Fire a workflow transition on an order (see qms.workflow.engine.fire); its manager
    hears of it when someone else took the step."""
    event = engine.fire(
        order,
        trigger,
        actor,
        entity_type="order",
        order_id=order.id,
        reason=reason,
        expected_version=expected_version,
    )
    if order.manager_id != actor.id:
        definition = definition_of(order.workflow_version)
        step, state = definition.transition(trigger).title, definition.states[order.state].title
        notify(
            db.session.get(User, order.manager_id),
            "step_taken",
            subject_type="order",
            subject_id=order.id,
            params={
                "order": order.number,
                "step": {"en": step.en, "ru": step.ru},
                "state": {"en": state.en, "ru": state.ru},
            },
            actor=actor,
        )
    return event


def order_definition(order: Order):
    return definition_of(order.workflow_version)

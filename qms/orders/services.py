"""Operations on orders. Each flushes and writes its audit event; the caller commits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import RecordedEvent, record_event
from qms.auth.models import User
from qms.customers.models import Customer
from qms.database.limits import MAX_MONEY, check_date, check_lengths
from qms.database.rows import RowLoader
from qms.extensions import db
from qms.notify.services import notify
from qms.orders.models import Order
from qms.timeutil import utcnow
from qms.workflow import engine
from qms.workflow.registry import definition_of, pin_version, registry

WORKFLOW = "customer-order"


class OrderError(ValueError):
    """Bad input for an order operation, said in words a person can act on."""


# Every order page and transition finds its order so: through the driver (qms.database.rows).
ORDER_BY_NUMBER = RowLoader(Order, "orders.number = {mark}")


def get_order(number: str) -> Order:
    row = ORDER_BY_NUMBER.first(db.session, (number,))
    if row is None:
        raise OrderError(_l("no order numbered '%(number)s'", number=number))
    return row[0]


def next_order_number(today: date | None = None) -> str:
    year = (today or utcnow().date()).year
    prefix = f"{year}-"
    last = db.session.scalar(select(func.max(Order.number)).where(Order.number.like(f"{prefix}%")))
    n = int(last.removeprefix(prefix)) + 1 if last and last.removeprefix(prefix).isdigit() else 1
    return f"{prefix}{n:04d}"


def parse_value(text: str | None) -> Decimal | None:
    """An amount of money as the value column holds it (Numeric(14, 2)), or OrderError."""
    if text is None or str(text).strip() == "":
        return None
    try:
        value = Decimal(str(text).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():  # NaN and infinities parse as Decimals
        raise OrderError(_l("'%(text)s' is not an amount of money", text=text))
    if value < 0:
        raise OrderError(_l("the value cannot be negative"))
    too_large = OrderError(
        _l("the value is too large: at most %(most)s", most=f"{MAX_MONEY:,}".replace(",", " "))
    )
    if value > MAX_MONEY:  # before rounding, which fails on more digits than it keeps
        raise too_large
    value = value.quantize(Decimal("0.01"))
    if value > MAX_MONEY:  # 999 999 999 999.995 rounds up past it
        raise too_large
    return value


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
    recommended_by: Customer | None = None,
) -> Order:
    """Open a new order at the first state of the latest customer-order workflow."""
    if recommended_by is not None and recommended_by.id == customer.id:
        raise OrderError(_l("a customer does not recommend us to themselves"))
    if actor.role not in ("manager", "admin"):
        raise OrderError(_l("only a manager or an administrator may open an order"))
    if not title or not title.strip():
        raise OrderError(_l("an order needs a title"))
    if manager.role != "manager":
        raise OrderError(_l("%(name)s is not an active project manager", name=manager.full_name))
    if starts_on and due_on and due_on < starts_on:
        raise OrderError(_l("the due date is before the start date"))
    check_date(starts_on, _l("Starts on"))
    check_date(due_on, _l("Due on"))
    check_lengths(Order, title=title.strip(), number=number)
    if value is not None:
        parse_value(str(value))  # the same limits whatever the caller parsed it with
    if not number:  # the next free one; should another order take it first, the unique
        number = next_order_number()  # constraint refuses this one (see commit_retrying)
    elif db.session.scalar(select(func.count()).where(Order.number == number)):
        raise OrderError(_l("an order numbered '%(number)s' already exists", number=number))
    definition = registry().latest(WORKFLOW)
    order = Order(
        number=number,
        title=title.strip(),
        customer=customer,
        recommended_by=recommended_by,
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
            **({"recommended_by": recommended_by.name} if recommended_by else {}),
            "manager": manager.username,
            "value": value,
            "currency": currency,
            "workflow": f"{definition.name} v{definition.version}",
        },
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

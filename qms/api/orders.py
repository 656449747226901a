"""/api/v1/orders: the orders list with the web's filters and paging, one order with its
next steps and what each still lacks, opening, editing and advancing an order."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select

from qms.api.blueprint import blp, permission, register_refusals
from qms.api.schemas import (
    PageArgs,
    StrictSchema,
    UserRefSchema,
    page_of,
    paged,
    per_page,
)
from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.i18n import current_language
from qms.orders.editing import edit_order
from qms.orders.forms import CURRENCIES
from qms.orders.models import Order
from qms.orders.page import order_view
from qms.orders.queries import OrderFilter, filtered_orders
from qms.orders.services import (
    OrderError,
    advance_order,
    create_order,
    get_order,
    parse_value,
)
from qms.workcalendar.calendar import overdue_before
from qms.workflow.engine import ConcurrentChange, TransitionRefused
from qms.workflow.registry import definition_of

register_refusals(TransitionRefused, 422, "transition-refused", with_reasons=True)
register_refusals(ConcurrentChange, 409, "changed-meanwhile")
register_refusals(OrderError, 422, "order-refused")


class CustomerRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class OrderSchema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    customer = ma.fields.Nested(CustomerRefSchema, required=True)
    manager = ma.fields.Nested(UserRefSchema, required=True)
    value = ma.fields.String(allow_none=True, metadata={"description": "Decimal, as text"})
    currency = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    starts_on = ma.fields.Date(allow_none=True)
    due_on = ma.fields.Date(allow_none=True)
    state = ma.fields.String(required=True)
    state_title = ma.fields.String(required=True)
    is_final = ma.fields.Boolean(required=True)
    overdue = ma.fields.Boolean(required=True)
    workflow = ma.fields.String(required=True, metadata={"description": "name and version"})
    created_at = ma.fields.DateTime(required=True)
    state_changed_at = ma.fields.DateTime(required=True)
    version = ma.fields.Integer(
        required=True, metadata={"description": "Send it back when editing or advancing"}
    )


class NextStepSchema(ma.Schema):
    trigger = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    to_state = ma.fields.String(required=True)
    allowed_for_you = ma.fields.Boolean(required=True)
    ready = ma.fields.Boolean(required=True)
    missing = ma.fields.List(ma.fields.String(), required=True)


class OrderDetailSchema(OrderSchema):
    next_steps = ma.fields.List(ma.fields.Nested(NextStepSchema), required=True)


OrderPageSchema = page_of(OrderSchema, "OrderPage")


def order_json(order: Order) -> dict:
    definition = definition_of(order.workflow_version)
    state = definition.states[order.state]
    return {
        "number": order.number,
        "title": order.title,
        "customer": order.customer,
        "manager": order.manager,
        "value": None if order.value is None else str(order.value),
        "currency": order.currency,
        "language": order.language,
        "starts_on": order.starts_on,
        "due_on": order.due_on,
        "state": order.state,
        "state_title": state.title.get(current_language()),
        "is_final": state.final,
        "overdue": bool(order.due_on and order.due_on < overdue_before() and not state.final),
        "workflow": f"{definition.name} v{definition.version}",
        "created_at": order.created_at,
        "state_changed_at": order.state_changed_at,
        "version": order.version,
    }


class OrderListArgs(PageArgs):
    q = ma.fields.String(validate=ma.validate.Length(max=100), metadata={"description": "Search"})
    state = ma.fields.String()
    manager_id = ma.fields.Integer()
    manager = ma.fields.String(metadata={"description": "The manager's user name"})
    overdue = ma.fields.Boolean(load_default=False)


class OrderInputSchema(StrictSchema):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=300))
    customer_id = ma.fields.Integer()
    manager = ma.fields.String(metadata={"description": "The project manager's user name"})
    value = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=32))
    currency = ma.fields.String(validate=ma.validate.OneOf(list(CURRENCIES)))
    language = ma.fields.String(validate=ma.validate.OneOf(["ru", "en"]))
    starts_on = ma.fields.Date(allow_none=True)
    due_on = ma.fields.Date(allow_none=True)


class OrderCreateSchema(OrderInputSchema):
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    customer_id = ma.fields.Integer(required=True)
    manager = ma.fields.String(
        metadata={"description": "The project manager's user name (default: you)"}
    )


class OrderEditSchema(OrderInputSchema):
    reason = ma.fields.String(
        validate=ma.validate.Length(max=2000),
        metadata={"description": "Why the order changes (needed when anything changes)"},
    )
    version = ma.fields.Integer(
        metadata={"description": "The version you read; refused (409) if it changed since"}
    )


class AdvanceSchema(StrictSchema):
    trigger = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    reason = ma.fields.String(validate=ma.validate.Length(max=2000))
    version = ma.fields.Integer(
        metadata={"description": "The version you read; refused (409) if it changed since"}
    )


class StepTakenSchema(ma.Schema):
    event_seq = ma.fields.Integer(required=True)
    from_state = ma.fields.String(required=True)
    to_state = ma.fields.String(required=True)
    order = ma.fields.Nested(OrderSchema, required=True)


def order_or_404(number: str) -> Order:
    try:
        return get_order(number)
    except OrderError:
        abort(404)


def _field(field: str, message) -> None:
    abort(422, messages={"json": {field: [str(message)]}})


def _customer(customer_id: int) -> Customer:
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        _field("customer_id", _l("there is no customer %(id)s", id=customer_id))
    return customer


def _manager(username: str) -> User:
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active:
        _field("manager", _l("there is no active user '%(name)s'", name=username))
    return user


def _value(text):
    try:
        return parse_value(text)
    except OrderError as exc:
        _field("value", exc)


@blp.route("/orders", tags=["orders"])
@blp.arguments(OrderListArgs, location="query")
@blp.response(200, OrderPageSchema)
@permission("view")
def list_orders(args):
    """The orders, newest number first, filtered as on the web's orders page."""
    manager_id = args.get("manager_id")
    if args.get("manager"):
        manager_id = _manager(args["manager"]).id
    filters = OrderFilter(
        q=args.get("q", ""),
        state=args.get("state", ""),
        manager_id=manager_id,
        overdue=args["overdue"],
    )
    page = db.paginate(
        filtered_orders(filters), page=args["page"], per_page=per_page(args), error_out=False
    )
    return paged(page) | {"items": [order_json(o) for o in page.items]}


@blp.route("/orders", methods=["POST"], tags=["orders"])
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@permission("open_order")
def open_order(body):
    """Open an order at the first state of the latest customer-order workflow."""
    order = create_order(
        actor=current_user,
        title=body["title"],
        customer=_customer(body["customer_id"]),
        manager=_manager(body.get("manager") or current_user.username),
        value=_value(body.get("value")),
        currency=body.get("currency", "RUB"),
        language=body.get("language", "ru"),
        starts_on=body.get("starts_on"),
        due_on=body.get("due_on"),
    )
    db.session.commit()
    return order_json(order), 201, {"Location": f"/api/v1/orders/{order.number}"}


@blp.route("/orders/<number>", tags=["orders"])
@blp.response(200, OrderDetailSchema)
@permission("view")
def get_one_order(number):
    """One order, with each step possible from its state and what that step still lacks."""
    view = order_view(number)
    if view is None:
        abort(404)
    steps = [
        {
            "trigger": t.transition.trigger,
            "title": t.transition.title.get(current_language()),
            "to_state": t.transition.dest,
            "allowed_for_you": t.may_fire,
            "ready": t.ready,
            "missing": [str(s.problem) for s in t.statuses if s.problem],
        }
        for t in view.transitions
    ]
    return order_json(view.order) | {"next_steps": steps}


@blp.route("/orders/<number>", methods=["PATCH"], tags=["orders"])
@blp.arguments(OrderEditSchema)
@blp.response(200, OrderSchema)
@permission("edit_order")
def edit_one_order(body, number):
    """Change an order's details: title, customer, manager, value, dates, language."""
    order = order_or_404(number)
    version = body.pop("version", None)
    changes = dict(body)
    if "customer_id" in changes:
        changes["customer"] = _customer(changes.pop("customer_id"))
    if "manager" in changes:
        changes["manager"] = _manager(changes["manager"])
    if "value" in changes:
        changes["value"] = _value(changes["value"])
    reason = changes.pop("reason", None)
    edit_order(order, current_user, changes, reason=reason, expected_version=version)
    db.session.commit()
    return order_json(order)


@blp.route("/orders/<number>/advance", methods=["POST"], tags=["orders"])
@blp.arguments(AdvanceSchema)
@blp.response(200, StepTakenSchema)
@permission("advance_order")
def advance(body, number):
    """Take a step of the order's workflow. Refused (422) with the same reasons, in words,
    as on the web: the role, the records not approved yet, a missing reason."""
    order = order_or_404(number)
    event = advance_order(
        order,
        body["trigger"],
        current_user,
        reason=body.get("reason"),
        expected_version=body.get("version"),
    )
    db.session.commit()
    return {
        "event_seq": event.seq,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "order": order_json(order),
    }

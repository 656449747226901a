"""/api/v1/items: contract changes, complaints and corrective actions (any work-item
workflow): the register, one item with its steps, opening one, taking a step."""

from __future__ import annotations

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.api.blueprint import blp, permission, register_refusals
from qms.api.orders import order_or_404
from qms.api.schemas import PageArgs, StrictSchema, UserRefSchema, page_of, paged, per_page
from qms.customers.models import Customer
from qms.extensions import db
from qms.i18n import current_language
from qms.support.models import PRIORITIES
from qms.support.services import request_of
from qms.workcalendar.calendar import overdue_before
from qms.workflow.registry import definition_of
from qms.workitems.models import WorkItem
from qms.workitems.services import (
    CHANNELS,
    SOURCES,
    WORKFLOWS,
    WorkItemError,
    advance_item,
    open_item,
)

register_refusals(WorkItemError, 422, "work-item-refused")
NO_CUSTOMER = _l("there is no customer %(customer_id)s")  # % the request body


class ItemStepSchema(ma.Schema):
    trigger = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    to_state = ma.fields.String(required=True)
    inputs = ma.fields.List(ma.fields.String(), required=True)
    reason_required = ma.fields.Boolean(required=True)


class ItemSchema(ma.Schema):
    number = ma.fields.String(required=True)
    workflow = ma.fields.String(required=True, metadata={"enum": list(WORKFLOWS)})
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    order = ma.fields.String(allow_none=True, metadata={"description": "The order's number"})
    customer_id = ma.fields.Integer(allow_none=True)
    parent = ma.fields.String(allow_none=True)
    channel = ma.fields.String(allow_none=True)
    source = ma.fields.String(allow_none=True)
    received_on = ma.fields.Date(allow_none=True)
    due_on = ma.fields.Date(allow_none=True)
    overdue = ma.fields.Boolean(required=True)
    owner = ma.fields.Nested(UserRefSchema, allow_none=True)
    state = ma.fields.String(required=True)
    state_title = ma.fields.String(required=True)
    data = ma.fields.Dict(required=True, metadata={"description": "What its steps asked for"})
    created_at = ma.fields.DateTime(required=True)
    version = ma.fields.Integer(required=True)
    priority = ma.fields.String(
        allow_none=True,
        metadata={"description": "A support request's priority (one item's answers only)"},
    )


class ItemDetailSchema(ItemSchema):
    next_steps = ma.fields.List(ma.fields.Nested(ItemStepSchema), required=True)


ItemPageSchema = page_of(ItemSchema, "ItemPage")


class ItemListArgs(PageArgs):
    workflow = ma.fields.String(validate=ma.validate.OneOf(WORKFLOWS))
    state = ma.fields.String()
    overdue = ma.fields.Boolean(load_default=False)


class ItemCreateSchema(StrictSchema):
    workflow = ma.fields.String(required=True, validate=ma.validate.OneOf(WORKFLOWS))
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    description = ma.fields.String(load_default="")
    order = ma.fields.String(metadata={"description": "The order's number"})
    customer_id = ma.fields.Integer()
    channel = ma.fields.String(validate=ma.validate.OneOf(CHANNELS))
    source = ma.fields.String(validate=ma.validate.OneOf(SOURCES))
    received_on = ma.fields.Date()
    priority = ma.fields.String(
        validate=ma.validate.OneOf(PRIORITIES),
        metadata={
            "description": "Support requests only: sets their response and resolution clocks"
        },
    )


class ItemAdvanceSchema(StrictSchema):
    trigger = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    values = ma.fields.Dict(
        keys=ma.fields.String(), metadata={"description": "The step's inputs, by name"}
    )
    reason = ma.fields.String(validate=ma.validate.Length(max=2000))
    version = ma.fields.Integer()


class ItemStepTakenSchema(ma.Schema):
    event_seq = ma.fields.Integer(required=True)
    from_state = ma.fields.String(required=True)
    to_state = ma.fields.String(required=True)
    item = ma.fields.Nested(ItemSchema, required=True)


def item_json(item: WorkItem) -> dict:
    definition = definition_of(item.workflow_version)
    state = definition.states[item.state]
    return {
        "number": item.number,
        "workflow": item.workflow,
        "title": item.title,
        "description": item.description,
        "order": item.order.number if item.order else None,
        "customer_id": item.customer_id,
        "parent": item.parent.number if item.parent else None,
        "channel": item.channel,
        "source": item.source,
        "received_on": item.received_on,
        "due_on": item.due_on,
        "overdue": bool(item.due_on and item.due_on < overdue_before() and not state.final),
        "owner": item.owner,
        "state": item.state,
        "state_title": state.title.get(current_language()),
        "data": item.data or {},
        "created_at": item.created_at,
        "version": item.version,
    }


def item_detail_json(item: WorkItem) -> dict:
    """One item, with what a list leaves out (a support request's priority)."""
    support = request_of(item)
    return item_json(item) | {"priority": support.priority if support else None}


def _loaded():
    return (
        joinedload(WorkItem.order),
        joinedload(WorkItem.owner),
        joinedload(WorkItem.workflow_version),
        joinedload(WorkItem.parent),
    )


def item_or_404(number: str) -> WorkItem:
    item = db.session.scalars(
        select(WorkItem).where(WorkItem.number == number).options(*_loaded())
    ).first()
    if item is None:
        abort(404)
    return item


@blp.route("/items", tags=["work items"])
@blp.arguments(ItemListArgs, location="query")
@blp.response(200, ItemPageSchema)
@permission("view")
def list_items(args):
    """The register of work items, newest first, as on the web's /items."""
    query = select(WorkItem).options(*_loaded()).order_by(WorkItem.id.desc())
    if args.get("workflow"):
        query = query.where(WorkItem.workflow == args["workflow"])
    if args.get("state"):
        query = query.where(WorkItem.state == args["state"])
    if args["overdue"]:
        query = query.where(WorkItem.due_on < overdue_before())
    page = db.paginate(query, page=args["page"], per_page=per_page(args), error_out=False)
    return paged(page) | {"items": [item_json(i) for i in page.items]}


@blp.route("/items", methods=["POST"], tags=["work items"])
@blp.arguments(ItemCreateSchema)
@blp.response(201, ItemSchema)
@permission("write_record")
def create_item(body):
    """Open a contract change (on an order), a complaint (from a customer or on an order, with
    its channel) or a corrective action (with its source)."""
    order = order_or_404(body["order"]) if body.get("order") else None
    customer = None
    if (
        "customer_id" in body
        and (customer := db.session.get(Customer, body["customer_id"])) is None
    ):
        abort(422, messages={"json": {"customer_id": [str(NO_CUSTOMER % body)]}})
    item = open_item(
        body["workflow"],
        current_user,
        title=body["title"],
        description=body["description"],
        order=order,
        customer=customer,
        channel=body.get("channel"),
        source=body.get("source"),
        received_on=body.get("received_on"),
        priority=body.get("priority"),
    )
    db.session.commit()
    return item_detail_json(item), 201, {"Location": f"/api/v1/items/{item.number}"}


@blp.route("/items/<number>", tags=["work items"])
@blp.response(200, ItemDetailSchema)
@permission("view")
def get_item(number):
    """One work item with the steps possible from its state and the inputs each asks for."""
    item = item_or_404(number)
    definition = definition_of(item.workflow_version)
    steps = [
        {
            "trigger": t.trigger,
            "title": t.title.get(current_language()),
            "to_state": t.dest,
            "inputs": list(t.inputs),
            "reason_required": t.reason_required,
        }
        for t in definition.transitions_from(item.state)
    ]
    return item_detail_json(item) | {"next_steps": steps}


def _as_text(value) -> str:
    """Inputs as the web's form sends them: lists (record kinds) comma-separated."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


@blp.route("/items/<number>/advance", methods=["POST"], tags=["work items"])
@blp.arguments(ItemAdvanceSchema)
@blp.response(200, ItemStepTakenSchema)
@permission("write_record")
def advance(body, number):
    """Take a step of the item's workflow, answering its inputs; refused (422) with the
    reasons in words, as on the web."""
    item = item_or_404(number)
    event = advance_item(
        item,
        body["trigger"],
        current_user,
        values={k: _as_text(v) for k, v in (body.get("values") or {}).items()},
        reason=body.get("reason"),
        expected_version=body.get("version"),
    )
    db.session.commit()
    return {
        "event_seq": event.seq,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "item": item_json(item),
    }

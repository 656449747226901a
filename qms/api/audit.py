"""/api/v1 audit trail, traceability matrix, verification, and who the token is."""

from __future__ import annotations

import marshmallow as ma
from flask import g
from flask_login import current_user
from sqlalchemy import select

from qms.api.blueprint import blp, permission
from qms.api.schemas import MAX_PER_PAGE
from qms.audit.models import AuditEvent
from qms.audit.titles import event_title
from qms.audit.verify import verify_trail
from qms.extensions import db
from qms.i18n import current_language
from qms.orders.models import Order
from qms.trace.matrix import build_matrix

MAX_EVENTS = 1000


class EventArgs(ma.Schema):
    after = ma.fields.Integer(
        load_default=0,
        validate=ma.validate.Range(min=0),
        metadata={"description": "Events after this sequence number (0: from the start)"},
    )
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=MAX_EVENTS))
    order = ma.fields.String(metadata={"description": "Only this order's events (its number)"})
    action = ma.fields.String(metadata={"description": "Actions starting with this"})


class EventSchema(ma.Schema):
    seq = ma.fields.Integer(required=True)
    occurred_at = ma.fields.DateTime(required=True)
    actor = ma.fields.String(required=True)
    action = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    entity_type = ma.fields.String(required=True)
    entity_id = ma.fields.Integer(allow_none=True)
    order = ma.fields.String(allow_none=True)
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String(allow_none=True)
    changes = ma.fields.Dict(required=True)
    reason = ma.fields.String(allow_none=True)
    origin = ma.fields.String(allow_none=True, metadata={"description": "web, cli, api, system"})
    origin_detail = ma.fields.String(allow_none=True)
    prev_hash = ma.fields.String(required=True)
    hash = ma.fields.String(required=True)
    mac = ma.fields.String(allow_none=True)


class EventPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(EventSchema), required=True)
    next_after = ma.fields.Integer(
        required=True, metadata={"description": "Pass as `after` to read on from here"}
    )
    head_seq = ma.fields.Integer(required=True, metadata={"description": "The trail's last event"})


@blp.route("/audit/events", tags=["audit"])
@blp.arguments(EventArgs, location="query")
@blp.response(200, EventPageSchema)
@permission("view")
def events(args):
    """The audit trail in chain order, paged by sequence number: read on with
    `after=next_after` to follow it as it grows."""
    query = (
        select(AuditEvent, Order.number)
        .outerjoin(Order, Order.id == AuditEvent.order_id)
        .where(AuditEvent.seq > args["after"])
        .order_by(AuditEvent.seq)
        .limit(args["limit"])
    )
    if args.get("order"):
        query = query.where(Order.number == args["order"])
    if args.get("action"):
        query = query.where(AuditEvent.action.startswith(args["action"], autoescape=True))
    rows = db.session.execute(query).all()
    head = db.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    items = [
        {
            "seq": e.seq,
            "occurred_at": e.occurred_at,
            "actor": e.actor_name,
            "action": e.action,
            "title": event_title(e),
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "order": number,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "changes": e.changes or {},
            "reason": e.reason,
            "origin": e.origin,
            "origin_detail": e.origin_detail,
            "prev_hash": e.prev_hash,
            "hash": e.hash,
            "mac": e.mac,
        }
        for e, number in rows
    ]
    next_after = items[-1]["seq"] if items else args["after"]
    return {"items": items, "next_after": next_after, "head_seq": head or 0}


class TraceArgs(ma.Schema):
    customer_id = ma.fields.Integer()
    state = ma.fields.String()
    date_from = ma.fields.Date(data_key="from")
    date_to = ma.fields.Date(data_key="to")
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(
        load_default=40, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE)
    )


class TraceOrderSchema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    customer = ma.fields.String(required=True)
    state = ma.fields.String(required=True)


class TraceCellSchema(ma.Schema):
    status = ma.fields.String(
        required=True, metadata={"enum": ["complete", "missing", "not reached"]}
    )
    approved_records = ma.fields.Integer(required=True)
    missing = ma.fields.List(ma.fields.String(), required=True)


class TraceRowSchema(ma.Schema):
    number = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    iso_2000 = ma.fields.List(ma.fields.String(), required=True)
    documents = ma.fields.List(ma.fields.String(), required=True)
    steps = ma.fields.List(ma.fields.String(), required=True)
    cells = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Nested(TraceCellSchema),
        required=True,
        metadata={"description": "By order number"},
    )


class TraceSchema(ma.Schema):
    orders = ma.fields.List(ma.fields.Nested(TraceOrderSchema), required=True)
    clauses = ma.fields.List(ma.fields.Nested(TraceRowSchema), required=True)
    gaps = ma.fields.Integer(required=True, metadata={"description": "Missing cells, all orders"})
    page = ma.fields.Integer(required=True)
    per_page = ma.fields.Integer(required=True)
    total = ma.fields.Integer(required=True)


@blp.route("/trace", tags=["audit"])
@blp.arguments(TraceArgs, location="query")
@blp.response(200, TraceSchema)
@permission("view")
def trace(args):
    """The traceability matrix: each ISO 9001:2015 clause against a page of orders (complete,
    missing or not reached), filtered as on the web."""
    page, size = args.pop("page"), args.pop("per_page")
    matrix = build_matrix(**args)
    shown = matrix.orders[(page - 1) * size : page * size]
    lang = current_language()
    return {
        "orders": [
            {"number": o.number, "title": o.title, "customer": o.customer, "state": o.state}
            for o in shown
        ],
        "clauses": [
            {
                "number": row.number,
                "title": row.title.get(lang),
                "iso_2000": list(row.from_2000),
                "documents": list(row.documents),
                "steps": list(row.steps),
                "cells": {
                    o.number: {
                        "status": (c := matrix.cell(row.number, o.id)).status,
                        "approved_records": c.evidence,
                        "missing": list(c.missing_kinds),
                    }
                    for o in shown
                },
            }
            for row in matrix.rows
        ],
        "gaps": len(matrix.gaps),
        "page": page,
        "per_page": size,
        "total": len(matrix.orders),
    }


class VerifyArgs(ma.Schema):
    skip_data = ma.fields.Boolean(
        load_default=False, metadata={"description": "Check the trail only, not the data"}
    )


class FindingSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class VerifySchema(ma.Schema):
    intact = ma.fields.Boolean(required=True)
    head_seq = ma.fields.Integer(required=True)
    head_hash = ma.fields.String(required=True)
    events_checked = ma.fields.Integer(required=True)
    checkpoints_checked = ma.fields.Integer(required=True)
    data_checked = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.Integer(), allow_none=True
    )
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), required=True)
    notes = ma.fields.List(ma.fields.String(), required=True)


@blp.route("/verify", tags=["audit"])
@blp.arguments(VerifyArgs, location="query")
@blp.response(200, VerifySchema)
@permission("verify_chain")
def verify(args):
    """Verify the trail as `qms audit verify` does: the chain and its MACs, the checkpoints,
    and the data against the trail; each finding names what disagrees."""
    report = verify_trail(check_data=not args["skip_data"])
    return {
        "intact": report.intact,
        "head_seq": report.head_seq,
        "head_hash": report.head_hash,
        "events_checked": report.events_checked,
        "checkpoints_checked": report.checkpoints_checked,
        "data_checked": report.data_checked,
        "findings": report.findings,
        "notes": report.notes,
    }


class TokenInfoSchema(ma.Schema):
    name = ma.fields.String(required=True)
    scope = ma.fields.String(required=True, metadata={"enum": ["read", "write"]})
    hint = ma.fields.String(required=True)
    expires_at = ma.fields.DateTime(required=True)


class MeSchema(ma.Schema):
    username = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    language = ma.fields.String(required=True)
    token = ma.fields.Nested(TokenInfoSchema, required=True)


@blp.route("/me", tags=["tokens"])
@blp.response(200, MeSchema)
def me():
    """The token's user and the token itself (to check a token works)."""
    user = current_user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "language": user.language,
        "token": g.api_token,
    }

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from qms.audit.models import AuditEvent
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.queries import FINAL_STATES, counts_by_state, overdue_clause
from qms.web.permissions import requires
from qms.workflow.registry import registry

blueprint = Blueprint("dashboard", __name__)


def _orders(*where, limit=10):
    return db.session.scalars(
        select(Order)
        .where(*where)
        .options(joinedload(Order.customer), joinedload(Order.workflow_version))
        .order_by(Order.due_on.is_(None), Order.due_on, Order.number)
        .limit(limit)
    ).all()


@blueprint.get("/")
@requires("view")
def index():
    definition = registry().latest("customer-order")
    counts = counts_by_state()
    stages = [(name, state, counts.get(name, 0)) for name, state in definition.states.items()]
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(15)).all()
    return render_template(
        "dashboard.html",
        mine=_orders(Order.manager_id == current_user.id, Order.state.not_in(FINAL_STATES)),
        overdue=_orders(*overdue_clause()),
        stages=stages,
        recent=recent,
        definition=definition,
    )


@blueprint.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="reachable")

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from qms.audit.models import AuditEvent
from qms.database.faults import write_probe
from qms.documents.queries import reviews_overdue
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.queries import counts_by_state, open_orders_of, overdue_clause, soonest_due
from qms.support.services import CLOCK_TITLES, breaches
from qms.web.permissions import requires
from qms.workflow.registry import registry
from qms.workitems.models import WorkItem
from qms.workitems.services import overdue_items

blueprint = Blueprint("dashboard", __name__)


SHOWN = (joinedload(Order.customer), joinedload(Order.workflow_version))
OVERDUE_SHOWN = 50  # overdue work items, the longest overdue first


@blueprint.get("/")
@requires("view")
def index():
    definition = registry().latest("customer-order")
    counts = counts_by_state(list(definition.states))
    stages = [(name, state, *counts[name]) for name, state in definition.states.items()]
    recent = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(15)).all()
    return render_template(
        "dashboard.html",
        mine=open_orders_of(current_user.id, 10, SHOWN),
        overdue=soonest_due(*overdue_clause(), limit=10, options=SHOWN, undated=False),
        stages=stages,
        recent=recent,
        definition=definition,
        overdue_items=overdue_items(limit=OVERDUE_SHOWN),
        support_breaches=breaches(),
        clock_titles=CLOCK_TITLES,
        overdue_reviews=reviews_overdue(),
        my_items=db.session.scalars(
            select(WorkItem)
            .where(WorkItem.owner_id == current_user.id, WorkItem.due_on.is_not(None))
            .options(joinedload(WorkItem.workflow_version))
            .limit(10)
        ).all(),
    )


@blueprint.get("/healthz")
def healthz():
    """For load balancers: 200 when the database answers, its schema is current and it
    would keep a write (not read-only, disk not full); 503 otherwise, saying which."""
    head = ScriptDirectory.from_config(
        current_app.extensions["migrate"].migrate.get_config()
    ).get_heads()
    try:
        with db.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_heads()
            current_schema = set(current) == set(head)
            refusal = write_probe(connection) if current_schema else None
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    if not current_schema:
        return jsonify(
            status="error",
            database="reachable",
            migrations="behind",
            schema=sorted(current),
            code=sorted(head),
        ), 503
    if refusal is not None:
        return jsonify(
            status="error",
            database="reachable",
            migrations="current",
            writable=False,
            problem=f"the database refuses writes: {refusal.value}",
        ), 503
    return jsonify(status="ok", database="reachable", migrations="current", writable=True)

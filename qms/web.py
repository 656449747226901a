"""The read-only start page until the full web app lands, and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from qms.extensions import db
from qms.orders.models import Order
from qms.workflow.registry import definition_of

blueprint = Blueprint("web", __name__)


@blueprint.get("/")
def index():
    orders = db.session.scalars(
        select(Order)
        .options(joinedload(Order.customer), joinedload(Order.workflow_version))
        .order_by(Order.number)
    ).all()
    rows = [
        (order, definition_of(order.workflow_version).states[order.state].title) for order in orders
    ]
    return render_template("index.html", rows=rows)


@blueprint.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="reachable")

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.audit.models import AuditEvent
from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.models import Order
from qms.timeutil import utcnow
from qms.web.permissions import requires
from qms.workflow.engine import ConcurrentChange, TransitionRefused
from qms.workflow.registry import definition_of, registry
from qms.workitems.models import WorkItem
from qms.workitems.services import (
    CHANNELS,
    SOURCES,
    WORKFLOWS,
    WorkItemError,
    advance_item,
    open_item,
)

blueprint = Blueprint("workitems", __name__)


def _item_or_404(number: str) -> WorkItem:
    item = db.session.scalars(
        select(WorkItem)
        .where(WorkItem.number == number)
        .options(
            joinedload(WorkItem.order),
            joinedload(WorkItem.customer),
            joinedload(WorkItem.owner),
            joinedload(WorkItem.workflow_version),
            joinedload(WorkItem.parent),
        )
    ).first()
    if item is None:
        abort(404)
    return item


@blueprint.get("/items")
@requires("view")
def index():
    workflow = request.args.get("workflow", "")
    if workflow not in WORKFLOWS:  # an unknown kind lists them all, as no kind does
        workflow = ""
    state = request.args.get("state", "")
    overdue = bool(request.args.get("overdue"))
    query = (
        select(WorkItem)
        .options(
            joinedload(WorkItem.order),
            joinedload(WorkItem.owner),
            joinedload(WorkItem.workflow_version),
            joinedload(WorkItem.customer),
        )
        .order_by(WorkItem.id.desc())
    )
    if workflow in WORKFLOWS:
        query = query.where(WorkItem.workflow == workflow)
    if state:
        query = query.where(WorkItem.state == state)
    if overdue:
        query = query.where(WorkItem.due_on < utcnow().date())
    page = db.paginate(query, per_page=50, error_out=False)
    definitions = {name: registry().latest(name) for name in WORKFLOWS}
    return render_template(
        "workitems/index.html",
        page=page,
        workflow=workflow,
        state=state,
        overdue=overdue,
        definitions=definitions,
        today=utcnow().date(),
    )


@blueprint.route("/items/new", methods=["GET", "POST"])
@requires("write_record")
def new():
    workflow = request.values.get("workflow", "")
    if workflow not in WORKFLOWS:
        abort(404)
    definition = registry().latest(workflow)
    customers = db.session.scalars(select(Customer).order_by(Customer.name)).all()
    values = request.form if request.method == "POST" else request.args
    errors: list[str] = []
    if request.method == "POST":
        order = None
        if number := values.get("order", "").strip():
            order = db.session.scalars(select(Order).where(Order.number == number)).first()
            if order is None:
                errors.append(_("There is no order numbered %(n)s.", n=number))
        customer = (
            db.session.get(Customer, int(values["customer"]))
            if values.get("customer", "").isdigit()
            else None
        )
        received = None
        if values.get("received_on"):
            try:
                received = date.fromisoformat(values["received_on"])
            except ValueError:
                errors.append(_("The date received must be a date (YYYY-MM-DD)."))
        if not errors:
            try:
                item = open_item(
                    workflow,
                    current_user,
                    title=values.get("title", ""),
                    description=values.get("description", ""),
                    order=order,
                    customer=customer,
                    channel=values.get("channel") or None,
                    source=values.get("source") or None,
                    received_on=received,
                )
            except WorkItemError as exc:
                db.session.rollback()
                errors.append(str(exc))
            else:
                db.session.commit()
                flash(_("%(number)s opened.", number=item.number), "success")
                return redirect(url_for("workitems.show", number=item.number))
    return render_template(
        "workitems/new.html",
        workflow=workflow,
        definition=definition,
        customers=customers,
        channels=CHANNELS,
        sources=SOURCES,
        values=values,
        errors=errors,
    ), 422 if errors else 200


@blueprint.get("/items/<number>")
@requires("view")
def show(number: str):
    item = _item_or_404(number)
    definition = definition_of(item.workflow_version)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == item.workflow, AuditEvent.entity_id == item.id)
        .order_by(AuditEvent.seq)
    ).all()
    children = db.session.scalars(select(WorkItem).where(WorkItem.parent_id == item.id)).all()
    users = db.session.scalars(select(User).where(User.is_active).order_by(User.username)).all()
    return render_template(
        "workitems/show.html",
        item=item,
        definition=definition,
        events=events,
        children=children,
        users=users,
        today=utcnow().date(),
    )


@blueprint.post("/items/<number>/advance")
@requires("write_record")
def advance(number: str):
    item = _item_or_404(number)
    trigger = request.form.get("trigger", "")
    values = {
        k.removeprefix("input_"): v for k, v in request.form.items() if k.startswith("input_")
    }
    try:
        advance_item(
            item,
            trigger,
            current_user,
            values=values,
            reason=request.form.get("reason"),
            expected_version=request.form.get("version", type=int),
        )
    except TransitionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except ConcurrentChange as exc:
        db.session.rollback()
        abort(409, str(exc))
    else:
        db.session.commit()
        flash(_("Done."), "success")
    return redirect(url_for("workitems.show", number=number))

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from qms.audit.models import AuditEvent
from qms.auth.models import User
from qms.customers.models import Customer
from qms.database.limits import InputRefused, date_in_range
from qms.database.retry import commit_retrying
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record
from qms.support.views import support_panel
from qms.web.inputs import id_from, page_number
from qms.web.permissions import requires
from qms.web.validators import date_range_message
from qms.workcalendar.calendar import overdue_before
from qms.workflow.engine import ConcurrentChange, TransitionRefused
from qms.workflow.registry import definition_of, registry
from qms.workitems.models import WorkItem
from qms.workitems.services import (
    WORKFLOWS,
    WorkItemError,
    advance_item,
    open_item,
)
from qms.workitems.titles import CHANNEL_TITLES, PRIORITY_TITLES, SOURCE_TITLES

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
    if workflow and workflow not in WORKFLOWS:
        abort(400, _("There is no kind of work item called “%(name)s”.", name=workflow[:64]))
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
    if workflow:
        query = query.where(WorkItem.workflow == workflow)
    if state:
        query = query.where(WorkItem.state == state)
    if overdue:
        query = query.where(WorkItem.due_on < overdue_before())
    page = db.paginate(query, page=page_number(), per_page=50, error_out=False)
    definitions = {name: registry().latest(name) for name in WORKFLOWS}
    # The state filter offers the states of the kind chosen, or of every kind.
    states = {
        name: (d.title, d.states)
        for name, d in definitions.items()
        if not workflow or name == workflow
    }
    return render_template(
        "workitems/index.html",
        page=page,
        workflow=workflow,
        state=state,
        overdue=overdue,
        definitions=definitions,
        states=states,
        late_before=overdue_before(),
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
        customer = None
        if values.get("customer"):
            customer_id = id_from(values["customer"])
            customer = db.session.get(Customer, customer_id) if customer_id else None
            if customer is None:
                errors.append(_("There is no such customer."))
        received = None
        if values.get("received_on"):
            try:
                received = date.fromisoformat(values["received_on"])
            except ValueError:
                errors.append(_("The date received must be a date (YYYY-MM-DD)."))
            else:
                if not date_in_range(received):
                    errors.append(date_range_message())
        if not errors:
            try:
                # The number is the next free one: taken by someone else meanwhile, take the next.
                item = commit_retrying(
                    lambda: open_item(
                        workflow,
                        current_user,
                        title=values.get("title", ""),
                        description=values.get("description", ""),
                        order=order,
                        customer=customer,
                        channel=values.get("channel") or None,
                        source=values.get("source") or None,
                        received_on=received,
                        priority=values.get("priority") or None,
                    )
                )
            except (WorkItemError, InputRefused) as exc:
                db.session.rollback()
                errors.append(str(exc))
            else:
                flash(_("%(number)s opened.", number=item.number), "success")
                return redirect(url_for("workitems.show", number=item.number))
    return render_template(
        "workitems/new.html",
        workflow=workflow,
        definition=definition,
        customers=customers,
        orders=_orders_for(workflow),
        channels=CHANNEL_TITLES,
        sources=SOURCE_TITLES,
        priorities=PRIORITY_TITLES,
        values=values,
        errors=errors,
    ), 422 if errors else 200


def _orders_for(workflow: str) -> list[Order]:
    """The orders a new item of `workflow` may belong to, to choose from (not to type):
    a contract change or a complaint only on an order with an approved contract."""
    query = select(Order).order_by(Order.number.desc()).limit(500)
    if workflow in ("contract-change", "complaint"):
        query = query.where(
            exists().where(
                Record.order_id == Order.id,
                Record.kind == "contract",
                Record.status == "approved",
            )
        )
    return db.session.scalars(query).all()


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
    kinds = registry().latest("customer-order").records
    return render_template(
        "workitems/show.html",
        item=item,
        definition=definition,
        events=events,
        children=children,
        users=users,
        late_before=overdue_before(),
        record_kinds=kinds,
        channels=CHANNEL_TITLES,
        sources=SOURCE_TITLES,
        support=support_panel(item),
    )


@blueprint.post("/items/<number>/advance")
@requires("write_record")
def advance(number: str):
    item = _item_or_404(number)
    trigger = request.form.get("trigger", "")
    # Several boxes may be ticked for one input (the records a change reopens).
    values = {
        k.removeprefix("input_"): ",".join(request.form.getlist(k))
        for k in request.form
        if k.startswith("input_")
    }
    try:
        # A transition may open a corrective action, whose number may be taken meanwhile.
        commit_retrying(
            lambda: advance_item(
                item,
                trigger,
                current_user,
                values=values,
                reason=request.form.get("reason"),
                expected_version=request.form.get("version", type=int),
            )
        )
    except TransitionRefused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except ConcurrentChange as exc:
        db.session.rollback()
        abort(409, str(exc))
    else:
        flash(_("Done."), "success")
    return redirect(url_for("workitems.show", number=number))

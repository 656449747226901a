from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.auth.models import User
from qms.customers.models import Customer
from qms.database.limits import InputRefused
from qms.database.paging import bounded_page
from qms.database.retry import commit_retrying
from qms.extensions import db
from qms.orders.editing import edit_order
from qms.orders.forms import AdvanceForm, FilterForm, OrderEditForm, OrderForm, SalesStageForm
from qms.orders.models import Order
from qms.orders.page import order_view
from qms.orders.queries import FINAL_STATES, OrderFilter, filtered_orders
from qms.orders.sales import SalesStageError, mark_stage
from qms.orders.services import (
    OrderError,
    advance_order,
    create_order,
    get_order,
    parse_value,
)
from qms.web.choices import options
from qms.web.inputs import page_number, valid_data
from qms.web.permissions import requires
from qms.workflow.engine import ConcurrentChange, TransitionRefused
from qms.workflow.registry import definition_of, registry

blueprint = Blueprint("orders", __name__, url_prefix="/orders")


def _state_choices():
    definition = registry().latest("customer-order")
    return {
        name: state.title.get(current_user.language) for name, state in definition.states.items()
    }


def _managers():
    return db.session.scalars(
        select(User).where(User.role == "manager", User.is_active).order_by(User.full_name)
    ).all()


@blueprint.get("")
@requires("view")
def index():
    form = FilterForm(request.args)
    form.state.choices = options({"": _("any state")} | _state_choices())
    form.manager_id.choices = options(
        {"": _("any manager")} | {m.id: m.full_name for m in _managers()}
    )
    valid = form.validate()
    filters = OrderFilter(  # a filter that is not valid is shown with its error, not applied
        q=valid_data(form.q) or "",
        state=valid_data(form.state) or "",
        manager_id=valid_data(form.manager_id),
        overdue=bool(form.overdue.data),
    )
    page = bounded_page(
        filtered_orders(filters), page_number(), current_app.config["QMS_PAGE_SIZE"]
    )
    return render_template(
        "orders/index.html", form=form, page=page, states=_state_choices()
    ), 200 if valid else 400


@blueprint.get("/board")
@requires("view")
def board():
    definition = registry().latest("customer-order")
    orders = (
        db.session.scalars(
            filtered_orders(OrderFilter()).where(Order.state.not_in(FINAL_STATES)).limit(500)
        )
        .unique()
        .all()
    )
    columns = {name: [] for name, s in definition.states.items() if not s.final}
    for order in orders:
        columns.setdefault(order.state, []).append(order)
    return render_template("orders/board.html", columns=columns, definition=definition)


@blueprint.route("/new", methods=["GET", "POST"])
@requires("open_order")
def new():
    form = OrderForm()
    customers = {c.id: c.name for c in db.session.scalars(select(Customer).order_by(Customer.name))}
    form.customer_id.choices = options(customers)
    form.recommended_by_id.choices = options({"": "—"} | customers)
    form.manager_id.choices = options({m.id: m.full_name for m in _managers()})
    if request.method == "GET" and current_user.role == "manager":
        form.manager_id.data = current_user.id
    if request.method == "GET" and (chosen := request.args.get("customer_id", type=int)):
        form.customer_id.data = chosen  # "New order" on a customer's card
    if form.validate_on_submit():
        try:
            # The number is the next free one: taken by someone else meanwhile, take the next.
            order = commit_retrying(
                lambda: create_order(
                    actor=current_user,
                    title=form.title.data,
                    customer=db.session.get(Customer, form.customer_id.data),
                    recommended_by=(
                        db.session.get(Customer, form.recommended_by_id.data)
                        if form.recommended_by_id.data
                        else None
                    ),
                    manager=db.session.get(User, form.manager_id.data),
                    value=parse_value(form.value.data),
                    currency=form.currency.data,
                    language=form.language.data,
                    starts_on=form.starts_on.data,
                    due_on=form.due_on.data,
                )
            )
        except (OrderError, InputRefused) as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        else:
            flash(_("Order %(number)s opened.", number=order.number), "success")
            return redirect(url_for("orders.show", number=order.number))
    return render_template("orders/new.html", form=form), 422 if form.errors else 200


@blueprint.get("/<number>")
@requires("view")
def show(number: str):
    return _order_page(number)


def _order_page(number: str, refusal: str | None = None, status: int = 200):
    view = order_view(number)
    if view is None:
        abort(404)
    return render_template(
        "orders/show.html",
        view=view,
        order=view.order,
        advance_form=AdvanceForm(),
        stage_form=SalesStageForm(),
        refusal=refusal,
    ), status


@blueprint.route("/<number>/edit", methods=["GET", "POST"])
@requires("open_order")
def edit(number: str):
    order = _order_or_404(number)
    form = OrderEditForm(obj=order)
    form.manager_id.choices = options({m.id: m.full_name for m in _managers()})
    if request.method == "GET":
        form.value.data = "" if order.value is None else str(order.value)
        form.version.data = str(order.version)
    if form.validate_on_submit():
        try:
            changes = edit_order(
                order,
                current_user,
                {
                    "title": form.title.data,
                    "value": parse_value(form.value.data),
                    "currency": form.currency.data,
                    "starts_on": form.starts_on.data,
                    "due_on": form.due_on.data,
                    "manager": db.session.get(User, form.manager_id.data),
                },
                reason=form.reason.data,
                expected_version=int(form.version.data) if form.version.data.isdigit() else -1,
            )
        except (OrderError, InputRefused) as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        except ConcurrentChange as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
            form.version.data = str(db.session.get(Order, order.id).version)
            return render_template("orders/edit.html", form=form, order=order), 409
        else:
            db.session.commit()
            flash(_("Saved.") if changes else _("Nothing changed."), "success")
            return redirect(url_for("orders.show", number=number))
    return render_template("orders/edit.html", form=form, order=order), 422 if form.errors else 200


@blueprint.post("/<number>/advance")
@requires("advance_order")
def advance(number: str):
    form = AdvanceForm()
    if not form.validate_on_submit():
        abort(400)
    order = _order_or_404(number)
    try:
        advance_order(
            order,
            form.trigger.data,
            current_user,
            reason=form.reason.data,
            expected_version=form.version.data,
        )
    except TransitionRefused as exc:
        db.session.rollback()
        # Shown inside "Next steps", where the button was pressed (see the template).
        flash(str(exc), "refusal")
        return redirect(url_for("orders.show", number=number) + "#next")
    except ConcurrentChange as exc:
        # A stale tab: the order as it is now, with what happened, where the user looks.
        db.session.rollback()
        return _order_page(number, refusal=str(exc), status=409)
    db.session.commit()
    definition = definition_of(order.workflow_version)
    flash(
        _(
            "Done: “%(step)s”; the order is now at “%(state)s”.",
            step=definition.transition(form.trigger.data).title.get(current_user.language),
            state=definition.states[order.state].title.get(current_user.language),
        ),
        "success",
    )
    return redirect(url_for("orders.show", number=number))


@blueprint.post("/<number>/sales-stages")
@requires("track_sales")
def sales_stage(number: str):
    form = SalesStageForm()
    if not form.validate_on_submit():
        abort(400)
    order = _order_or_404(number)
    try:
        # Marked by someone else at the same moment: run again, and see it done.
        commit_retrying(lambda: mark_stage(order, form.stage.data, current_user, form.note.data))
    except SalesStageError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("orders.show", number=number) + "#sales")


def _order_or_404(number: str) -> Order:
    try:
        return get_order(number)
    except OrderError:
        abort(404)

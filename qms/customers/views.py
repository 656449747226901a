from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from qms.customers.forms import ContactForm, CustomerForm
from qms.customers.models import Customer
from qms.customers.services import (
    CARD_FIELDS,
    SUPPORT_FIELDS,
    CustomerError,
    add_contact,
    create_customer,
    update_customer,
)
from qms.database.search import contains_ignoring_case
from qms.extensions import db
from qms.orders.models import Order
from qms.web.permissions import requires

blueprint = Blueprint("customers", __name__, url_prefix="/customers")


@blueprint.get("")
@requires("view")
def index():
    q = (request.args.get("q") or "").strip()[:100]
    order_count = (
        select(func.count(Order.id))
        .where(Order.customer_id == Customer.id)
        .correlate(Customer)
        .scalar_subquery()
    )
    query = select(Customer, order_count).order_by(Customer.name)
    if q:
        query = query.where(contains_ignoring_case(Customer.name, q))
    rows = db.session.execute(query.limit(500)).all()
    return render_template("customers/index.html", rows=rows, q=q)


def _customer_or_404(customer_id: int) -> Customer:
    customer = db.session.scalars(
        select(Customer).where(Customer.id == customer_id).options(selectinload(Customer.contacts))
    ).first()
    if customer is None:
        abort(404)
    return customer


@blueprint.get("/<int:customer_id>")
@requires("view")
def show(customer_id: int):
    customer = _customer_or_404(customer_id)
    orders = db.session.scalars(
        select(Order)
        .where(Order.customer_id == customer.id)
        .options(joinedload(Order.manager), joinedload(Order.workflow_version))
        .order_by(Order.number.desc())
    ).all()
    return render_template(
        "customers/show.html",
        customer=customer,
        orders=orders,
        contact_form=ContactForm(),
        complaints=_complaints(customer),
    )


def _complaints(customer: Customer):
    """The customer's complaint history, whatever state their orders are in."""
    from qms.workitems.models import WorkItem

    return db.session.scalars(
        select(WorkItem)
        .where(WorkItem.customer_id == customer.id, WorkItem.workflow == "complaint")
        .options(joinedload(WorkItem.workflow_version), joinedload(WorkItem.order))
        .order_by(WorkItem.id.desc())
    ).all()


def _card_values(form: CustomerForm) -> dict:
    return {name: getattr(form, name).data for name in (*CARD_FIELDS, *SUPPORT_FIELDS)}


@blueprint.route("/new", methods=["GET", "POST"])
@requires("edit_customer")
def new():
    form = CustomerForm()
    if form.validate_on_submit():
        try:
            customer = create_customer(current_user, _card_values(form))
        except CustomerError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Customer saved."), "success")
            return redirect(url_for("customers.show", customer_id=customer.id))
    return render_template("customers/edit.html", form=form, customer=None), (
        422 if form.errors else 200
    )


@blueprint.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@requires("edit_customer")
def edit(customer_id: int):
    customer = _customer_or_404(customer_id)
    form = CustomerForm(obj=customer)
    if form.validate_on_submit():
        try:
            update_customer(customer, current_user, _card_values(form))
        except CustomerError as exc:
            db.session.rollback()
            form.name.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Customer saved."), "success")
            return redirect(url_for("customers.show", customer_id=customer.id))
    return render_template("customers/edit.html", form=form, customer=customer), (
        422 if form.errors else 200
    )


@blueprint.post("/<int:customer_id>/contacts")
@requires("edit_customer")
def contact(customer_id: int):
    customer = _customer_or_404(customer_id)
    form = ContactForm()
    if form.validate_on_submit():
        values = {
            name: getattr(form, name).data
            for name in (
                "name",
                "position",
                "phone",
                "email",
                "role_in_decision",
                "influence",
                "is_decision_maker",
            )
        }
        add_contact(customer, current_user, values)
        db.session.commit()
        flash(_("Contact added."), "success")
        return redirect(url_for("customers.show", customer_id=customer.id))
    orders = db.session.scalars(select(Order).where(Order.customer_id == customer.id)).all()
    return render_template(
        "customers/show.html",
        customer=customer,
        orders=orders,
        contact_form=form,
        complaints=_complaints(customer),
    ), 422

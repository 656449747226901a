"""The meeting log of an order and of a customer, and an order's objections."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.customers.models import Customer
from qms.database.limits import InputRefused
from qms.extensions import db
from qms.meetings import titles as meeting_titles
from qms.meetings.services import MeetingError, communications, log_communication
from qms.objections import titles as objection_titles
from qms.objections.models import STEPS
from qms.objections.services import ObjectionError, log_objection, objections_of
from qms.orders.models import Order
from qms.records.models import Record
from qms.web.permissions import requires

blueprint = Blueprint("meetings", __name__)


def _order_or_404(number: str) -> Order:
    order = db.session.scalars(select(Order).where(Order.number == number)).first()
    if order is None:
        abort(404)
    return order


def _records(order: Order) -> list[Record]:
    return db.session.scalars(
        select(Record).where(Record.order_id == order.id).order_by(Record.kind, Record.revision)
    ).all()


def _date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        return None


@blueprint.route("/orders/<number>/meetings", methods=["GET", "POST"])
@requires("view")
def order_log(number: str):
    order = _order_or_404(number)
    records = _records(order)
    if request.method == "POST":
        if current_user.role not in ("admin", "manager", "engineer"):
            abort(403)
        form = request.form
        by_id = {r.id: r for r in records}
        links = [
            (by_id[int(k.removeprefix("link_"))], v)
            for k, v in form.items()
            if k.startswith("link_")
            and v
            and k.removeprefix("link_").isdigit()
            and int(k.removeprefix("link_")) in by_id
        ]
        try:
            log_communication(
                current_user,
                order=order,
                held_on=_date(form.get("held_on")),
                kind=form.get("kind", ""),
                subject=form.get("subject", ""),
                ours=form.get("ours", ""),
                theirs=form.get("theirs", ""),
                agenda=form.get("agenda", ""),
                decisions=form.get("decisions", ""),
                links=links,
            )
        except (MeetingError, InputRefused) as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Logged."), "success")
        return redirect(url_for("meetings.order_log", number=number))
    return render_template(
        "meetings/order.html",
        order=order,
        log=communications(order=order),
        records=records,
        objections=objections_of(order),
        kinds=meeting_titles.KIND_TITLES,
        acts=meeting_titles.ACT_TITLES,
        objection_kinds=objection_titles.KIND_TITLES,
        steps=objection_titles.STEP_TITLES,
        outcomes=objection_titles.OUTCOME_TITLES,
    )


@blueprint.post("/orders/<number>/objections")
@requires("write_record")
def objection(number: str):
    order = _order_or_404(number)
    form = request.form
    try:
        log_objection(
            current_user,
            order,
            kind=form.get("kind", ""),
            said=form.get("said", ""),
            steps={s for s in STEPS if form.get(s)},
            handling=form.get("handling", ""),
            outcome=form.get("outcome", ""),
        )
    except (ObjectionError, InputRefused) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Logged."), "success")
    return redirect(url_for("meetings.order_log", number=number) + "#objections")


@blueprint.get("/customers/<int:customer_id>/meetings")
@requires("view")
def customer_log(customer_id: int):
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404)
    return render_template(
        "meetings/customer.html",
        customer=customer,
        log=communications(customer=customer),
        kinds=meeting_titles.KIND_TITLES,
        acts=meeting_titles.ACT_TITLES,
    )

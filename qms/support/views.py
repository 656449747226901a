"""The support register, the hours logged on a request, and the monthly statement."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.auth.models import User
from qms.customers.models import Customer
from qms.database.limits import InputRefused
from qms.extensions import db
from qms.support import statement as statements
from qms.support.clocks import used_hours
from qms.support.services import SupportError, log_time, open_requests, request_of, time_entries
from qms.timeutil import utcnow
from qms.web.inputs import id_from
from qms.web.permissions import requires
from qms.workitems.models import WorkItem
from qms.workitems.titles import PRIORITY_TITLES

blueprint = Blueprint("support", __name__, url_prefix="/support")


def support_panel(item: WorkItem) -> dict | None:
    """What a support request's page shows besides the work item: clocks and hours."""
    support = request_of(item)
    if support is None:
        return None
    now = utcnow()
    return {
        "request": support,
        "entries": time_entries(item),
        "used": used_hours(support, now),
        "now": now,
        "priorities": PRIORITY_TITLES,
        "users": db.session.scalars(
            select(User).where(User.is_active, User.role != "auditor").order_by(User.username)
        ).all(),
    }


@blueprint.get("")
@requires("view")
def index():
    return render_template(
        "support/index.html",
        requests=open_requests(),
        now=utcnow(),
        priorities=PRIORITY_TITLES,
        customers=db.session.scalars(select(Customer).order_by(Customer.name)).all(),
        month=utcnow().date().strftime("%Y-%m"),
    )


@blueprint.post("/<number>/hours")
@requires("write_record")
def hours(number: str):
    item = db.session.scalars(select(WorkItem).where(WorkItem.number == number)).first()
    if item is None or item.workflow != "support-request":
        abort(404)
    form = request.form
    user_id = id_from(form.get("user")) if form.get("user") else current_user.id
    user = db.session.get(User, user_id) if user_id else None
    try:
        worked_on = date.fromisoformat(form.get("worked_on") or utcnow().date().isoformat())
        if user is None:
            raise SupportError(_("There is no such user."))
        log_time(
            item,
            current_user,
            hours=form.get("hours", ""),
            worked_on=worked_on,
            user=user,
            note=form.get("note", ""),
        )
    except ValueError as exc:
        db.session.rollback()
        message = str(exc) if isinstance(exc, SupportError | InputRefused) else None
        flash(message or _("The day must be a date (YYYY-MM-DD)."), "error")
    else:
        db.session.commit()
        flash(_("Hours logged."), "success")
    return redirect(url_for("workitems.show", number=number) + "#hours")


@blueprint.get("/statement")
@requires("view")
def statement():
    if not request.args.get("customer"):
        return redirect(url_for("support.index"))
    customer_id = id_from(request.args.get("customer"))
    customer = db.session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        abort(404)
    try:
        year, month = (int(p) for p in request.args.get("month", "").split("-"))
        first = date(year, month, 1)
    except (ValueError, OverflowError):
        abort(400, _("The month must be given as YYYY-MM."))
    found = statements.build_statement(customer, first)
    name = f"support-{customer.id}-{first.strftime('%Y-%m')}"
    fmt = request.args.get("format", "html")
    if fmt == "csv":
        return Response(
            statements.to_csv(found),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "xlsx":
        return Response(
            statements.to_xlsx(found),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    if fmt == "pdf":
        return Response(
            statements.to_pdf(found),
            content_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}.pdf"'},
        )
    return render_template("support/statement.html", s=found, month=first.strftime("%Y-%m"))

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.database.limits import InputRefused
from qms.extensions import db
from qms.i18n import current_language
from qms.timeutil import utcnow
from qms.web.permissions import requires
from qms.workcalendar.calendar import working_calendar
from qms.workcalendar.services import CalendarError, extra_days, remove_day, set_day

blueprint = Blueprint("workcalendar", __name__, url_prefix="/calendar")


@blueprint.get("")
@requires("view")
def index():
    year = request.args.get("year", type=int) or utcnow().year
    if not 1900 < year < 2200:
        abort(400, _("There is no such year."))
    calendar = working_calendar()
    return render_template(
        "workcalendar/index.html",
        year=year,
        calendar=calendar,
        holidays=calendar.holidays_in(year, current_language()),
        days=extra_days(),
        may_change=current_user.role == "admin",
    )


@blueprint.post("")
@requires("manage_users")
def change():
    form = request.form
    try:
        day = date.fromisoformat(form.get("day", ""))
    except ValueError:
        flash(_("The day must be a date (YYYY-MM-DD)."), "error")
        return redirect(url_for("workcalendar.index"))
    try:
        if form.get("remove"):
            remove_day(current_user, day, form.get("note", ""))
        else:
            set_day(
                current_user, day, working=form.get("working") == "1", note=form.get("note", "")
            )
    except (CalendarError, InputRefused) as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The working calendar is saved."), "success")
    return redirect(url_for("workcalendar.index"))

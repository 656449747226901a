from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import update

from qms.documents.acknowledgements import unread
from qms.extensions import db
from qms.inbox.queries import (
    my_next_steps,
    my_work_items,
    notifications_for,
    records_to_sign,
    waiting_count,
)
from qms.notify.kinds import KINDS
from qms.notify.models import Notification, NotificationSetting
from qms.notify.services import link_for, render, wants_email
from qms.timeutil import utcnow
from qms.web.permissions import requires
from qms.workcalendar.calendar import overdue_before

blueprint = Blueprint("inbox", __name__)


@blueprint.app_context_processor
def _header_count():
    def inbox_count() -> int:
        if not current_user.is_authenticated:
            return 0
        if "inbox_count" not in g:
            g.inbox_count = waiting_count(current_user)
        return g.inbox_count

    return {"inbox_count": inbox_count}


@blueprint.get("/inbox")
@requires("view")
def index():
    notifications = notifications_for(current_user)
    return render_template(
        "inbox/index.html",
        notifications=[(n, *render(n, current_user.language)) for n in notifications],
        to_sign=records_to_sign(current_user),
        items=my_work_items(current_user),
        steps=my_next_steps(current_user),
        to_read=unread(current_user),
        late_before=overdue_before(),
        form=FlaskForm(),
    )


@blueprint.post("/notifications/<int:notification_id>/open")
@requires("view")
def open_notification(notification_id: int):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    if notification.read_at is None:
        notification.read_at = utcnow()
        db.session.commit()
    return redirect(link_for(notification))


@blueprint.post("/inbox/read")
@requires("view")
def read_all():
    if not FlaskForm().validate_on_submit():
        abort(400)
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("inbox.index"))


@blueprint.route("/inbox/settings", methods=["GET", "POST"])
@requires("view")
def settings():
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        chosen = set(request.form.getlist("email"))
        for kind in KINDS:
            setting = db.session.get(NotificationSetting, (current_user.id, kind))
            if setting is None:
                setting = NotificationSetting(user_id=current_user.id, kind=kind)
                db.session.add(setting)
            setting.by_email = kind in chosen
        db.session.commit()
        flash(_("Your notification settings are saved."), "success")
        return redirect(url_for("inbox.settings"))
    return render_template(
        "inbox/settings.html",
        form=form,
        kinds=[(name, kind, wants_email(current_user, name)) for name, kind in KINDS.items()],
    )

"""User administration on the web (administrators only): list, create, change a role,
deactivate and reactivate, reset a password. Users are never deleted."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from qms.audit.models import AuditEvent
from qms.auth.forms import DeactivateForm, NewUserForm, PlainForm, RoleForm
from qms.auth.models import User
from qms.auth.passwords import generate_password
from qms.auth.users import UserError, change_role, create_user, deactivate, reactivate, set_password
from qms.auth.views import refusal_text
from qms.extensions import db
from qms.web.permissions import requires

blueprint = Blueprint("users", __name__, url_prefix="/admin/users")

EVENT_TITLES = {
    "user.created": _l("created"),
    "user.role_changed": _l("role changed"),
    "user.deactivated": _l("deactivated"),
    "user.reactivated": _l("reactivated"),
    "user.password_reset": _l("password reset by an administrator"),
    "user.password_changed": _l("password changed by the user"),
    "user.email_changed": _l("e-mail changed"),
    "user.language": _l("language changed"),
}
ORIGINS = {"web": _l("web"), "cli": _l("command line"), "api": _l("API"), "system": _l("system")}


@blueprint.get("")
@requires("manage_users")
def index():
    users = db.session.scalars(select(User).order_by(User.is_active.desc(), User.username)).all()
    return render_template("users/index.html", users=users)


@blueprint.route("/new", methods=["GET", "POST"])
@requires("manage_users")
def new():
    form = NewUserForm()
    if form.validate_on_submit():
        password = generate_password(form.username.data.strip())
        try:
            user = create_user(
                current_user,
                username=form.username.data.strip(),
                full_name=form.full_name.data.strip(),
                email=form.email.data,
                role=form.role.data,
                language=form.language.data,
                password=password,
                must_change_password=True,
            )
        except UserError as exc:
            db.session.rollback()
            form.username.errors.append(refusal_text(exc))
        else:
            db.session.commit()
            # Shown once, on this answer only (never stored in a cookie or the trail).
            return render_template("users/password.html", user=user, password=password)
    return render_template("users/new.html", form=form), 422 if form.errors else 200


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _show(user: User, status: int = 200, **forms):
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == user.id)
        .order_by(AuditEvent.seq.desc())
        .limit(50)
    ).all()
    forms = {
        "role_form": RoleForm(prefix="role", role=user.role),
        "deactivate_form": DeactivateForm(prefix="deactivate"),
        "plain_form": PlainForm(),
    } | forms
    return render_template(
        "users/show.html",
        user=user,
        events=events,
        event_titles=EVENT_TITLES,
        origins=ORIGINS,
        **forms,
    ), status


@blueprint.get("/<int:user_id>")
@requires("manage_users")
def show(user_id: int):
    return _show(_user_or_404(user_id))


def _apply(user: User, change, form, field_name: str, done: str):
    """Run one change; on refusal show the user's page with the reason next to the field."""
    if not form.validate_on_submit():
        return _show(user, 422, **{_form_name(form): form})
    try:
        change()
    except UserError as exc:
        db.session.rollback()
        getattr(form, field_name).errors.append(refusal_text(exc))
        return _show(user, 422, **{_form_name(form): form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("users.show", user_id=user.id))


def _form_name(form) -> str:
    return {RoleForm: "role_form", DeactivateForm: "deactivate_form"}[type(form)]


@blueprint.post("/<int:user_id>/role")
@requires("manage_users")
def role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm(prefix="role")
    return _apply(
        user,
        lambda: change_role(current_user, user, form.role.data, form.reason.data),
        form,
        "role",
        _("Role changed. %(name)s must log in again.", name=user.username),
    )


@blueprint.post("/<int:user_id>/deactivate")
@requires("manage_users")
def deactivate_user(user_id: int):
    user = _user_or_404(user_id)
    form = DeactivateForm(prefix="deactivate")
    return _apply(
        user,
        lambda: deactivate(current_user, user, form.reason.data),
        form,
        "reason",
        _("%(name)s is deactivated and signed out everywhere.", name=user.username),
    )


@blueprint.post("/<int:user_id>/reactivate")
@requires("manage_users")
def reactivate_user(user_id: int):
    user = _user_or_404(user_id)
    if PlainForm().validate_on_submit():
        try:
            reactivate(current_user, user)
        except UserError as exc:
            db.session.rollback()
            flash(refusal_text(exc), "error")
        else:
            db.session.commit()
            flash(_("%(name)s can log in again.", name=user.username), "success")
    return redirect(url_for("users.show", user_id=user.id))


@blueprint.post("/<int:user_id>/password")
@requires("manage_users")
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    if not PlainForm().validate_on_submit():
        return redirect(url_for("users.show", user_id=user.id))
    password = generate_password(user.username)
    set_password(current_user, user, password)
    db.session.commit()
    return render_template("users/password.html", user=user, password=password, reset=True)

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from qms.auth.forms import LanguageForm, LoginForm
from qms.auth.services import TooManyAttempts, authenticate, set_language
from qms.extensions import db

blueprint = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("dashboard.index")


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, request.remote_addr)
        except TooManyAttempts:
            abort(429, _("Too many failed logins for this user name; try again in 15 minutes."))
        db.session.commit()  # keep the failure count, or the new session
        if user is not None:
            session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The user name or password is not correct."))
    return render_template("auth/login.html", form=form)


@blueprint.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@blueprint.route("/settings/language", methods=["GET", "POST"])
@login_required
def language():
    form = LanguageForm(language=current_user.language)
    if form.validate_on_submit():
        set_language(current_user, form.language.data)
        db.session.commit()
        flash(_("Language changed."), "success")
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/language.html", form=form)

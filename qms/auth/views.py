"""Signing in and out, and a user's own account: password, e-mail, language."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from qms.auth.forms import AccountForm, ChangePasswordForm, LanguageForm, LoginForm
from qms.auth.passwords import PasswordRefused
from qms.auth.services import TooManyAttempts, authenticate
from qms.auth.sessions import (
    end_session,
    is_known_device,
    remember_device,
    renew_session,
    start_session,
)
from qms.auth.users import (
    UserError,
    WrongCurrentPassword,
    change_own_password,
    set_email,
    set_language,
)
from qms.extensions import db
from qms.sso import password_login_allowed, sso_enabled

blueprint = Blueprint("auth", __name__)


def refusal_text(exc: UserError | PasswordRefused) -> str:
    """A service's refusal in the reader's language."""
    return _(exc.message, **exc.params)


def _safe_next(target: str | None) -> str:
    """Only redirect within this site after login."""
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("dashboard.index")


def _wait_message(seconds: int) -> str:
    if seconds >= 120:
        minutes = -(-seconds // 60)
        return ngettext(
            "Too many failed sign-ins. Try again in %(num)s minute.",
            "Too many failed sign-ins. Try again in %(num)s minutes.",
            minutes,
        )
    return ngettext(
        "Too many failed sign-ins. Try again in %(num)s second.",
        "Too many failed sign-ins. Try again in %(num)s seconds.",
        seconds,
    )


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data
        try:
            user = authenticate(
                username,
                form.password.data,
                request.remote_addr,
                known_device=is_known_device(username),
            )
        except TooManyAttempts as exc:
            form.password.errors.append(_wait_message(exc.retry_after))
            page = render_template("auth/login.html", form=form, sso=sso_enabled())
            return page, 429, {"Retry-After": str(exc.retry_after)}
        if user is not None and not password_login_allowed(user.role):
            db.session.rollback()
            form.password.errors.append(_("Sign in with single sign-on."))
            return render_template("auth/login.html", form=form, sso=sso_enabled()), 403
        if user is not None:
            start_session(user)
            db.session.commit()
            return remember_device(redirect(_safe_next(request.args.get("next"))), username)
        form.password.errors.append(_("The user name or password is not correct."))
    return render_template("auth/login.html", form=form, sso=sso_enabled())


@blueprint.post("/logout")
def logout():
    """Ends this session and every copy of its cookie (saved, stolen or on another tab)."""
    end_session(current_user._get_current_object() if current_user.is_authenticated else None)
    db.session.commit()
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


@blueprint.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if form.validate_on_submit():
        set_email(current_user, current_user, form.email.data)
        set_language(current_user, form.language.data)
        db.session.commit()
        flash(_("Your account is saved."), "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=form), 422 if form.errors else 200


@blueprint.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            change_own_password(user, form.current.data, form.new.data)
        except WrongCurrentPassword as exc:
            db.session.rollback()
            form.current.errors.append(refusal_text(exc))
        except (UserError, PasswordRefused) as exc:
            db.session.rollback()
            form.new.errors.append(refusal_text(exc))
        else:
            renew_session(user)
            db.session.commit()
            flash(_("Password changed. Your other sessions have ended."), "success")
            return redirect(url_for("dashboard.index"))
    return render_template("auth/change_password.html", form=form), 422 if form.errors else 200

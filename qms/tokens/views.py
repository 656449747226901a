"""API tokens on the web: each user's own at /account/tokens, and an administrator's view
of anyone's (a service account's) at /admin/users/<id>/tokens. A new token is shown once."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange

from qms.auth.models import User
from qms.extensions import db
from qms.tokens.models import ApiToken
from qms.tokens.services import MAX_DAYS, TokenError, create_token, revoke_token, tokens_of
from qms.web.choices import options
from qms.web.permissions import requires

blueprint = Blueprint("tokens", __name__)

SCOPE_CHOICES = {"read": _l("read only"), "write": _l("read and write")}


class TokenForm(FlaskForm):
    name = StringField(_l("Name (what it is for)"), validators=[DataRequired(), Length(max=100)])
    scope = SelectField(_l("Scope"), choices=options(SCOPE_CHOICES), default="read")
    days = IntegerField(
        _l("Days until it expires"), validators=[DataRequired(), NumberRange(1, MAX_DAYS)]
    )


class PlainForm(FlaskForm):
    pass


def _page(user: User, form: TokenForm, secret: str | None = None, status: int = 200):
    return render_template(
        "tokens/index.html",
        owner=user,
        tokens=tokens_of(user),
        form=form,
        plain_form=PlainForm(),
        secret=secret,
        scopes=SCOPE_CHOICES,
        mine=user.id == current_user.id,
    ), status


def _manage(user: User):
    form = TokenForm(days=current_app.config["QMS_API_TOKEN_DAYS"])
    if not form.validate_on_submit():
        return _page(user, form, status=422 if form.errors else 200)
    try:
        _token, secret = create_token(
            current_user, user, name=form.name.data, scope=form.scope.data, days=form.days.data
        )
    except TokenError as exc:
        db.session.rollback()
        form.name.errors.append(str(exc))
        return _page(user, form, status=422)
    db.session.commit()
    # The secret is on this answer only: never in a cookie, a log or the trail.
    return _page(user, TokenForm(formdata=None, days=form.days.data), secret=secret)


@blueprint.route("/account/tokens", methods=["GET", "POST"])
@login_required
def mine():
    return _manage(current_user._get_current_object())


@blueprint.route("/admin/users/<int:user_id>/tokens", methods=["GET", "POST"])
@requires("manage_users")
def of_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    return _manage(user)


@blueprint.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        revoke_token(current_user, token)
    except TokenError as exc:
        db.session.rollback()
        if token.user_id != current_user.id and current_user.role != "admin":
            abort(403)
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("The token is revoked; it no longer works."), "success")
    if token.user_id == current_user.id:
        return redirect(url_for("tokens.mine"))
    return redirect(url_for("tokens.of_user", user_id=token.user_id))

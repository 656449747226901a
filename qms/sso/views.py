"""/login/sso: sign in at the OpenID provider, and back at /login/sso/callback, with the
same kind of session as a password sign-in (qms.auth.sessions)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from requests import RequestException

from qms.auth.sessions import start_session
from qms.extensions import db
from qms.sso import sso_enabled
from qms.sso.services import SignInRefused, user_for_claims
from qms.timeutil import utcnow

blueprint = Blueprint("sso", __name__)
log = logging.getLogger("qms.sso")


def _client():
    """The provider's client, made on first use from the configuration (discovery is
    fetched then, not when the app starts; Authlib itself loads then too)."""
    from authlib.integrations.flask_client import OAuth

    config = current_app.config
    key = (config["QMS_OIDC_ISSUER"], config["QMS_OIDC_CLIENT_ID"])
    clients = current_app.extensions.setdefault("qms_oidc", {})
    if key not in clients:
        oauth = OAuth(current_app)
        clients[key] = oauth.register(
            name="oidc",
            client_id=config["QMS_OIDC_CLIENT_ID"],
            client_secret=config["QMS_OIDC_CLIENT_SECRET"],
            server_metadata_url=config["QMS_OIDC_ISSUER"].rstrip("/")
            + "/.well-known/openid-configuration",
            client_kwargs={"scope": config["QMS_OIDC_SCOPES"]},
        )
    return clients[key]


def _oauth_error() -> type[Exception]:
    from authlib.integrations.base_client import OAuthError

    return OAuthError


@blueprint.get("/login/sso")
def login():
    if not sso_enabled():
        abort(404)
    try:
        return _client().authorize_redirect(url_for("sso.callback", _external=True))
    except (_oauth_error(), RequestException, ValueError) as exc:
        log.warning("single sign-on unavailable: %s", exc)
        flash(_("Single sign-on is not available right now; try again later."), "error")
        return redirect(url_for("auth.login"))


@blueprint.get("/login/sso/callback")
def callback():
    if not sso_enabled():
        abort(404)
    try:
        token = _client().authorize_access_token()
        claims = token.get("userinfo") or _client().userinfo(token=token)
        user = user_for_claims(dict(claims))
    except SignInRefused as exc:
        db.session.rollback()
        flash(_("Single sign-on refused: %(why)s", why=str(exc)), "error")
        return redirect(url_for("auth.login"))
    except (_oauth_error(), RequestException, ValueError, KeyError) as exc:
        db.session.rollback()
        log.warning("single sign-on failed: %s", exc)
        flash(_("Single sign-on did not work; try again."), "error")
        return redirect(url_for("auth.login"))
    user.last_login_at = utcnow()
    start_session(user)
    db.session.commit()
    return redirect(url_for("dashboard.index"))

"""Sessions that end: on logout, on a password or role change, on deactivation, when idle
too long, and after an absolute lifetime, on every worker and host alike.

The signed session cookie holds "user id:session token"; the token lives on the user's
row, so replacing it (User.end_sessions) turns away every copy of every cookie of that
user at its next request. The cookie is a browser-session cookie (not "permanent"), so
Flask-Login's "strong" protection drops it when it turns up from another address or
browser; the idle and absolute limits are timestamps inside the signed cookie.
"""

from __future__ import annotations

import time

from flask import Flask, Response, current_app, flash, g, redirect, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import select

from qms.auth.models import User
from qms.auth.roles import ROLE_TITLES
from qms.database.rows import RowLoader
from qms.extensions import db, login_manager

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# A session's last-seen time is rewritten at most this often (each rewrite is a new cookie).
SEEN_GRANULARITY = 30
# What a user who must choose a new password may still open.
ALLOWED_BEFORE_NEW_PASSWORD = {"auth.change_password", "auth.logout", "static"}


def init_sessions(app: Flask) -> None:
    app.before_request(_enforce_session_limits)
    app.before_request(_require_new_password)
    app.jinja_env.globals.update(demo_users_active=demo_users_active, role_title=role_title)


# Every request loads its user: through the driver (qms.database.rows), with whether any
# demo user is active beside it.
USER_AND_DEMO_FLAG = RowLoader(
    User,
    "users.id = {mark}",
    extra=("EXISTS (SELECT 1 FROM users AS demo WHERE demo.is_demo AND demo.is_active)",),
)


@login_manager.user_loader
def load_session_user(session_id: str) -> User | None:
    """The user whose current token the session holds, if they are active.

    The same query says whether demo users are active (for the banner every page
    shows), so pages cost no extra query for it.
    """
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None  # a cookie from before tokens, or a forged one
    row = USER_AND_DEMO_FLAG.first(db.session, (int(user_id),))
    if row is None:
        return None
    user, (demo_active,) = row
    g.demo_users_active = bool(demo_active)
    if not user.is_active or user.session_token != token:
        return None
    return user


def role_title(role: str) -> str:
    return ROLE_TITLES[role][get_locale().language if get_locale() else "en"]


def demo_users_active() -> bool:
    """Whether pages must warn that this is demo data (any demo user still active)."""
    if "demo_users_active" not in g:
        g.demo_users_active = bool(
            db.session.scalar(select(User.id).where(User.is_demo, User.is_active).limit(1))
        )
    return g.demo_users_active


def start_session(user: User) -> None:
    """Sign `user` in on a fresh session (nothing carried over from before the sign-in)."""
    session.clear()
    session.permanent = False
    login_user(user)
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def renew_session(user: User) -> None:
    """Keep the present session after the user's token changed (their own password change),
    while every other session of theirs ends."""
    signed_in_at = session.get(SIGNED_IN_AT, int(time.time()))
    login_user(user)
    session[SIGNED_IN_AT] = signed_in_at


def end_session(user: User | None) -> None:
    """Logout: this session and every other copy of it stop working."""
    if user is not None:
        user.end_sessions()
    logout_user()
    session.clear()


# The API authenticates each request by its token and ignores any cookie (qms.api).
COOKIELESS_BLUEPRINTS = {"api"}


def _enforce_session_limits():
    if request.endpoint == "static" or "_user_id" not in session:
        return None
    if request.blueprint in COOKIELESS_BLUEPRINTS:
        return None
    now = int(time.time())
    config = current_app.config
    signed_in_at = session.get(SIGNED_IN_AT, 0)
    seen_at = session.get(SEEN_AT, 0)
    absolute = config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    idle = config["QMS_IDLE_MINUTES"] * 60
    if now - signed_in_at > absolute or now - seen_at > idle:
        logout_user()
        session.clear()
        flash(_("Your session has ended; please log in again."), "info")
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("auth.login", next=back))
    if now - seen_at >= SEEN_GRANULARITY:
        session[SEEN_AT] = now
    return None


def _require_new_password():
    if request.endpoint in ALLOWED_BEFORE_NEW_PASSWORD or "_user_id" not in session:
        return None
    if request.blueprint in COOKIELESS_BLUEPRINTS:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


# A browser a user has signed in from keeps a signed note of it (OWASP's "device cookie"):
# failures for that name from elsewhere do not slow sign-ins from it (qms.auth.throttle).
DEVICE_COOKIE = "qms_device"
DEVICE_DAYS = 90


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="qms.known-device")


def _device_names() -> list[str]:
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return []
    try:
        names = _device_serializer().loads(value, max_age=DEVICE_DAYS * 86400)
    except BadData:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def is_known_device(username: str) -> bool:
    return username.casefold() in _device_names()


def remember_device(response: Response, username: str) -> Response:
    names = [username.casefold(), *(n for n in _device_names() if n != username.casefold())]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps(names[:5]),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response

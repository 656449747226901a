"""The one blueprint every /api/v1 resource is routed on: token authentication, scope,
the requester's language, the audit origin, and problem details for every error.

Requests authenticate with `Authorization: Bearer <token>` only: no cookie session is read
or made, and no CSRF token is needed (a browser cannot be tricked into sending a bearer
token). The token's user acts with their role under the web's permission table; a token
with the read scope may only read.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request
from flask_babel import lazy_gettext as _l
from flask_babel import refresh
from flask_smorest import Blueprint, abort
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import default_exceptions

from qms.api.problems import http_problem, problem
from qms.audit.origin import Origin
from qms.extensions import db
from qms.i18n import LANGUAGES
from qms.tokens.services import TokenRefused, authenticate_token
from qms.web.permissions import can

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="qms REST API")

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
BEARER_CHALLENGE = 'Bearer realm="qms"'


def _unauthorized(detail) -> None:
    abort(401, message=str(detail), headers={"WWW-Authenticate": BEARER_CHALLENGE})


@blp.before_request
def authenticate():
    """Who is asking (the token's user), in which language, and from which edge."""
    if request.headers.get("Accept-Language"):
        g.request_language = request.accept_languages.best_match(LANGUAGES)
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        _unauthorized(_l("send an API token: Authorization: Bearer <token>"))
    try:
        token = authenticate_token(secret.strip(), request.remote_addr)
    except TokenRefused as exc:
        _unauthorized(exc)
    g._login_user = token.user  # Flask-Login's current_user, for this request only
    g.api_token = token
    # Every event written through the API says so, and which token wrote it.
    g.audit_origin = Origin("api", f"token #{token.id} {token.name}"[:200])
    refresh()  # the language is chosen anew now that the token's user is known
    if request.method not in SAFE_METHODS and token.scope != "write":
        abort(403, message=str(_l("this token may only read; make one with the write scope")))


def permission(action: str):
    """403 unless the token's user's role may do `action` (qms.web.permissions)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(action):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _rolled_back(handler):
    @wraps(handler)
    def wrapped(error):
        db.session.rollback()  # nothing of a failed request is kept
        return handler(error)

    return wrapped


for _code in default_exceptions:
    blp.register_error_handler(_code, _rolled_back(http_problem))


@blp.errorhandler(OperationalError)
@_rolled_back
def _database_unavailable(error):
    return problem(503, headers={"Retry-After": "30"})


def register_refusals(exception_class, status: int, kind: str, *, with_reasons: bool = False):
    """Answer a service's refusal (raised with its words) as a problem."""

    @_rolled_back
    def handler(error):
        reasons = [str(p) for p in error.problems] if with_reasons else None
        return problem(status, error, kind=kind, reasons=reasons)

    blp.register_error_handler(exception_class, handler)

"""Making, revoking and checking API tokens. Every change is an audit event (never with the
token itself); the caller commits."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.timeutil import utcnow
from qms.tokens.models import SCOPES, ApiToken

PREFIX = "qms_"
MAX_DAYS = 3650
# Last use is written at most this often per token, so reading through the API is not
# a write per request.
LAST_USE_GRANULARITY = timedelta(seconds=60)


class TokenError(ValueError):
    """A refused token operation, in words rendered in the reader's language."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class TokenRefused(TokenError):
    """The token presented is not (or no longer) valid: HTTP 401."""


def token_digest(secret: str) -> str:
    """Tokens carry 256 random bits, so one SHA-256 keeps them as safe as a slow hash keeps
    a password, and checking one costs nothing on every API request."""
    return hashlib.sha256(secret.encode()).hexdigest()


def may_manage_tokens(actor: User | None, user: User) -> bool:
    """Users manage their own tokens; administrators also those of others (service
    accounts); the command line (no actor) may do both."""
    return actor is None or actor.id == user.id or actor.role == "admin"


def create_token(
    actor: User | None, user: User, *, name: str, scope: str, days: int | None = None
) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it and its secret, which is never shown again."""
    if not may_manage_tokens(actor, user):
        raise TokenError(_l("only administrators make tokens for other users"))
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError(_l("a token needs a name of 1 to 100 characters"))
    if scope not in SCOPES:
        raise TokenError(_l("the scope is either read or write"))
    days = current_app.config["QMS_API_TOKEN_DAYS"] if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(_l("a token lasts from 1 to %(max)s days", max=MAX_DAYS))
    if not user.is_active:
        raise TokenError(_l("%(name)s is deactivated", name=user.username))
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        user=user,
        name=name,
        scope=scope,
        token_sha256=token_digest(secret),
        hint=secret[: len(PREFIX) + 4],
        created_by_id=actor.id if actor else None,
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(token)
    db.session.flush()
    record_event(
        actor=actor,
        action="token.created",
        entity_type="api_token",
        entity_id=token.id,
        changes={
            "user": user.username,
            "name": name,
            "scope": scope,
            "hint": token.hint,
            "expires_at": token.expires_at,
        },
    )
    return token, secret


def revoke_token(actor: User | None, token: ApiToken) -> None:
    if not may_manage_tokens(actor, token.user):
        raise TokenError(_l("only administrators revoke other users' tokens"))
    if token.revoked_at is not None:
        raise TokenError(_l("this token is already revoked"))
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.id if actor else None
    record_event(
        actor=actor,
        action="token.revoked",
        entity_type="api_token",
        entity_id=token.id,
        changes={"user": token.user.username, "name": token.name, "hint": token.hint},
    )


def tokens_of(user: User) -> list[ApiToken]:
    return db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    ).all()


def authenticate_token(secret: str, address: str | None = None) -> ApiToken:
    """The token `secret` names, if it may be used now; else TokenRefused saying why.

    A token is refused when unknown, revoked, expired, or when its user is deactivated.
    """
    token = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.token_sha256 == token_digest(secret))
        .options(joinedload(ApiToken.user))
    ).first()
    if token is None or not secrets.compare_digest(token.token_sha256, token_digest(secret)):
        raise TokenRefused(_l("the token is not known"))
    if token.revoked_at is not None:
        raise TokenRefused(_l("the token was revoked"))
    if token.is_expired:
        raise TokenRefused(_l("the token has expired"))
    if not token.user.is_active:
        raise TokenRefused(_l("the token's user is deactivated"))
    _note_use(token, address)
    return token


def _note_use(token: ApiToken, address: str | None) -> None:
    """Record when and from where the token was last used, in its own short transaction:
    the request's own transaction may roll back, the fact of its use stays."""
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USE_GRANULARITY:
        return
    table = ApiToken.__table__
    with db.engine.begin() as connection:
        connection.execute(
            update(table)
            .where(
                table.c.id == token.id,
                or_(
                    table.c.last_used_at.is_(None),
                    table.c.last_used_at < now - LAST_USE_GRANULARITY,
                ),
            )
            .values(last_used_at=now, last_used_from=(address or "")[:200] or None)
        )

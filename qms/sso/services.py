"""Who an OpenID Connect sign-in is: matched by subject, else by verified e-mail, else
created (when allowed) through qms.auth.users with the role the claim names, or the
default role. The caller commits."""

from __future__ import annotations

import re
import secrets

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.auth.roles import ROLES
from qms.auth.users import create_user
from qms.extensions import db


class SignInRefused(ValueError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def subject_of(claims: dict) -> str:
    """Subjects are unique per issuer only: keep both."""
    return f"{claims.get('iss', '')}|{claims['sub']}"[:255]


def role_from(claims: dict) -> str | None:
    """The first role the configured claim names (directly, or through QMS_OIDC_ROLE_MAP
    "group=role,..."), else the default role; None when neither gives one."""
    config = current_app.config
    mapping = dict(
        part.strip().split("=", 1)
        for part in (config.get("QMS_OIDC_ROLE_MAP") or "").split(",")
        if "=" in part
    )
    values = claims.get(config.get("QMS_OIDC_ROLE_CLAIM") or "", [])
    for value in [values] if isinstance(values, str) else list(values or []):
        role = mapping.get(str(value), str(value))
        if role in ROLES:
            return role
    default = config.get("QMS_OIDC_DEFAULT_ROLE") or None
    return default if default in ROLES else None


def _free_username(claims: dict) -> str:
    wanted = claims.get("preferred_username") or (claims.get("email") or "").split("@")[0]
    base = re.sub(r"\s+", ".", str(wanted or "user").strip())[:56] or "user"
    name, n = base, 1
    while db.session.scalar(select(func.count()).where(User.username == name)):
        n += 1
        name = f"{base}{n}"
    return name


def user_for_claims(claims: dict) -> User:
    """The active user this ID token names; raises SignInRefused saying why not."""
    subject = subject_of(claims)
    user = db.session.scalars(select(User).where(User.sso_subject == subject)).first()
    email = (claims.get("email") or "").strip() or None
    verified = email is not None and claims.get("email_verified") is True
    if user is None and verified:
        user = db.session.scalars(
            select(User).where(func.lower(User.email) == email.lower(), User.sso_subject.is_(None))
        ).first()
        if user is not None:
            user.sso_subject = subject
            record_event(
                actor=user,
                action="user.sso_linked",
                entity_type="user",
                entity_id=user.id,
                changes={"sso_subject": subject, "matched_by": "email"},
            )
    if user is None:
        user = _create(claims, subject, email if verified else None)
    if not user.is_active:
        raise SignInRefused(_l("%(name)s is deactivated", name=user.username))
    return user


def _create(claims: dict, subject: str, email: str | None) -> User:
    if not current_app.config.get("QMS_OIDC_CREATE_USERS"):
        raise SignInRefused(_l("there is no qms user for you yet; ask an administrator"))
    role = role_from(claims)
    if role is None:
        raise SignInRefused(_l("your sign-in names no qms role; ask an administrator"))
    locale = str(claims.get("locale") or "")
    language = "ru" if locale.startswith("ru") else "en" if locale.startswith("en") else "ru"
    user = create_user(
        None,
        username=_free_username(claims),
        full_name=(claims.get("name") or claims.get("preferred_username") or email or "?")[:200],
        role=role,
        email=email,
        language=language,
        # Never told to anyone: they sign in through the provider (an administrator can
        # set a password later, which signing records needs).
        password=secrets.token_urlsafe(32),
        check_password_policy=False,
    )
    user.sso_subject = subject
    return user

"""Creating users. Every user is born in the audit trail with their role, so that
verification can tell a role given by qms from one written into the database."""

from __future__ import annotations

from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.auth.roles import ROLES
from qms.extensions import db


class UserError(ValueError):
    """A user operation refused, with the reason in words."""


def create_user(
    actor: User | None,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    email: str | None = None,
    language: str = "ru",
) -> User:
    """A new active user; the event records everything but the password. Caller commits."""
    if role not in ROLES:
        raise UserError(f"unknown role '{role}' (known: {', '.join(ROLES)})")
    if db.session.scalar(select(func.count()).where(User.username == username)):
        raise UserError(f"a user named '{username}' already exists")
    user = User(username=username, full_name=full_name, role=role, email=email, language=language)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event(
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        changes={
            "username": username,
            "full_name": full_name,
            "email": email,
            "role": role,
            "language": language,
            "is_active": True,
        },
    )
    return user

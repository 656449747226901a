"""Logging in, with a limit on failed attempts per user name."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import LoginFailure, User
from qms.extensions import db
from qms.timeutil import utcnow


class TooManyAttempts(Exception):
    pass


def authenticate(username: str, password: str, remote_addr: str | None) -> User | None:
    """The user if the password is right; None otherwise (and the failure is counted).

    Raises TooManyAttempts once the recent failures for this name reach the limit,
    before the password is even checked, so guessing gains nothing.
    """
    window = timedelta(minutes=current_app.config["QMS_LOGIN_WINDOW_MINUTES"])
    recent = db.session.scalar(
        select(func.count()).where(
            LoginFailure.username == username, LoginFailure.failed_at > utcnow() - window
        )
    )
    if recent >= current_app.config["QMS_LOGIN_ATTEMPTS"]:
        raise TooManyAttempts()
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.is_active or not user.check_password(password):
        db.session.add(LoginFailure(username=username[:64], remote_addr=remote_addr))
        return None
    return user


def set_language(user: User, language: str) -> None:
    if language != user.language:
        record_event(
            actor=user,
            action="user.language",
            entity_type="user",
            entity_id=user.id,
            changes={"language": [user.language, language]},
        )
        user.language = language

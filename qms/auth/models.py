from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from qms.auth.passwords import hash_password, verify_password
from qms.auth.roles import ROLES
from qms.extensions import db
from qms.timeutil import UTCDateTime, utcnow


def new_session_token() -> str:
    return secrets.token_hex(16)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role_known"),
        CheckConstraint("language IN ('en', 'ru')", name="language_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(2), default="en")
    password_hash: Mapped[str] = mapped_column(String(256))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of every session's login id: changing it ends every session of this user, in
    # every worker and on every host, because each request checks it against this row.
    session_token: Mapped[str] = mapped_column(String(32), default=new_session_token)
    # Set when someone else chose the password (a reset, an administrator, `qms init`).
    must_change_password: Mapped[bool] = mapped_column(default=False)
    # Made by `qms demo` with a password printed in the README: pages say so while any is active.
    is_demo: Mapped[bool] = mapped_column(default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The OpenID Connect provider's subject for this person (qms.sso), once they signed in so.
    sso_subject: Mapped[str | None] = mapped_column(String(255), index=True, unique=True)

    def get_id(self) -> str:
        """Flask-Login's "alternative token": the session holds the id and the current token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Every session this user has open stops working at its next request."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class LoginThrottle(db.Model):
    """Failed sign-ins counted under one key (a user name, a client address, or both),
    kept in the database so the limit holds across workers and hosts (qms.auth.throttle)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_allowed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

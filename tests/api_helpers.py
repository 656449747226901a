"""Helpers for API tests: tokens for the test team, and their Authorization header."""

from __future__ import annotations

from qms.extensions import db
from qms.tokens.services import create_token


def token_for(user, scope: str = "write", name: str = "test", days: int | None = None) -> str:
    _token, secret = create_token(None, user, name=name, scope=scope, days=days)
    db.session.commit()
    return secret


def bearer(secret: str, language: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {secret}"}
    if language:
        headers["Accept-Language"] = language
    return headers

"""Single sign-on with OpenID Connect (Authlib), configured by QMS_OIDC_* settings."""

from __future__ import annotations

from flask import current_app


def sso_enabled() -> bool:
    config = current_app.config
    return bool(config.get("QMS_OIDC_ISSUER") and config.get("QMS_OIDC_CLIENT_ID"))


def password_login_allowed(role: str) -> bool:
    """With single sign-on on, local passwords stay for administrators (a way in when the
    provider is down) unless QMS_OIDC_PASSWORD_LOGIN=all keeps them for everyone."""
    if not sso_enabled():
        return True
    return role == "admin" or current_app.config.get("QMS_OIDC_PASSWORD_LOGIN") == "all"

"""Configuration defaults. Only this module reads QMS_* environment variables."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _secret_key(instance_path: Path) -> str:
    """The key from QMS_SECRET_KEY, else one made on first start and kept in the instance folder.

    Keeping it in a file means sessions survive restarts and every worker of one host
    shares it; several hosts must share QMS_SECRET_KEY instead.
    """
    if key := os.environ.get("QMS_SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _audit_key(instance_path: Path) -> str:
    """The audit trail's HMAC key: QMS_AUDIT_KEY, else QMS_AUDIT_KEY_FILE, else a key made on
    first start in the instance folder (mode 0600).

    It is never stored in the database: whoever can write the database but cannot read
    this key cannot forge an event or a checkpoint that verification accepts.
    """
    if key := os.environ.get("QMS_AUDIT_KEY"):
        return key
    key_file = Path(os.environ.get("QMS_AUDIT_KEY_FILE") or instance_path / "audit.key")
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


def load_config(instance_path: Path) -> dict:
    """Settings from the environment with their defaults."""
    instance_path.mkdir(parents=True, exist_ok=True)
    default_db = f"sqlite:///{instance_path / 'qms.sqlite'}"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": os.environ.get("QMS_DATABASE_URL", default_db),
        # PostgreSQL: the role that owns the tables and runs the migrations (see
        # qms/database_roles.py); the application itself connects as QMS_DATABASE_URL.
        "QMS_DATABASE_OWNER_URL": os.environ.get("QMS_DATABASE_OWNER_URL") or None,
        # No pool_pre_ping: qms.database.liveness checks PostgreSQL's connections without
        # a round trip per transaction, and a SQLite file never drops one.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "QMS_WORKFLOWS_DIR": os.environ.get("QMS_WORKFLOWS_DIR", str(PROJECT_ROOT / "workflows")),
        "QMS_STANDARDS_DIR": os.environ.get("QMS_STANDARDS_DIR", str(PROJECT_ROOT / "standards")),
        "QMS_ORGANISATION": os.environ.get("QMS_ORGANISATION", "Эллат"),
        # The letterhead's details until an administrator sets them (newlines as "\n").
        "QMS_ORGANISATION_DETAILS": os.environ.get("QMS_ORGANISATION_DETAILS", "").replace(
            "\\n", "\n"
        ),
        # The key and certificate that sign every issued pack (PAdES): a PKCS#12 file, or a
        # PEM key and certificate. By default the files `qms keys init` makes in the instance
        # folder; with none configured and none there, a trial certificate is made on first
        # use (and every pack and `qms pack verify` say that it is one).
        "QMS_PACK_SIGNING_P12": os.environ.get("QMS_PACK_SIGNING_P12", ""),
        "QMS_PACK_SIGNING_KEY": os.environ.get(
            "QMS_PACK_SIGNING_KEY", str(instance_path / "pack-signing.key")
        ),
        "QMS_PACK_SIGNING_CERT": os.environ.get(
            "QMS_PACK_SIGNING_CERT", str(instance_path / "pack-signing.crt")
        ),
        "QMS_PACK_SIGNING_PASSWORD": os.environ.get("QMS_PACK_SIGNING_PASSWORD", ""),
        # Certificates between the signing certificate and a root (PEM files, ":"-separated).
        "QMS_PACK_SIGNING_CHAIN": os.environ.get("QMS_PACK_SIGNING_CHAIN", ""),
        # Further roots `qms pack verify` trusts besides the signing certificate itself.
        "QMS_PACK_TRUST_ROOTS": os.environ.get("QMS_PACK_TRUST_ROOTS", ""),
        # An RFC 3161 timestamp authority for the signatures (unset: the signing time is
        # the host's clock, as the signature says).
        "QMS_PACK_TSA_URL": os.environ.get("QMS_PACK_TSA_URL", ""),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("QMS_SECURE_COOKIES", "0") == "1",
        "PERMANENT_SESSION_LIFETIME": timedelta(
            hours=int(os.environ.get("QMS_SESSION_HOURS", "8"))
        ),
        "MAX_CONTENT_LENGTH": int(os.environ.get("QMS_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        # Sessions also end after this many idle minutes (and always at logout).
        "QMS_IDLE_MINUTES": _int("QMS_IDLE_MINUTES", 30),
        "QMS_PASSWORD_MIN_LENGTH": _int("QMS_PASSWORD_MIN_LENGTH", 12),
        # Sign-in throttling (qms.auth.throttle): free failures per user name from one
        # address, per address, and per user name from anywhere; then delays doubling
        # from 1 s up to the ceilings; counts restart after a quiet window.
        "QMS_LOGIN_ATTEMPTS": _int("QMS_LOGIN_ATTEMPTS", 5),
        "QMS_LOGIN_ATTEMPTS_PER_ADDRESS": _int("QMS_LOGIN_ATTEMPTS_PER_ADDRESS", 30),
        "QMS_LOGIN_ATTEMPTS_PER_NAME": _int("QMS_LOGIN_ATTEMPTS_PER_NAME", 20),
        "QMS_LOGIN_MAX_DELAY": _int("QMS_LOGIN_MAX_DELAY", 900),
        "QMS_LOGIN_NAME_MAX_DELAY": _int("QMS_LOGIN_NAME_MAX_DELAY", 60),
        "QMS_LOGIN_WINDOW_MINUTES": _int("QMS_LOGIN_WINDOW_MINUTES", 15),
        # How many proxies in front of qms set X-Forwarded-For / -Proto (0: trust none).
        "QMS_TRUSTED_PROXIES": _int("QMS_TRUSTED_PROXIES", 0),
        "QMS_PAGE_SIZE": 25,
        "QMS_COMPLAINT_ACK_DAYS": int(os.environ.get("QMS_COMPLAINT_ACK_DAYS", "1")),
        # Once acknowledged, a complaint is due to be resolved within this many working days.
        "QMS_COMPLAINT_RESOLVE_DAYS": int(os.environ.get("QMS_COMPLAINT_RESOLVE_DAYS", "10")),
        "QMS_AUDIT_KEY": _audit_key(instance_path),
        # Signed checkpoints of the trail's head, appended outside the database.
        "QMS_AUDIT_CHECKPOINT_FILE": os.environ.get(
            "QMS_AUDIT_CHECKPOINT_FILE", str(instance_path / "audit-checkpoints.log")
        ),
        # E-mail: smtp://user:password@host:port (or smtps://, or smtp+starttls://); unset
        # means notifications stay in the app. Links in e-mails start with QMS_BASE_URL.
        "QMS_SMTP_URL": os.environ.get("QMS_SMTP_URL", ""),
        "QMS_MAIL_FROM": os.environ.get("QMS_MAIL_FROM", "qms@localhost"),
        "QMS_BASE_URL": os.environ.get("QMS_BASE_URL", "http://127.0.0.1:5000"),
        # The working calendar (qms.workcalendar): business hours in QMS_TIMEZONE and the
        # country whose public holidays and production calendar apply ("" for none).
        "QMS_BUSINESS_HOURS": os.environ.get("QMS_BUSINESS_HOURS", "09:00-18:00"),
        "QMS_HOLIDAYS_COUNTRY": os.environ.get("QMS_HOLIDAYS_COUNTRY", "RU"),
        # Support requests (qms.support): working hours to accept (respond) and to resolve,
        # per priority, as "priority=hours" pairs.
        "QMS_SUPPORT_RESPONSE_HOURS": os.environ.get(
            "QMS_SUPPORT_RESPONSE_HOURS", "critical=8,high=8,normal=8,low=8"
        ),
        "QMS_SUPPORT_RESOLVE_HOURS": os.environ.get(
            "QMS_SUPPORT_RESOLVE_HOURS", "critical=8,high=16,normal=40,low=80"
        ),
        # Loyalty (qms.loyalty): a customer is loyal with at least this many orders in
        # this many months.
        "QMS_LOYALTY_MIN_ORDERS": _int("QMS_LOYALTY_MIN_ORDERS", 2),
        "QMS_LOYALTY_MONTHS": _int("QMS_LOYALTY_MONTHS", 24),
        "QMS_ESCALATE_AFTER_DAYS": int(os.environ.get("QMS_ESCALATE_AFTER_DAYS", "2")),
        # API tokens last this many days unless their maker says otherwise (qms.tokens).
        "QMS_API_TOKEN_DAYS": _int("QMS_API_TOKEN_DAYS", 90),
        # Webhook URLs may not reach loopback, link-local or private addresses, except in
        # these networks (comma-separated CIDRs, e.g. "10.1.2.0/24"); see qms.webhooks.
        "QMS_WEBHOOK_ALLOWED_NETWORKS": os.environ.get("QMS_WEBHOOK_ALLOWED_NETWORKS", ""),
        "QMS_WEBHOOK_TIMEOUT": _int("QMS_WEBHOOK_TIMEOUT", 10),
        # Single sign-on with OpenID Connect (qms.sso); off while the issuer is unset.
        "QMS_OIDC_ISSUER": os.environ.get("QMS_OIDC_ISSUER", ""),
        "QMS_OIDC_CLIENT_ID": os.environ.get("QMS_OIDC_CLIENT_ID", ""),
        "QMS_OIDC_CLIENT_SECRET": os.environ.get("QMS_OIDC_CLIENT_SECRET", ""),
        "QMS_OIDC_SCOPES": os.environ.get("QMS_OIDC_SCOPES", "openid email profile"),
        "QMS_OIDC_ROLE_CLAIM": os.environ.get("QMS_OIDC_ROLE_CLAIM", ""),
        "QMS_OIDC_ROLE_MAP": os.environ.get("QMS_OIDC_ROLE_MAP", ""),
        "QMS_OIDC_DEFAULT_ROLE": os.environ.get("QMS_OIDC_DEFAULT_ROLE", ""),
        "QMS_OIDC_CREATE_USERS": os.environ.get("QMS_OIDC_CREATE_USERS", "1") == "1",
        "QMS_OIDC_PASSWORD_LOGIN": os.environ.get("QMS_OIDC_PASSWORD_LOGIN", "admins"),
        # What commands speak when not told (`qms --lang`); users choose their own.
        "QMS_LANGUAGE": os.environ.get("QMS_LANGUAGE", "en"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("QMS_TIMEZONE", "Europe/Moscow"),
    }

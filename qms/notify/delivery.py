"""Delivering the outbox by SMTP, after commit, with retries (`qms notify send`).

A message is claimed with a lease, sent, and marked sent; a failure reschedules it with a
growing delay, so a mail server outage loses nothing. Each message keeps one Message-ID
across attempts, so a receiving server can drop a duplicate if a crash ever fell between
"sent" and "marked sent".
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import or_, select

from qms.extensions import db
from qms.notify.models import OutboxMessage
from qms.timeutil import utcnow

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
BACKOFF = (60, 300, 900, 1800, 3600)  # seconds; the last repeats


@dataclass
class Delivery:
    sent: int = 0
    failed: int = 0  # attempts that failed and were rescheduled (or given up)


class _Smtp:
    """One connection for a batch, made from QMS_SMTP_URL."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
            raise ValueError(f"QMS_SMTP_URL must be smtp://, smtps:// or smtp+starttls://: {url}")
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
        if parts.scheme == "smtps":
            self.client = smtplib.SMTP_SSL(parts.hostname, port, timeout=30)
        else:
            self.client = smtplib.SMTP(parts.hostname, port, timeout=30)
            if parts.scheme == "smtp+starttls":
                self.client.starttls(context=ssl.create_default_context())
        if parts.username:
            self.client.login(unquote(parts.username), unquote(parts.password or ""))

    def send(self, message: EmailMessage) -> None:
        self.client.send_message(message)

    def close(self) -> None:
        try:
            self.client.quit()
        except smtplib.SMTPException:
            self.client.close()


def _email(row: OutboxMessage) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["QMS_MAIL_FROM"]
    message["To"] = row.recipient
    message["Subject"] = row.subject
    message["Message-ID"] = row.message_id
    message.set_content(row.body)
    message["Content-Language"] = row.language  # after set_content, which clears Content-*
    return message


def _claim(batch: int, now) -> list[OutboxMessage]:
    """Take up to `batch` due messages for this sender (others skip them for the lease)."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
        )
        .order_by(OutboxMessage.id)
        .limit(batch)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = db.session.scalars(query).all()
    for row in rows:
        row.claimed_until = now + LEASE
    db.session.commit()
    return rows


def send_due(batch: int = 50, now=None) -> Delivery:
    """Send what is due at `now` (default: now); returns how many went and how many failed."""
    now = now or utcnow()
    result = Delivery()
    rows = _claim(batch, now)
    if not rows:
        return result
    try:
        smtp = _Smtp(current_app.config["QMS_SMTP_URL"])
    except (OSError, smtplib.SMTPException) as exc:
        for row in rows:
            _failed(row, f"cannot reach the mail server: {exc}", now)
        db.session.commit()
        result.failed = len(rows)
        return result
    try:
        for row in rows:
            try:
                smtp.send(_email(row))
            except (OSError, smtplib.SMTPException) as exc:
                _failed(row, str(exc), now)
                result.failed += 1
            else:
                row.status, row.sent_at, row.claimed_until = "sent", utcnow(), None
                row.attempts += 1
                result.sent += 1
            db.session.commit()  # each outcome is kept as soon as it is known
    finally:
        smtp.close()
    return result


def _failed(row: OutboxMessage, error: str, now) -> None:
    row.attempts += 1
    row.last_error = error[:2000]
    row.claimed_until = None
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        return
    delay = BACKOFF[min(row.attempts - 1, len(BACKOFF) - 1)]
    row.next_attempt_at = now + timedelta(seconds=delay)

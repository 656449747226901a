"""Sending the webhook outbox after commit, with retries and a log (`qms notify send`).

The same discipline as e-mail (qms.notify.delivery): claim due deliveries with a lease,
send each, keep each outcome at once, reschedule failures with growing delays. Each
request is signed the Standard Webhooks way (webhook-id, webhook-timestamp and an
HMAC-SHA256 webhook-signature over "id.timestamp.body"), goes only to the addresses
vetted just before (qms.webhooks.addresses), and follows no redirect.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select
from standardwebhooks import Webhook

from qms.extensions import db
from qms.notify.delivery import BACKOFF, LEASE, MAX_ATTEMPTS
from qms.timeutil import utcnow
from qms.webhooks.addresses import AddressRefused, Target, resolve
from qms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

USER_AGENT = "qms-webhooks/1"


@dataclass
class WebhookRound:
    sent: int = 0
    failed: int = 0


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to a vetted address while the request names the host (Host header)."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS checked against the host's name (SNI and certificate)."""

    def __init__(self, host, port, address, timeout):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, headers: dict[str, str], body: bytes, timeout: float) -> int:
    """POST `body` to the first reachable vetted address; the receiver's status code."""
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error: OSError | None = None
    for address in target.addresses:
        connection = kind(target.host, target.port, address, timeout)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(65536)
            return response.status
        except OSError as exc:
            error = exc
        finally:
            connection.close()
    raise error or OSError("no address to connect to")


def signed_headers(delivery: WebhookDelivery, secret: str, now) -> dict[str, str]:
    signature = Webhook(secret).sign(delivery.message_id, now, delivery.payload)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }


def _claim(batch: int, now) -> list[WebhookDelivery]:
    query = (
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
        )
        .order_by(WebhookDelivery.id)
        .limit(batch)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=WebhookDelivery)
    rows = db.session.scalars(query).all()
    for row in rows:
        row.claimed_until = now + LEASE
    db.session.commit()
    return rows


def send_due_webhooks(batch: int = 50, now=None) -> WebhookRound:
    """Send the deliveries due at `now`; how many were sent and how many failed."""
    now = now or utcnow()
    result = WebhookRound()
    timeout = current_app.config["QMS_WEBHOOK_TIMEOUT"]
    for delivery in _claim(batch, now):
        subscription = db.session.get(WebhookSubscription, delivery.subscription_id)
        started = time.monotonic()
        status, error = None, None
        try:
            if not subscription.is_active:
                raise AddressRefused("the subscription is switched off")
            target = resolve(subscription.url)
            # Signed at the moment of sending: receivers refuse stale timestamps.
            headers = signed_headers(delivery, subscription.secret, utcnow())
            status = post(target, headers, delivery.payload.encode(), timeout)
            if not 200 <= status < 300:
                error = f"the receiver answered {status}"
        except (AddressRefused, OSError, http.client.HTTPException) as exc:
            error = str(exc) or type(exc).__name__
        _log(delivery, status, error, started, now)
        if error is None:
            result.sent += 1
        else:
            result.failed += 1
        db.session.commit()  # each outcome is kept as soon as it is known
    return result


def _log(delivery: WebhookDelivery, status: int | None, error: str | None, started, now) -> None:
    delivery.attempts += 1
    delivery.claimed_until = None
    delivery.last_status = status
    delivery.last_error = error[:2000] if error else None
    db.session.add(
        WebhookAttempt(
            delivery_id=delivery.id,
            attempted_at=utcnow(),
            status_code=status,
            error=delivery.last_error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    )
    if error is None:
        delivery.status, delivery.sent_at = "sent", utcnow()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    else:
        delay = BACKOFF[min(delivery.attempts - 1, len(BACKOFF) - 1)]
        delivery.next_attempt_at = now + timedelta(seconds=delay)


def resend(delivery: WebhookDelivery) -> None:
    """Send it again at the next round, with the same webhook-id (receivers may dedupe)."""
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    delivery.claimed_until = None

"""Subscribing URLs to kinds of event (administrators only). The caller commits."""

from __future__ import annotations

import base64
import secrets

from flask_babel import lazy_gettext as _l

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.webhooks.addresses import AddressRefused, resolve
from qms.webhooks.kinds import KINDS
from qms.webhooks.models import WebhookSubscription


class WebhookError(ValueError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def subscribe(
    actor: User | None, url: str, kinds: list[str], description: str = ""
) -> WebhookSubscription:
    """A new active subscription; its URL must be one webhooks may reach (checked now and
    again at every delivery)."""
    if actor is not None and actor.role != "admin":
        raise WebhookError(_l("only administrators subscribe webhooks"))
    url = (url or "").strip()
    if len(url) > 2000:
        raise WebhookError(_l("the URL is too long"))
    try:
        resolve(url)
    except AddressRefused as exc:
        raise WebhookError(exc.args[0]) from None
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown or not kinds:
        raise WebhookError(_l("choose one or more kinds of event"))
    subscription = WebhookSubscription(
        url=url,
        description=(description or "").strip()[:200],
        event_kinds=sorted(set(kinds)),
        secret=new_secret(),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(subscription)
    db.session.flush()
    record_event(
        actor=actor,
        action="webhook.subscribed",
        entity_type="webhook",
        entity_id=subscription.id,
        changes={"url": url, "kinds": subscription.event_kinds},
    )
    return subscription


def set_active(actor: User | None, subscription: WebhookSubscription, active: bool) -> None:
    if subscription.is_active == active:
        return
    record_event(
        actor=actor,
        action="webhook.switched_on" if active else "webhook.switched_off",
        entity_type="webhook",
        entity_id=subscription.id,
        changes={"is_active": [subscription.is_active, active]},
    )
    subscription.is_active = active

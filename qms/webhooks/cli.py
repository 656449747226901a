"""`qms webhooks`: subscribe URLs, list them, read a delivery log, resend a delivery."""

from __future__ import annotations

import click
from sqlalchemy import select

from qms.extensions import db
from qms.webhooks.delivery import resend
from qms.webhooks.kinds import KINDS
from qms.webhooks.models import WebhookDelivery, WebhookSubscription
from qms.webhooks.services import subscribe


@click.group("webhooks")
def webhooks() -> None:
    """Webhook subscriptions and their deliveries (sent by `qms notify send`)."""


@webhooks.command("add")
@click.argument("url")
@click.option("--event", "kinds", multiple=True, required=True, type=click.Choice(list(KINDS)))
@click.option("--description", default="")
def add(url: str, kinds: tuple[str, ...], description: str) -> None:
    """Subscribe URL to kinds of event; prints the signing secret (only now)."""
    subscription = subscribe(None, url, list(kinds), description)
    db.session.commit()
    click.echo(
        f"webhook #{subscription.id} -> {url}: {', '.join(subscription.event_kinds)}", err=True
    )
    click.echo(subscription.secret)


@webhooks.command("list")
def list_subscriptions() -> None:
    for s in db.session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id)):
        status = "on" if s.is_active else "off"
        click.echo(f"#{s.id:<4} {status:<4} {s.url}  [{', '.join(s.event_kinds)}]")


@webhooks.command("deliveries")
@click.argument("subscription_id", type=int)
@click.option("--limit", default=20, show_default=True)
def deliveries(subscription_id: int, limit: int) -> None:
    """The latest deliveries to one subscription, with their outcome."""
    rows = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    for d in rows:
        click.echo(
            f"#{d.id:<6} {d.event_kind:<26} {d.status:<8} attempts {d.attempts} "
            f"last {d.last_status or '-'} {d.last_error or ''}"
        )


@webhooks.command("resend")
@click.argument("delivery_id", type=int)
def resend_command(delivery_id: int) -> None:
    """Send delivery DELIVERY_ID again at the next `qms notify send` (same webhook-id)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise click.ClickException(f"there is no delivery #{delivery_id}")
    resend(delivery)
    db.session.commit()
    click.echo(f"delivery #{delivery_id} will be sent again")

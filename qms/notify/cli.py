from __future__ import annotations

import time

import click
from flask_babel import gettext as _

from qms.extensions import db
from qms.notify.delivery import send_due
from qms.notify.schedule import scan as scan_due_dates
from qms.webhooks.delivery import send_due_webhooks


@click.group("notify")
def notify() -> None:
    """Notifications: the calendar's notices and the e-mail outbox."""


@notify.command("scan")
def scan() -> None:
    """Write today's due-tomorrow, overdue and escalation notices (idempotent; daily cron)."""
    written = scan_due_dates()
    db.session.commit()
    click.echo(_("%(n)s notice(s) written", n=written))


@notify.command("send")
@click.option("--loop", is_flag=True, help="Keep sending (under a process supervisor).")
@click.option("--interval", default=30, show_default=True, help="Seconds between rounds.")
@click.option("--scan-every", default=3600, show_default=True, help="Seconds between scans.")
def send(loop: bool, interval: int, scan_every: int) -> None:
    """Deliver the outbox, e-mail and webhooks (cron every minute, or --loop); failures are
    retried later."""
    last_scan = 0.0
    while True:
        if loop and time.monotonic() - last_scan >= scan_every:
            scan_due_dates()
            db.session.commit()
            last_scan = time.monotonic()
        result = send_due()
        if result.sent or result.failed or not loop:
            click.echo(
                _(
                    "%(sent)s sent, %(failed)s failed (will be retried)",
                    sent=result.sent,
                    failed=result.failed,
                )
            )
        hooks = send_due_webhooks()
        if hooks.sent or hooks.failed or not loop:
            click.echo(
                _(
                    "webhooks: %(sent)s sent, %(failed)s failed (will be retried)",
                    sent=hooks.sent,
                    failed=hooks.failed,
                )
            )
        if not loop:
            return
        db.session.remove()  # a fresh session each round: nothing stale between rounds
        time.sleep(interval)

from __future__ import annotations

import click
from flask_babel import gettext as _

from qms.audit.titles import state_title
from qms.auth.users import acting_user
from qms.cli import load_order_list, print_json
from qms.extensions import db
from qms.orders.services import advance_order, get_order, order_definition


@click.command("orders")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
def orders(fmt: str) -> None:
    """List every order with its customer and state."""
    rows = []
    for order in load_order_list():
        state = order_definition(order).states[order.state]
        rows.append(
            {
                "number": order.number,
                "title": order.title,
                "customer": order.customer.name,
                "state": order.state,
                "state_title": state.title.as_dict(),
                "value": None if order.value is None else str(order.value),
                "currency": order.currency,
            }
        )
    if fmt == "json":
        print_json(rows)
        return
    if not rows:
        click.echo(_("no orders yet (load the demo data with `qms demo`)"))
        return
    columns = ("number", "state", "customer", "title")
    widths = {c: min(48, max(len(c), *(len(r[c]) for r in rows))) for c in columns}
    click.echo("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for row in rows:
        click.echo("  ".join(_cut(row[c], widths[c]).ljust(widths[c]) for c in columns))


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


@click.command("advance")
@click.argument("number")
@click.argument("trigger")
@click.option("--as", "username", required=True, help="The user firing the transition.")
@click.option("--reason", default=None, help="Why (required by some transitions).")
def advance(number: str, trigger: str, username: str, reason: str | None) -> None:
    """Fire workflow TRIGGER on order NUMBER as a user (for scripts)."""
    actor = acting_user(username)
    order = get_order(number)
    event = advance_order(order, trigger, actor, reason=reason)
    db.session.commit()
    click.echo(
        _(
            "%(number)s: %(from)s -> %(to)s (audit event #%(seq)s)",
            number=order.number,
            seq=event.seq,
            **{
                "from": state_title("order", event.from_state),
                "to": state_title("order", event.to_state),
            },
        )
    )

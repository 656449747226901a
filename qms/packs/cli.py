from __future__ import annotations

from pathlib import Path

import click

from qms.auth.users import acting_user
from qms.extensions import db
from qms.orders.services import get_order
from qms.packs.services import issue_pack


@click.command("pack")
@click.argument("number")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    required=True,
    help="Where to write the PDF.",
)
@click.option("--as", "username", default=None, help="Who issues it (recorded in the audit trail).")
def pack(number: str, output: str, username: str | None) -> None:
    """Write the contract pack of order NUMBER (issuing a new revision if it changed)."""
    actor = acting_user(username) if username else None
    order = get_order(number)
    issued, is_new = issue_pack(order, actor)
    db.session.commit()
    try:
        Path(output).write_bytes(issued.pdf)
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None
    state = "issued" if is_new else "unchanged, re-sent"
    click.echo(
        f"{order.number}: contract pack revision {issued.revision} ({state}), "
        f"{issued.pages} pages, SHA-256 {issued.pdf_sha256} -> {output}"
    )

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask_babel import gettext as _
from sqlalchemy import select

from qms.auth.models import User
from qms.customers.models import Customer
from qms.extensions import db
from qms.trace.export import to_csv, to_json, to_xlsx
from qms.trace.matrix import build_matrix
from qms.trace.report import audit_report_pdf
from qms.workflow.registry import registry


def _write(output: str | None, data: str | bytes) -> None:
    if output is None:
        if isinstance(data, bytes):
            raise click.ClickException("XLSX is binary: give -o FILE.xlsx")
        click.echo(data, nl=False)
        return
    try:
        Path(output).write_bytes(data if isinstance(data, bytes) else data.encode())
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from None


@click.command("trace")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx", "json"]), default="csv", show_default=True
)
@click.option("-o", "--output", default=None, help="File to write (default: standard output).")
@click.option("--customer", default=None, help="Only this customer's orders (exact name).")
@click.option("--state", default=None, help="Only orders in this state.")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
def trace(fmt, output, customer, state, date_from, date_to) -> None:
    """The traceability matrix: ISO 9001:2015 clause x order."""
    states = registry().latest("customer-order").states
    if state and state not in states:
        raise click.ClickException(f"unknown state '{state}' (known: {', '.join(states)})")
    customer_id = None
    if customer:
        customer_id = db.session.scalar(select(Customer.id).where(Customer.name == customer))
        if customer_id is None:
            raise click.ClickException(f"no customer named '{customer}'")
    matrix = build_matrix(
        customer_id=customer_id,
        state=state,
        date_from=date_from.date() if date_from else None,
        date_to=date_to.date() if date_to else None,
    )
    _write(output, {"csv": to_csv, "json": to_json, "xlsx": to_xlsx}[fmt](matrix))
    if output:
        gaps = len(matrix.gaps)
        click.echo(
            _(
                "%(clauses)s clauses x %(orders)s orders, %(gaps)s gap(s) -> %(file)s",
                clauses=len(matrix.rows),
                orders=len(matrix.orders),
                gaps=gaps,
                file=output,
            )
        )


@click.command("report")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("-o", "--output", required=True, help="The PDF file to write.")
@click.option("--as", "username", default=None, help="The auditor generating it.")
def report(date_from, date_to, output, username) -> None:
    """The audit report PDF: matrix, gaps, chain verification, who and when."""
    auditor = None
    if username:
        auditor = db.session.scalars(select(User).where(User.username == username)).first()
        if auditor is None:
            raise click.ClickException(f"no user '{username}'")
    start: date | None = date_from.date() if date_from else None
    end: date | None = date_to.date() if date_to else None
    if start and end and end < start:
        raise click.ClickException("--to is before --from")
    pdf, pages = audit_report_pdf(start, end, auditor)
    _write(output, pdf)
    click.echo(_("audit report, %(pages)s pages -> %(file)s", pages=pages, file=output))

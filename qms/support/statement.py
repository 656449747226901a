"""The monthly support statement of a customer: the hours logged on their requests in a
month, each entry rounded up to the customer's rounding step, the month's total raised
to their minimum, and the amount at their hourly rate."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.customers.models import Customer
from qms.extensions import db
from qms.i18n import current_language
from qms.spreadsheet import safe_row
from qms.support.models import SupportTimeEntry
from qms.timeutil import utcnow
from qms.workitems.models import WorkItem


@dataclass
class StatementLine:
    number: str
    title: str
    worked_on: date
    user: str
    hours: Decimal
    billed: Decimal
    note: str


@dataclass
class Statement:
    customer: Customer
    month: date  # its first day
    lines: list[StatementLine] = field(default_factory=list)
    rate: Decimal = Decimal(0)
    step_minutes: int = 0
    minimum: Decimal = Decimal(0)

    @property
    def hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), Decimal(0))

    @property
    def rounded(self) -> Decimal:
        return sum((line.billed for line in self.lines), Decimal(0))

    @property
    def billed(self) -> Decimal:
        """The hours billed: rounded, and at least the minimum for the month."""
        return max(self.rounded, self.minimum)

    @property
    def amount(self) -> Decimal:
        return (self.billed * self.rate).quantize(Decimal("0.01"))


def round_up(hours: Decimal, step_minutes: int) -> Decimal:
    """`hours` rounded up to whole steps of `step_minutes` (no step: as logged)."""
    if not step_minutes:
        return hours
    step = Decimal(step_minutes) / Decimal(60)
    steps = (hours / step).to_integral_value(rounding=ROUND_CEILING)
    return (steps * step).quantize(Decimal("0.01"))


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    after = date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, after


def build_statement(customer: Customer, month: date) -> Statement:
    start, after = month_bounds(month)
    entries = db.session.scalars(
        select(SupportTimeEntry)
        .join(WorkItem, WorkItem.id == SupportTimeEntry.item_id)
        .where(
            WorkItem.customer_id == customer.id,
            SupportTimeEntry.worked_on >= start,
            SupportTimeEntry.worked_on < after,
        )
        .options(joinedload(SupportTimeEntry.item), joinedload(SupportTimeEntry.user))
        .order_by(SupportTimeEntry.worked_on, SupportTimeEntry.id)
    ).all()
    step = customer.support_rounding_minutes or 0
    return Statement(
        customer=customer,
        month=start,
        rate=customer.support_hourly_rate or Decimal(0),
        step_minutes=step,
        minimum=customer.support_minimum_hours or Decimal(0),
        lines=[
            StatementLine(
                number=e.item.number,
                title=e.item.title,
                worked_on=e.worked_on,
                user=e.user.full_name,
                hours=e.hours,
                billed=round_up(e.hours, step),
                note=e.note,
            )
            for e in entries
        ],
    )


def _header() -> list[str]:
    return [
        _("Request"),
        _("Title"),
        _("Worked on"),
        _("Who"),
        _("Hours logged"),
        _("Hours billed"),
        _("Note"),
    ]


def _rows(statement: Statement) -> list[list]:
    rows = [
        [
            line.number,
            line.title,
            line.worked_on.isoformat(),
            line.user,
            line.hours,
            line.billed,
            line.note,
        ]
        for line in statement.lines
    ]
    rows.append(["", _("Total, rounded"), "", "", statement.hours, statement.rounded, ""])
    rows.append(["", _("Minimum per month"), "", "", "", statement.minimum, ""])
    rows.append(["", _("Hours billed"), "", "", "", statement.billed, ""])
    rows.append(["", _("Hourly rate"), "", "", "", statement.rate, ""])
    rows.append(["", _("Amount"), "", "", "", statement.amount, ""])
    return rows


def to_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(_header()))
    for row in _rows(statement):
        writer.writerow(safe_row(str(v) if isinstance(v, Decimal) else v for v in row))
    return out.getvalue()


def to_xlsx(statement: Statement) -> bytes:
    from openpyxl import Workbook  # loaded where a spreadsheet is made: commands start faster
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = statement.month.strftime("%Y-%m")
    sheet.append(safe_row(_header()))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(statement):
        sheet.append(safe_row(float(v) if isinstance(v, Decimal) else v for v in row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_pdf(statement: Statement) -> bytes:
    from qms.packs.render import render_pdf  # WeasyPrint only where a PDF is made

    html = render_template(
        "pdf/support-statement.html",
        s=statement,
        generated_at=utcnow(),
        language=current_language(),
    )
    pdf, _pages = render_pdf(html)
    return pdf

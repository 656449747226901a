"""The three loyalty measures of the sources, each a number per period.

An order's date is its start date, else the day it was opened. For a period:

- loyalty index: loyal customers / customers. A customer is loyal at the end of the
  period with at least QMS_LOYALTY_MIN_ORDERS orders dated in the QMS_LOYALTY_MONTHS months
  up to then (2 in 24 by default); "customers" are those with at least one order by then;
- share from existing customers: the value of the period's orders from customers who had
  ordered before that order, over the value of all the period's orders;
- recommended: the period's orders that record a customer who recommended us.
"""

from __future__ import annotations

from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.extensions import db
from qms.orders.models import Order


@dataclass(frozen=True)
class Period:
    label: str | LazyString
    start: date
    end: date  # inclusive


@dataclass(frozen=True)
class Measures:
    period: Period
    customers: int
    loyal: int
    value: Decimal
    value_existing: Decimal
    orders: int
    recommended: int
    recommended_value: Decimal

    @property
    def loyalty_index(self) -> Decimal | None:
        return None if not self.customers else Decimal(self.loyal) / Decimal(self.customers)

    @property
    def existing_share(self) -> Decimal | None:
        return None if not self.value else self.value_existing / self.value


def periods(by: str, last: int, today: date) -> list[Period]:
    """The `last` whole years or quarters up to and including today's."""
    found = []
    if by == "quarter":
        index = today.year * 4 + (today.month - 1) // 3
        for i in range(index - last + 1, index + 1):
            year, q = divmod(i, 4)
            start = date(year, q * 3 + 1, 1)
            end_month = q * 3 + 3
            end = date(year + end_month // 12, end_month % 12 + 1, 1).toordinal() - 1
            label = _l("Q%(quarter)s %(year)s", quarter=q + 1, year=year)
            found.append(Period(label, start, date.fromordinal(end)))
        return found
    for year in range(today.year - last + 1, today.year + 1):
        found.append(Period(str(year), date(year, 1, 1), date(year, 12, 31)))
    return found


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def measure(chosen: list[Period]) -> list[Measures]:
    min_orders = current_app.config["QMS_LOYALTY_MIN_ORDERS"]
    months = current_app.config["QMS_LOYALTY_MONTHS"]
    rows = db.session.execute(
        select(
            Order.id,
            Order.customer_id,
            Order.starts_on,
            Order.created_at,
            Order.value,
            Order.recommended_by_id,
        )
    ).all()
    orders = sorted(
        (
            (starts_on or created_at.date(), customer_id, value or Decimal(0), recommended)
            for _id, customer_id, starts_on, created_at, value, recommended in rows
        ),
        key=lambda o: o[0],
    )
    by_customer: dict[int, list[date]] = defaultdict(list)
    for day, customer_id, _value, _rec in orders:
        by_customer[customer_id].append(day)
    found = []
    for period in chosen:
        since = _months_before(period.end, months)
        customers = loyal = 0
        for days in by_customer.values():
            if days[0] <= period.end:
                customers += 1
                if sum(1 for d in days if since < d <= period.end) >= min_orders:
                    loyal += 1
        inside = [o for o in orders if period.start <= o[0] <= period.end]
        existing = [o for o in inside if by_customer[o[1]][0] < o[0]]
        recommended = [o for o in inside if o[3] is not None]
        found.append(
            Measures(
                period=period,
                customers=customers,
                loyal=loyal,
                value=sum((o[2] for o in inside), Decimal(0)),
                value_existing=sum((o[2] for o in existing), Decimal(0)),
                orders=len(inside),
                recommended=len(recommended),
                recommended_value=sum((o[2] for o in recommended), Decimal(0)),
            )
        )
    return found

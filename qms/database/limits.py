"""What the columns hold, checked before anything is written.

Forms and services check their own fields and say so next to the field. The check
before each flush is the last resort, for a value that reached a row unchecked: neither
database then meets a value it would refuse with an error of its own (PostgreSQL
refuses text longer than its varchar(n) and integers beyond `integer`; SQLite would
quietly keep them, so the two would disagree).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, Numeric, String, event, inspect
from sqlalchemy.orm import Session

# PostgreSQL's `integer`, the type of every id column.
MAX_INTEGER = 2**31 - 1
# Dates the app works with: further out they are typing mistakes, and date arithmetic
# (a due date in working days, "up to the end of that day") would overflow near year 9999.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2200, 12, 31)
# Numeric(14, 2): twelve digits before the point.
MAX_MONEY = Decimal("999999999999.99")


class InputRefused(ValueError):
    """A value the database cannot hold; the message names the field and what fits."""


def date_in_range(value: date) -> bool:
    return EARLIEST_DATE <= value <= LATEST_DATE


def check_date(value: date | None, label) -> date | None:
    """`label` names the field in the reader's language (a lazy text)."""
    if value is not None and not date_in_range(value):
        raise InputRefused(
            _l(
                "%(field)s: the date must be between %(earliest)s and %(latest)s",
                field=label,
                earliest=EARLIEST_DATE.isoformat(),
                latest=LATEST_DATE.isoformat(),
            )
        )
    return value


def column_length(model, name: str) -> int | None:
    return getattr(model.__table__.c[name].type, "length", None)


def check_lengths(model, **values: str | None) -> None:
    """Refuse text longer than the model's column of the same name holds."""
    for name, value in values.items():
        limit = column_length(model, name)
        if limit and value is not None and len(value) > limit:
            from qms.audit.changes import field_title

            raise InputRefused(
                _l(
                    "%(field)s: at most %(limit)s characters (%(given)s given)",
                    field=LazyString(lambda name=name: field_title(name).capitalize()),
                    limit=limit,
                    given=len(value),
                )
            )


def _misfit(column, value) -> str | None:
    kind = column.type
    if isinstance(value, str) and isinstance(kind, String) and kind.length:
        if len(value) > kind.length:
            return f"at most {kind.length} characters ({len(value)} given)"
    elif isinstance(value, int) and not isinstance(value, bool):
        if type(kind) is Integer and abs(value) > MAX_INTEGER:  # BigInteger holds more
            return f"at most {MAX_INTEGER}"
    elif isinstance(value, Decimal) and isinstance(kind, Numeric) and kind.precision:
        digits = kind.precision - (kind.scale or 0)
        if not value.is_finite() or abs(value) >= Decimal(10) ** digits:
            return f"at most {digits} digits before the point"
    return None


@event.listens_for(Session, "before_flush")
def _refuse_what_columns_cannot_hold(session: Session, flush_context, instances) -> None:
    for instance in (*session.new, *session.dirty):
        state = inspect(instance)
        for attr in state.mapper.column_attrs:
            if attr.key not in state.dict:  # not loaded, so not changed
                continue
            for column in attr.columns:
                if problem := _misfit(column, state.dict[attr.key]):
                    raise InputRefused(f"{column.table.name}.{column.name}: {problem}")

"""Validators the forms share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from qms.database.limits import EARLIEST_DATE, LATEST_DATE, date_in_range


def date_range_message():
    return _l(
        "The date must be between %(earliest)s and %(latest)s.",
        earliest=EARLIEST_DATE.isoformat(),
        latest=LATEST_DATE.isoformat(),
    )


def sane_date(form, field) -> None:
    """A date the app can work with (see qms.database.limits), not a slip of the keyboard."""
    if field.data is not None and not date_in_range(field.data):
        raise ValidationError(date_range_message())


def errors_in_words(form) -> str:
    """A form's errors as one line, each after its field's label (for a 400 page)."""
    return "; ".join(f"{field.label.text}: {error}" for field in form for error in field.errors)

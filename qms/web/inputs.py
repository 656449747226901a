"""Numbers from the URL and from forms, bounded to what the database holds.

An id or a page number beyond the columns' range is not a question the database can
answer: SQLite cannot even bind it and PostgreSQL refuses it with an error. It is
answered here instead: no such page (404), or no such thing.
"""

from __future__ import annotations

from flask import abort, request
from werkzeug.routing import IntegerConverter, Map, ValidationError

from qms.database.limits import MAX_INTEGER

# 100,000 pages of 25 orders is more than any register here will hold.
MAX_PAGE = 100_000


class DatabaseIntConverter(IntegerConverter):
    """`<int:...>` for ids and revision numbers: 0 to PostgreSQL's largest `integer`;
    anything larger matches no route (404). Replaces Flask's own `int` converter, so
    every `<int:...>` route is bounded, those added later included."""

    def __init__(self, map: Map, fixed_digits: int = 0, min=None, max=None, signed=False):
        super().__init__(map, fixed_digits, min, MAX_INTEGER if max is None else max, signed)

    def to_python(self, value: str):
        if len(value) > len(str(MAX_INTEGER)):  # never parse 5,000 digits
            raise ValidationError()
        return super().to_python(value)


def id_from(text: str | None) -> int | None:
    """The id a form field names, or None when it names none the database could hold."""
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_INTEGER)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_INTEGER else None


def page_number() -> int:
    """The `page` query argument: 1 when absent or not a number, 404 past MAX_PAGE."""
    text = request.args.get("page", "").strip()
    if not (text.isascii() and text.isdigit()):
        return 1
    if len(text) > len(str(MAX_PAGE)) or int(text) > MAX_PAGE:
        abort(404)
    return max(int(text), 1)


def sequence_number(name: str) -> int | None:
    """A sequence number in the query string (`before`, `after`): None when absent or not a
    number, 404 past what the column holds."""
    text = request.args.get(name, "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    if len(text) > 19 or int(text) > 2**63 - 1:
        abort(404)
    return int(text)


def valid_data(field):
    """A filter field's value if it passed validation, else None: a search page shows the
    error next to the field and does not hand the database a value it cannot take."""
    return None if field.errors else field.data

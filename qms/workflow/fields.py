"""Input fields of work-item workflows: what a transition asks for, and checking the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from qms.catalogue import Text
from qms.database.limits import EARLIEST_DATE, LATEST_DATE, date_in_range

FIELD_TYPES = ("text", "date", "user", "choice", "flag", "kinds")


@dataclass(frozen=True)
class FieldDef:
    name: str
    title: Text
    type: str
    choices: dict[str, Text] | None = None


class InputError(ValueError):
    """An input is missing or malformed; the message names the field (in the reader's
    language when shown)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def clean_input(field: FieldDef, raw: Any, *, usernames: set[str], kinds: set[str]) -> Any:
    """The value to store for `field`, or InputError saying what is wrong with `raw`."""
    from qms.i18n import lazy_text

    text = "" if raw is None else str(raw).strip()
    label = lazy_text(field.title)
    if field.type == "flag":
        if text.lower() in ("yes", "y", "true", "1", "on"):
            return True
        if text.lower() in ("", "no", "n", "false", "0", "off"):
            return False
        raise InputError(_l("'%(field)s' must be yes or no", field=label))
    if not text:
        raise InputError(_l("'%(field)s' is required", field=label))
    if field.type == "date":
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise InputError(_l("'%(field)s' must be a date (YYYY-MM-DD)", field=label)) from None
        if not date_in_range(value):
            raise InputError(
                _l(
                    "'%(field)s' must be between %(earliest)s and %(latest)s",
                    field=label,
                    earliest=EARLIEST_DATE.isoformat(),
                    latest=LATEST_DATE.isoformat(),
                )
            )
        return value.isoformat()
    if field.type == "user":
        if text not in usernames:
            raise InputError(_l("'%(field)s': no active user '%(name)s'", field=label, name=text))
        return text
    if field.type == "choice":
        if text not in (field.choices or {}):
            titles = ", ".join(str(lazy_text(t)) for t in (field.choices or {}).values())
            raise InputError(
                _l("'%(field)s' must be one of %(choices)s", field=label, choices=titles)
            )
        return text
    if field.type == "kinds":
        chosen = [k.strip() for k in text.replace(";", ",").split(",") if k.strip()]
        if unknown := [k for k in chosen if k not in kinds]:
            raise InputError(
                _l(
                    "'%(field)s': unknown record kind(s) %(kinds)s",
                    field=label,
                    kinds=", ".join(unknown),
                )
            )
        return chosen
    return text

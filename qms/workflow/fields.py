"""Input fields of work-item workflows: what a transition asks for, and checking the answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

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
    """An input is missing or malformed; the message names the field."""


def clean_input(field: FieldDef, raw: Any, *, usernames: set[str], kinds: set[str]) -> Any:
    """The value to store for `field`, or InputError saying what is wrong with `raw`."""
    text = "" if raw is None else str(raw).strip()
    label = field.title.en
    if field.type == "flag":
        if text.lower() in ("yes", "y", "true", "1", "on"):
            return True
        if text.lower() in ("", "no", "n", "false", "0", "off"):
            return False
        raise InputError(f"'{label}' must be yes or no")
    if not text:
        raise InputError(f"'{label}' is required")
    if field.type == "date":
        try:
            value = date.fromisoformat(text)
        except ValueError:
            raise InputError(f"'{label}' must be a date (YYYY-MM-DD)") from None
        if not date_in_range(value):
            earliest, latest = EARLIEST_DATE.isoformat(), LATEST_DATE.isoformat()
            raise InputError(f"'{label}' must be between {earliest} and {latest}")
        return value.isoformat()
    if field.type == "user":
        if text not in usernames:
            raise InputError(f"'{label}': no active user '{text}'")
        return text
    if field.type == "choice":
        if text not in (field.choices or {}):
            raise InputError(f"'{label}' must be one of {', '.join(field.choices or {})}")
        return text
    if field.type == "kinds":
        chosen = [k.strip() for k in text.replace(";", ",").split(",") if k.strip()]
        if unknown := [k for k in chosen if k not in kinds]:
            raise InputError(f"'{label}': unknown record kind(s) {', '.join(unknown)}")
        return chosen
    return text

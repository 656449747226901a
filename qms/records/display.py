"""A record's structured fields as a reader sees them, in a given language.

The record page, the comparison of revisions and the contract pack all show fields this
way: choices and answers by their titles, dates and money in the reader's notation, a
table as its rows. Nothing here shows a stored code where a title exists.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency

from qms.workflow.definition import RecordKind
from qms.workflow.record_fields import ANSWERS
from qms.workflow.types import RecordField


def scalar_text(field: RecordField, value: Any, lang: str) -> str:
    if value in (None, ""):
        return ""
    if field.type == "choice":
        title = (field.choices or {}).get(value)
        return title.get(lang) if title else str(value)
    if field.type == "date":
        try:
            return format_date(date.fromisoformat(value), "d MMMM y", locale=lang)
        except ValueError:
            return str(value)
    if field.type == "money":
        try:
            return format_currency(Decimal(value["amount"]), value["currency"], locale=lang)
        except (KeyError, TypeError, ArithmeticError):
            return str(value)
    return str(value)


def shown_field(field: RecordField, value: Any, lang: str) -> dict[str, Any]:
    """One field for a template: {title, type, text} or, for a table, {columns, rows};
    for an answer, {answer, answer_title, comment}."""
    shown: dict[str, Any] = {"name": field.name, "title": field.title.get(lang), "type": field.type}
    if field.type == "table":
        shown["columns"] = [c.title.get(lang) for c in field.columns]
        shown["rows"] = [
            [scalar_text(c, row.get(c.name), lang) for c in field.columns]
            for row in (value or [])
            if isinstance(row, dict)
        ]
        shown["empty"] = not shown["rows"]
    elif field.type == "answer":
        value = value if isinstance(value, dict) else {}
        answer = value.get("answer", "")
        shown["answer"] = answer
        shown["answer_title"] = ANSWERS[answer].get(lang) if answer in ANSWERS else ""
        shown["comment"] = value.get("comment", "")
        shown["empty"] = not answer
    else:
        shown["text"] = scalar_text(field, value, lang)
        shown["empty"] = not shown["text"]
    return shown


def shown_fields(kind: RecordKind, fields: dict[str, Any] | None, lang: str) -> list[dict]:
    """Every declared field of the kind, in order (empty ones marked `empty`)."""
    fields = fields or {}
    return [shown_field(f, fields.get(f.name), lang) for f in kind.fields]


def field_lines(kind: RecordKind, fields: dict[str, Any] | None, lang: str) -> dict[str, str]:
    """Each field as one line of text, keyed by its title: what a comparison compares."""
    lines = {}
    for shown in shown_fields(kind, fields, lang):
        if shown["type"] == "table":
            text = "\n".join(" · ".join(cell or "—" for cell in row) for row in shown["rows"])
        elif shown["type"] == "answer":
            text = shown["answer_title"]
            if shown["comment"]:
                text = f"{text} — {shown['comment']}" if text else shown["comment"]
        else:
            text = shown["text"]
        lines[shown["title"]] = text
    return lines

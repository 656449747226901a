"""Searching text the way people expect: case ignored in every alphabet, on both databases.

SQLite's own lower() folds only ASCII, so "склад" would not find "Склад": qms replaces it
on every SQLite connection with Python's str.lower (see qms/__init__.py). PostgreSQL folds
case by its collation, which on a server made with the "C" locale is ASCII-only too:
lower() under the ICU root collation is the same everywhere.
"""

from __future__ import annotations

from sqlalchemy import func, literal

from qms.extensions import db


def _escaped(text: str) -> str:
    """The user's text as a LIKE pattern matching it anywhere, wildcards taken literally."""
    text = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{text}%"


def contains_ignoring_case(column, text: str):
    pattern = _escaped(text)
    if db.engine.dialect.name == "postgresql":
        icu = "und-x-icu"
        return func.lower(column.collate(icu)).like(
            func.lower(literal(pattern).collate(icu)), escape="\\"
        )
    return column.ilike(pattern, escape="\\")


def unicode_lower(value):
    """SQLite's lower(), replaced: case folded in every alphabet, not only ASCII."""
    return value.lower() if isinstance(value, str) else value

"""A database error, read for the person who met it.

The drivers say what happened in codes: SQLite's result codes (Python's sqlite3 gives
them as `sqlite_errorcode`) and PostgreSQL's SQLSTATE (psycopg's `sqlstate`).
"""

from __future__ import annotations

# SQLite extended codes of the constraint violations a concurrent writer causes.
SQLITE_RACES = {2067, 1555, 787}  # UNIQUE, PRIMARYKEY, FOREIGNKEY
PG_RACES = {"23505", "23503"}  # unique_violation, foreign_key_violation


def _codes(error: BaseException) -> tuple[int | None, str | None]:
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlite_errorcode", None), getattr(orig, "sqlstate", None)


def is_race(error: BaseException) -> bool:
    """A unique value taken, or a referenced row removed, by a concurrent transaction."""
    sqlite_code, sqlstate = _codes(error)
    return sqlite_code in SQLITE_RACES or sqlstate in PG_RACES

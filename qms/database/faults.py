"""A database error, read for the person who met it.

The drivers say what happened in codes: SQLite's result codes (Python's sqlite3 gives
them as `sqlite_errorcode`) and PostgreSQL's SQLSTATE (psycopg's `sqlstate`).
"""

from __future__ import annotations

import contextlib
import os
from enum import Enum
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

# SQLite primary result codes (the low byte of an extended code).
SQLITE_BUSY, SQLITE_READONLY, SQLITE_FULL = 5, 8, 13
# SQLite extended codes of the constraint violations a concurrent writer causes.
SQLITE_RACES = {2067, 1555, 787}  # UNIQUE, PRIMARYKEY, FOREIGNKEY
PG_RACES = {"23505", "23503"}  # unique_violation, foreign_key_violation
PG_DISK_FULL = {"53100"}  # disk_full
PG_READ_ONLY = {"25006"}  # read_only_sql_transaction
# Below this much free space a SQLite write can fail any moment: say so before it does.
MIN_FREE_BYTES = 1024 * 1024


class WriteRefused(Enum):
    """Why the database would not keep a change, although it answers."""

    DISK_FULL = "disk full"
    READ_ONLY = "read-only"


def _codes(error: BaseException) -> tuple[int | None, str | None]:
    orig = getattr(error, "orig", error)
    return getattr(orig, "sqlite_errorcode", None), getattr(orig, "sqlstate", None)


def write_refusal(error: BaseException) -> WriteRefused | None:
    """The database refused to write because it is full or read-only; None otherwise."""
    sqlite_code, sqlstate = _codes(error)
    if sqlite_code is not None:
        primary = sqlite_code & 0xFF
        if primary == SQLITE_FULL:
            return WriteRefused.DISK_FULL
        if primary == SQLITE_READONLY:
            return WriteRefused.READ_ONLY
    if sqlstate in PG_DISK_FULL:
        return WriteRefused.DISK_FULL
    if sqlstate in PG_READ_ONLY:
        return WriteRefused.READ_ONLY
    return None


def is_race(error: BaseException) -> bool:
    """A unique value taken, or a referenced row removed, by a concurrent transaction."""
    sqlite_code, sqlstate = _codes(error)
    return sqlite_code in SQLITE_RACES or sqlstate in PG_RACES


def write_probe(connection: Connection) -> WriteRefused | None:
    """Would a write fail now? Tries one that changes nothing, then rolls it back.

    An UPDATE matching no row still needs write access (SQLite takes its write lock,
    PostgreSQL refuses it in a read-only transaction), so it finds a read-only database.
    A full disk shows only when a write needs space: on SQLite the free space of the
    database's file system (and its page limit) is checked instead; on PostgreSQL a full
    disk is found by the first write that fails (and answered 507).
    """
    sqlite = connection.dialect.name == "sqlite"
    waits = None
    try:
        if sqlite:  # another writer holding the lock means "writable": do not wait long
            waits = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
            connection.exec_driver_sql("PRAGMA busy_timeout=1000")
        connection.execute(text("UPDATE orders SET version = version WHERE 1 = 0"))
        if sqlite and _sqlite_full(connection):
            return WriteRefused.DISK_FULL
    except DBAPIError as exc:
        refusal = write_refusal(exc)
        if refusal is None and (_codes(exc)[0] or 0) & 0xFF != SQLITE_BUSY:
            raise
        return refusal
    finally:
        connection.rollback()
        if waits is not None:
            with contextlib.suppress(DBAPIError):
                connection.exec_driver_sql(f"PRAGMA busy_timeout={int(waits)}")
    return None


def _sqlite_full(connection: Connection) -> bool:
    pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
    if pages >= connection.exec_driver_sql("PRAGMA max_page_count").scalar():
        return True
    path = connection.exec_driver_sql("PRAGMA database_list").first()[2]
    if not path:  # an in-memory database
        return False
    stats = os.statvfs(Path(path).parent)
    return stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES

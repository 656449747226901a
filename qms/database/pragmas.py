"""SQLite's settings on every connection: foreign keys enforced, write-ahead log for
concurrent readers, waiting on locks, and a lower() that folds more than ASCII. Registered
when qms.extensions is imported, i.e. before any engine of the app exists."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys, write-ahead log for concurrent readers, wait on locks."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's lower() folds only ASCII; search must find "Склад" from "склад" too.
    from qms.database.search import unicode_lower

    dbapi_connection.create_function("lower", 1, unicode_lower, deterministic=True)

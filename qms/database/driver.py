"""A few statements on the hottest path, sent to the database driver's own cursor.

A workflow transition runs a handful of small statements; for each, SQLAlchemy's own work
(building the cache key, processing parameters and result rows) costs several times what
the database does. These few go to the driver's cursor on the session's connection, so in
its transaction, as SQL written once per dialect; their errors are raised as SQLAlchemy's,
as every other statement's are. Everything else keeps to SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError


def placeholder(dialect) -> str:
    """The driver's parameter marker: `?` for sqlite3, `%s` for psycopg."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def stored_time(dialect, moment: datetime):
    """Naive UTC, as qms.timeutil.UTCDateTime stores it: on SQLite in SQLAlchemy's text form
    (always with microseconds), elsewhere as the driver adapts a datetime."""
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(" ", "microseconds") if dialect.name == "sqlite" else naive


def run(cursor, dialect, statement: str, parameters: Sequence = ()):
    """Execute on a driver cursor; a driver error becomes SQLAlchemy's DBAPIError."""
    try:
        cursor.execute(statement, parameters)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(
            statement, parameters, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    return cursor


def fetch_all(connection: Connection, statement: str, parameters: Sequence = ()) -> list:
    """All rows of one query, as the driver's tuples, in the connection's transaction."""
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        return run(cursor, connection.dialect, statement, parameters).fetchall()
    finally:
        cursor.close()

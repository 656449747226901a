"""Whether a pooled PostgreSQL connection is still alive, checked as it leaves the pool,
without a round trip when it was in use a moment ago.

SQLAlchemy's pool_pre_ping sends a statement before every transaction: one more round
trip for every request, about one in ten of a transition's. Instead, at checkout:
- a connection whose socket has something to read, after sitting idle in the pool, has
  been told goodbye: PostgreSQL sends its error before it closes a session (a restart,
  an administrator's pg_terminate_backend, an idle timeout), and the kernel reports the
  close. It is replaced, with no statement sent;
- a connection idle for longer than PING_AFTER is pinged as pre_ping would (a server host
  that went away without a word answers only when asked).
Raising DisconnectionError in the pool's checkout event is SQLAlchemy's own way of having
the pool replace the connection and try again ("Disconnect Handling - Pessimistic").
SQLite needs neither: a database file never drops a connection.
"""

from __future__ import annotations

import select
import time

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

PING_AFTER = 30.0  # seconds idle in the pool
_RETURNED = "qms_returned_at"  # in the connection record's info, kept per DBAPI connection


def watch(engine: Engine) -> None:
    """Check each connection `engine`'s pool hands out, as above."""
    event.listen(engine, "checkin", _returned)
    event.listen(engine, "checkout", lambda conn, record, _: _check(engine, conn, record))


def _returned(dbapi_connection, record) -> None:
    if record is not None:
        record.info[_RETURNED] = time.monotonic()


def _check(engine: Engine, dbapi_connection, record) -> None:
    returned = record.info.get(_RETURNED)
    if returned is None:  # just opened
        return
    if told_goodbye(dbapi_connection):
        raise exc.DisconnectionError("the server closed the connection while it was idle")
    if time.monotonic() - returned > PING_AFTER:
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(f"the idle connection does not answer: {error}") from error


def told_goodbye(dbapi_connection) -> bool:
    """Whether the server said something on an idle connection (so it closed it), or the
    connection is closed already. Polled, not read: nothing waits and nothing is consumed."""
    try:
        socket = dbapi_connection.fileno()
    except Exception:  # the driver knows it is closed
        return True
    poll = select.poll()
    poll.register(socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poll.poll(0))

"""PostgreSQL's pooled connections: one the server closed is replaced before a request uses
it, and one in use a moment ago is handed out without a statement first (issue 18: no ping
round trip per transaction). qms.database.liveness."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from qms.database import liveness
from qms.extensions import db
from tests.conftest import USE_POSTGRES
from tests.web_helpers import build_world, login

pytestmark = pytest.mark.skipif(not USE_POSTGRES, reason="PostgreSQL's pooled connections")


def _backend() -> int:
    """The server process behind the session's connection; the connection then goes back
    to the pool."""
    pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    db.session.remove()
    return pid


def _terminate(app, pid: int) -> None:
    """What a restart or an administrator does to one session, from another connection of
    the same role; returns once the server process is gone."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(200):
                alive = "SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"
                if not connection.scalar(sa.text(alive), {"pid": pid}):
                    return
                time.sleep(0.02)
    finally:
        engine.dispose()
    raise AssertionError(f"server process {pid} did not end")


@pytest.fixture
def pings(app, monkeypatch):
    """The pings sent to the server, counted."""
    sent = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: sent.append(1) or ping(c))
    return sent


def test_a_connection_the_server_closed_is_replaced_before_it_is_used(app, client, pings):
    app.config["WTF_CSRF_ENABLED"] = False
    build_world()
    pid = _backend()
    _terminate(app, pid)

    # The request takes the pooled connection, finds it closed, and is given a new one.
    login(client, "manager")
    assert client.get("/orders").status_code == 200
    assert _backend() != pid
    assert pings == []  # seen on its socket, without a statement


def test_a_connection_used_a_moment_ago_is_handed_out_without_a_ping(app, pings):
    first = _backend()
    assert _backend() == first  # the same connection, from the pool
    assert pings == []


def test_a_connection_idle_for_long_is_pinged_first(app, pings, monkeypatch):
    first = _backend()
    monkeypatch.setattr(liveness, "PING_AFTER", 0.0)
    time.sleep(0.01)
    assert _backend() == first  # it answered, and was kept
    assert pings == [1]

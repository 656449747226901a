"""The busiest pages read what they show in index order (issue 18): at a million orders and
ten million events no query of theirs scans one of the tables that grow with the years, or
sorts all of a manager's orders, a user's notifications or an order's events to show a few.

Checked with SQLite's EXPLAIN QUERY PLAN of every statement a page runs; how long the pages
take at that size is bench/pages_large.py's to say, not a test's.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from qms.extensions import db
from qms.notify.services import notify
from tests.web_helpers import build_world, login

GROWING = ("orders", "audit_events", "records", "notifications", "work_items")
# A plain "SCAN orders" reads every row; "SCAN ... USING INDEX" walks an index in order (with
# the statement's LIMIT); "SEARCH" reads a range.
FULL_SCAN = re.compile(rf"^SCAN ({'|'.join(GROWING)})(_\d+)?$")
# Lists cut to a page from these are read in order, never sorted whole.
NEVER_SORTED = re.compile(r"\b(orders|audit_events|notifications)(_\d+)?\b")


@pytest.fixture
def world(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans")
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    team = world["team"]
    for n in range(3):
        notify(
            team["manager"],
            "step_taken",
            subject_type="order",
            subject_id=world["order"].id,
            params={"order": world["order"].number, "step": "-", "state": "-"},
            dedupe_key=f"plans-{n}",
        )
    db.session.commit()
    return world


def _plans(client, url: str) -> list[tuple[str, list[str]]]:
    """(statement, plan lines) of every SELECT the page runs."""
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert response.status_code == 200, url
    raw = db.engine.raw_connection()
    try:
        return [
            (statement, [row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {statement}", params)])
            for statement, params in statements
        ]
    finally:
        raw.close()


def _offences(plans) -> list[str]:
    found = []
    for statement, plan in plans:
        for line in plan:
            if FULL_SCAN.match(line):
                found.append(f"{line}: {statement[:300]}")
        sorted_whole = "USE TEMP B-TREE FOR ORDER BY" in plan
        read = [line for line in plan if "INTEGER PRIMARY KEY" not in line]  # not the joined
        if sorted_whole and any(NEVER_SORTED.search(line.split(" USING ")[0]) for line in read):
            found.append(f"sorted: {plan}: {statement[:300]}")
    return found


@pytest.mark.parametrize(
    "url",
    ["/", "/inbox", "/orders", "/orders/{order}", "/audit/events", "/audit/events?order={order}"],
)
def test_the_busiest_pages_neither_scan_nor_sort_the_growing_tables(client, world, url):
    login(client, "manager")
    plans = _plans(client, url.format(order=world["order"].number))
    assert _offences(plans) == []


def test_open_orders_are_read_from_the_indexes_of_open_orders(client, world):
    """'My orders' and 'overdue' on the dashboard and the inbox's next steps walk only the
    open orders in due-date order, not the years of closed ones before them."""
    login(client, "manager")
    dashboard = " ".join(" ".join(plan) for _statement, plan in _plans(client, "/"))
    assert "ix_orders_open_due" in dashboard
    assert "ix_orders_open_manager_due" in dashboard
    inbox = " ".join(" ".join(plan) for _statement, plan in _plans(client, "/inbox"))
    assert "ix_orders_open_manager_due" in inbox


def test_on_postgresql_the_indexes_of_open_orders_keep_their_condition(tmp_path):
    """The condition is named for PostgreSQL when an app is on it, not in the model (where
    it would load PostgreSQL's dialect into every command on SQLite): the DDL the model
    gives is the migration's (0015), partial."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from qms import create_app
    from qms.orders.models import Order

    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            # Never connected to: the app is only built.
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://qms@127.0.0.1:9/qms",
            "QMS_INSTANCE_PATH": str(tmp_path),
        },
        web=False,
    )
    ddl = sorted(
        str(CreateIndex(index).compile(dialect=postgresql.dialect()))
        for index in Order.__table__.indexes
        if index.name.startswith("ix_orders_open")
    )
    open_only = "WHERE state NOT IN ('closed', 'declined', 'cancelled')"
    assert ddl == [
        f"CREATE INDEX ix_orders_open_due ON orders (due_on) {open_only}",
        f"CREATE INDEX ix_orders_open_manager_due ON orders (manager_id, due_on) {open_only}",
    ]

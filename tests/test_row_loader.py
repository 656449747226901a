"""The signed-in user and the order, loaded through the driver (qms.database.rows), are the
same instances the ORM's own query gives: same values and types, persistent, unchanged,
their relationships and later changes working as for any loaded instance."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, inspect, select
from sqlalchemy.orm.exc import StaleDataError

from qms.auth.models import User
from qms.auth.sessions import load_session_user
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import OrderError, get_order
from tests.factories import make_order, make_team


def _columns(instance) -> dict:
    return {attr.key: getattr(instance, attr.key) for attr in inspect(type(instance)).column_attrs}


def _as_the_orm_loads_it(model, ident) -> dict:
    """The same row through an ORM query, in a session of its own."""
    with db.Session(db.engine) as other:
        return _columns(other.scalars(select(model).where(model.id == ident)).one())


@pytest.fixture
def team(app):
    team = make_team()
    db.session.commit()
    return team


@pytest.fixture
def order_number(team):
    order = make_order(
        team, value=Decimal("1234567.89"), starts_on=date(2026, 1, 5), due_on=date(2026, 3, 31)
    )
    db.session.commit()
    number = order.number
    db.session.remove()  # what follows starts as a request does: an empty session
    return number


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_the_order_has_the_values_and_types_the_orm_gives(order_number):
    order = get_order(order_number)
    loaded = _columns(order)
    assert loaded == _as_the_orm_loads_it(Order, order.id)
    assert loaded["value"] == Decimal("1234567.89") and isinstance(loaded["value"], Decimal)
    assert loaded["due_on"] == date(2026, 3, 31)
    assert loaded["created_at"].utcoffset().total_seconds() == 0  # aware UTC, as UTCDateTime


def test_the_user_has_the_values_and_types_the_orm_gives(team):
    manager = team["manager"]
    session_id = f"{manager.id}:{manager.session_token}"
    db.session.remove()
    user = load_session_user(session_id)
    assert _columns(user) == _as_the_orm_loads_it(User, user.id)
    assert user.is_active is True and user.is_demo is False  # booleans, not SQLite's 1 and 0


def test_a_loaded_order_is_persistent_and_unchanged_and_found_again_without_sql(
    order_number, statements
):
    order = get_order(order_number)
    state = inspect(order)
    assert state.persistent and not state.modified and order not in db.session.dirty
    assert db.session.get(Order, order.id) is order
    assert statements == []  # found in the identity map, no SELECT, as a queried one is
    assert get_order(order_number) is order  # one identity per session, as the ORM keeps it
    assert state.session is db.session()
    order_id = order.id
    del order, state  # the identity map holds instances weakly, as for queried ones
    assert inspect(Order).identity_key_from_primary_key([order_id]) not in db.session.identity_map
    order = get_order(order_number)
    db.session.close()
    assert inspect(order).detached


def test_relationships_load_lazily_and_changes_are_written_with_the_version_check(
    order_number,
):
    order = get_order(order_number)
    assert order.customer.name and order.manager.username == "manager"
    order.title = "Renamed through the loaded instance"
    db.session.commit()
    with db.Session(db.engine) as other:
        row = other.get(Order, order.id)
        assert (row.title, row.version) == ("Renamed through the loaded instance", 2)
    db.session.remove()
    stale = get_order(order_number)
    with db.Session(db.engine) as other:
        other.get(Order, stale.id).title = "Moved on meanwhile"
        other.commit()
    stale.title = "Written over a newer version"
    with pytest.raises(StaleDataError):
        db.session.commit()
    db.session.rollback()


def test_an_instance_the_session_holds_keeps_its_unsaved_change(order_number):
    order = db.session.scalars(select(Order).where(Order.number == order_number)).one()
    order.title = "Changed, not yet flushed"
    with db.session.no_autoflush:
        assert get_order(order_number) is order
    assert order.title == "Changed, not yet flushed"


def test_an_order_added_in_this_transaction_is_found_as_a_query_would_find_it(team):
    order = make_order(team, title="Not committed yet")
    assert get_order(order.number) is order


def test_no_such_order_or_user(team):
    with pytest.raises(OrderError, match="no order numbered '1999-0001'"):
        get_order("1999-0001")
    assert load_session_user(f"999999:{team['manager'].session_token}") is None
    assert load_session_user(f"{team['manager'].id}:not-the-token") is None


FIRST_USE = """
import sys
from qms import create_app
from qms.orders.services import get_order
with create_app(web=False).app_context():
    order = get_order(sys.argv[1])  # before any ORM query in this process
    print(order.title, order.customer.name, sep="|")
"""


def test_a_process_whose_first_load_is_the_order(order_number, database_url, tmp_path):
    """As `qms pack issue NUMBER` starts: the order is the first thing it loads."""
    env = {**os.environ, "QMS_DATABASE_URL": database_url, "QMS_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", FIRST_USE, order_number],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Тестовый заказ|ООО «Заказчик»"

"""List pages and the order page run a fixed number of queries, however many orders."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from qms.extensions import db
from qms.orders.services import advance_order
from qms.records.services import create_record
from tests.factories import approved_record, make_order, make_team
from tests.web_helpers import login


@contextmanager
def count_queries():
    statements: list[str] = []

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def add_orders(team, n: int, with_records: int = 0):
    orders = []
    for i in range(n):
        order = make_order(team, title=f"Заказ {i}")
        approved_record(order, "enquiry", team)
        for j in range(with_records):
            create_record(order, "customer_requirements", author=team["engineer"], title=f"r{j}")
        advance_order(order, "accept_enquiry", team["manager"])
        orders.append(order)
    db.session.commit()
    return orders


PAGES = [
    "/",
    "/orders",
    "/orders?q=Заказ&overdue=y",
    "/orders/board",
    "/customers",
    "/customers/{customer}",
]


@pytest.mark.parametrize("page", PAGES)
def test_list_pages_query_count_does_not_grow_with_orders(client, app, page):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    first = add_orders(team, 3)
    login(client, "manager")
    url = page.format(customer=first[0].customer_id)

    client.get(url)  # warm caches (workflow definitions, catalogue)
    with count_queries() as few:
        assert client.get(url).status_code == 200
    add_orders(team, 30)
    with count_queries() as many:
        assert client.get(url).status_code == 200

    assert len(many) == len(few), "\n".join(many)


def test_order_page_query_count_does_not_grow_with_records_or_events(client, app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    small = add_orders(team, 1)[0].number
    big = add_orders(team, 1, with_records=25)[0].number
    login(client, "manager")
    client.get(f"/orders/{small}")
    with count_queries() as few:
        assert client.get(f"/orders/{small}").status_code == 200
    with count_queries() as many:
        assert client.get(f"/orders/{big}").status_code == 200
    assert len(many) == len(few), "\n".join(many)
    assert len(few) <= 12


def test_dashboard_lists_my_open_orders_with_and_without_due_dates(client, app):
    from datetime import date

    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    make_order(team, title="Со сроком", due_on=date(2030, 1, 1))
    make_order(team, title="Без срока")
    db.session.commit()
    login(client, "manager")
    page = client.get("/").get_data(as_text=True)
    mine = page.split("My orders", 1)[1].split("Overdue work", 1)[0]
    assert "Со сроком" in mine and "Без срока" in mine
    assert mine.index("Со сроком") < mine.index("Без срока")

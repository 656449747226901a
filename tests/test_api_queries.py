"""The API's lists run a fixed number of queries, however many orders, records or items."""

from __future__ import annotations

import pytest

from qms.extensions import db
from qms.records.services import create_record
from qms.workitems.services import open_item
from tests.api_helpers import bearer, token_for
from tests.factories import make_team
from tests.test_query_counts import add_orders, count_queries

LISTS = [
    "/api/v1/orders",
    "/api/v1/orders?q=Заказ&overdue=true",
    "/api/v1/orders/{number}/records",
    "/api/v1/items",
    "/api/v1/customers",
    "/api/v1/audit/events?limit=1000",
]


def add_more(team, orders, n: int):
    for i in range(n):
        create_record(orders[0], "customer_requirements", author=team["engineer"], title=f"r{i}")
        open_item("corrective-action", team["manager"], title=f"Действие {i}", source="other")
    add_orders(team, n)
    db.session.commit()


@pytest.mark.parametrize("url", LISTS)
def test_api_lists_query_count_does_not_grow(client, app, url):
    team = make_team()
    orders = add_orders(team, 3, with_records=1)
    secret = token_for(team["manager"], scope="read")
    url = url.format(number=orders[0].number)
    client.get(url, headers=bearer(secret))  # warm caches (definitions, catalogue)
    with count_queries() as few:
        assert client.get(url, headers=bearer(secret)).status_code == 200
    add_more(team, orders, 20)
    with count_queries() as many:
        assert client.get(url, headers=bearer(secret)).status_code == 200
    assert len(many) == len(few), "\n".join(many)

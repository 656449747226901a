"""Helpers for web tests: a logged-in client per role, and a small world to look at."""

from __future__ import annotations

from qms.extensions import db
from qms.records.services import create_record
from qms.workitems.services import open_item
from tests.factories import approved_record, make_customer, make_order, make_team


def build_world():
    team = make_team()
    order = make_order(team, title="Заказ для проверки прав")
    approved = approved_record(order, "enquiry", team)
    draft = create_record(order, "customer_requirements", author=team["engineer"], title="ТТ")
    customer = make_customer()
    item = open_item("corrective-action", team["manager"], title="Проверка", source="other")
    db.session.commit()
    return {
        "team": team,
        "order": order,
        "approved": approved,
        "draft": draft,
        "customer": customer,
        "item": item,
    }


def login(client, username: str, password: str | None = None):
    return client.post(
        "/login", data={"username": username, "password": password or f"{username}-pw"}
    )

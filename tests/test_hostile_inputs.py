"""Inputs the database cannot hold get a clear 4xx naming what is wrong, never a 500.

Each row was a 500 on SQLite, PostgreSQL or both: integers beyond the id columns' range,
page numbers past any offset, far dates, NaN and huge amounts, NUL in the path, text
longer than its column.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from qms.database.limits import InputRefused
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Attachment
from qms.workitems.models import WorkItem
from tests.factories import make_order, make_team
from tests.web_helpers import build_world, login

HUGE = "9" * 23
GETS = [
    (f"/records/{HUGE}", 404, "There is no such page"),
    ("/records/3000000000", 404, "There is no such page"),
    ("/customers/3000000000", 404, "There is no such page"),
    ("/orders/{order}/packs/3000000000.pdf", 404, "There is no such page"),
    (f"/orders?page={10**25}", 404, "There is no such page"),
    (f"/audit/events?before={10**25}", 404, "There is no such page"),
    (f"/items?page={10**25}", 404, "There is no such page"),
    (f"/orders?manager_id={HUGE}", 400, "Not a valid choice"),
    ("/orders?manager_id=3000000000", 400, "Not a valid choice"),
    (f"/audit/trace?customer={HUGE}", 400, "Not a valid choice"),
    (f"/audit/trace.csv?customer={HUGE}", 400, "Not a valid choice"),
    ("/audit/trace?date_to=9999-12-31", 400, "between 1900-01-01 and 2200-12-31"),
    ("/audit/events?date_to=9999-12-31", 400, "between 1900-01-01 and 2200-12-31"),
    ("/audit/events.csv?date_to=9999-12-31", 400, "between 1900-01-01 and 2200-12-31"),
    ("/audit/events?date_from=0001-01-01", 400, "between 1900-01-01 and 2200-12-31"),
    ("/audit/report.pdf?date_to=9999-12-31", 400, "between 1900-01-01 and 2200-12-31"),
    ("/items?workflow=x", 400, "no kind of work item"),
    ("/orders/%00", 400, "NUL character"),
    ("/items/%00", 400, "NUL character"),
    ("/orders/a%00b/compliance", 400, "NUL character"),
]


@pytest.mark.parametrize(("url", "status", "message"), GETS)
def test_hostile_query_or_path_answers_4xx_with_a_message(app, client, url, status, message):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "auditor")  # reads everything, the audit report included
    response = client.get(url.format(order=world["order"].number))
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "is not an amount of money"),
        ("-Infinity", "is not an amount of money"),
        ("1e400", "at most 999 999 999 999.99"),
        ("9" * 31, "at most 999 999 999 999.99"),
        ("1000000000000", "at most 999 999 999 999.99"),
        ("-5", "cannot be negative"),
    ],
)
def test_order_value_the_column_cannot_hold_is_refused_on_the_form(app, client, value, message):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "manager")
    before = db.session.scalar(select(func.count()).select_from(Order))
    response = client.post(
        "/orders/new",
        data={
            "title": "Заказ",
            "customer_id": world["customer"].id,
            "manager_id": world["team"]["manager"].id,
            "value": value,
            "currency": "RUB",
            "language": "ru",
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == before


@pytest.mark.parametrize(
    ("field", "value"), [("starts_on", "9999-12-31"), ("due_on", "9999-12-31")]
)
def test_far_order_dates_are_refused_on_the_form(app, client, field, value):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "manager")
    response = client.post(
        "/orders/new",
        data={
            "title": "Заказ",
            "customer_id": world["customer"].id,
            "manager_id": world["team"]["manager"].id,
            "currency": "RUB",
            "language": "ru",
            field: value,
        },
    )
    assert response.status_code == 422
    assert "between 1900-01-01 and 2200-12-31" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"received_on": "9999-12-31"}, "between 1900-01-01 and 2200-12-31"),
        ({"received_on": "1000-01-01"}, "between 1900-01-01 and 2200-12-31"),
        ({"title": "Ж" * 400}, "Title: at most 300 characters"),
        ({"customer": HUGE}, "There is no such customer"),
        ({"order": "x" * 400}, "There is no order numbered"),
    ],
)
def test_new_complaint_with_input_the_database_cannot_hold_is_refused(app, client, form, message):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "manager")
    data = {"workflow": "complaint", "title": "Жалоба", "channel": "email"}
    data |= {"customer": str(world["customer"].id)} | form
    response = client.post("/items/new", data=data)
    assert response.status_code == 422, response.get_data(as_text=True)[:2000]
    assert message in response.get_data(as_text=True)
    assert not db.session.scalar(select(func.count()).where(WorkItem.workflow == "complaint"))


def test_a_long_attachment_name_is_shortened_keeping_its_extension(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "engineer")
    name = "отчёт-" + "a" * 300 + ".pdf"
    response = client.post(
        f"/records/{world['draft'].id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 test"), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    stored = db.session.scalars(select(Attachment.filename)).one()
    assert len(stored) <= 255
    assert stored.endswith(".pdf") and "aaaa" in stored
    download = client.get(f"/attachments/1/{stored}")
    assert download.status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: setattr(o, "title", "я" * 301), "orders.title: at most 300 characters"),
        (lambda o: setattr(o, "value", Decimal("1e12")), "orders.value: at most 12 digits"),
        (lambda o: setattr(o, "manager_id", 2**31), "orders.manager_id: at most 2147483647"),
    ],
)
def test_a_value_no_column_holds_is_refused_before_the_database_sees_it(app, change, message):
    """The last resort behind the forms and services, the same on SQLite (which would keep
    it) and PostgreSQL (which would fail with an error of its own)."""
    order = make_order(make_team())
    db.session.commit()
    change(order)
    with pytest.raises(InputRefused, match=re.escape(message)):
        db.session.flush()
    db.session.rollback()


def test_text_that_slips_past_the_service_is_refused_on_the_form_naming_the_column(
    app, client, monkeypatch
):
    app.config["WTF_CSRF_ENABLED"] = False
    world = build_world()
    login(client, "manager")
    # A service that forgot its length check: the title then reaches the flush as it is.
    monkeypatch.setattr("qms.workitems.services.check_lengths", lambda model, **values: None)
    response = client.post(
        "/items/new",
        data={"workflow": "corrective-action", "title": "Ж" * 301, "source": "other"},
    )
    assert response.status_code == 422
    assert "work_items.title: at most 300 characters (301 given)" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(WorkItem)) == 1  # the world's
    assert world["item"].workflow == "corrective-action"

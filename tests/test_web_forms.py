"""Forms refuse bad input next to the field, keep what was typed, and save nothing half-way."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Attachment, Record
from tests.web_helpers import build_world, login


@pytest.fixture
def world(app):
    app.config["WTF_CSRF_ENABLED"] = False
    return build_world()


def counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(m))
        for m in (Order, Customer, Record, Attachment, AuditEvent)
    )


def field_error(html: str, field_id: str) -> str:
    """The error list rendered right after the field with this id."""
    match = re.search(rf'id="{field_id}".*?<ul class="errors">(.*?)</ul>', html, re.S)
    assert match, f"no error next to #{field_id}"
    return html_lib.unescape(match.group(1))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"value": "лишь бы"}, "value", "is not an amount of money"),
        ({"value": "-5"}, "value", "cannot be negative"),
        ({"starts_on": "2026-05-01", "due_on": "2026-04-01"}, "due_on", "before the start date"),
        ({"starts_on": "2026-13-45"}, "starts_on", "Not a valid date value."),
    ],
)
def test_order_form_refuses_bad_input_next_to_the_field(client, world, data, field, message):
    login(client, "manager")
    before = counts()
    form = {
        "title": "Новая система учёта",
        "customer_id": world["customer"].id,
        "manager_id": world["team"]["manager"].id,
        "value": "1000",
        "currency": "RUB",
        "language": "ru",
    } | data
    response = client.post("/orders/new", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in field_error(html, field)
    if form["title"]:
        assert 'value="Новая система учёта"' in html  # what was typed is kept
    assert counts() == before


def test_a_valid_order_form_opens_the_order(client, world):
    login(client, "manager")
    response = client.post(
        "/orders/new",
        data={
            "title": "Новая система учёта",
            "customer_id": world["customer"].id,
            "manager_id": world["team"]["manager"].id,
            "value": "1 250 000,50",
            "currency": "RUB",
            "language": "ru",
            "starts_on": "2026-01-10",
            "due_on": "2026-12-31",
        },
    )
    assert response.status_code == 302
    order = db.session.scalars(select(Order).where(Order.title == "Новая система учёта")).one()
    assert str(order.value) == "1250000.50"
    assert order.state == "enquiry"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"email": "not-an-address"}, "email", "Invalid email address."),
        ({"name": "ООО «Заказчик»"}, "name", "already exists"),
    ],
)
def test_customer_form_refuses_bad_input(client, world, data, field, message):
    login(client, "manager")
    before = counts()
    response = client.post("/customers/new", data={"name": "АО «Новый»", "phone": "+7 900"} | data)
    assert response.status_code == 422
    assert message in field_error(response.get_data(as_text=True), field)
    assert counts() == before


def test_signing_with_a_wrong_password_says_so_and_signs_nothing(client, world):
    login(client, "admin")
    draft = world["draft"]
    before = counts()
    response = client.post(
        f"/records/{draft.id}/sign",
        data={"meaning": "approved", "password": "wrong", "content_sha256": draft.content_hash()},
    )
    assert response.status_code == 422
    assert "password is not correct" in field_error(response.get_data(as_text=True), "password")
    assert counts() == before


def test_the_author_cannot_approve_through_the_web(client, world):
    login(client, "engineer")
    draft = world["draft"]
    response = client.post(
        f"/records/{draft.id}/sign",
        data={
            "meaning": "approved",
            "password": "engineer-pw",
            "content_sha256": draft.content_hash(),
        },
    )
    assert response.status_code == 422
    assert "only a Project manager or Administrator may sign" in html_lib.unescape(
        response.get_data(as_text=True)
    )


def test_revising_without_a_reason_is_refused(client, world):
    login(client, "manager")
    response = client.post(f"/records/{world['approved'].id}/revise", data={"reason": ""})
    assert response.status_code == 422
    assert "This field is required." in field_error(response.get_data(as_text=True), "reason")


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("virus.exe", b"MZ\x90\x00", "files of type '.exe' are not accepted"),
        ("scan.pdf", b"GIF89a not a pdf", "the file's content is not PDF"),
        ("notes.txt", b"\xff\xfe\x00bad", "not UTF-8 text"),
        ("empty.pdf", b"", "the file is empty"),
    ],
)
def test_uploads_are_checked(client, world, filename, content, message):
    import io

    login(client, "engineer")
    before = counts()
    response = client.post(
        f"/records/{world['draft'].id}/attachments",
        data={"file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert message in html_lib.unescape(response.get_data(as_text=True))
    assert counts() == before


def test_an_upload_is_stored_once_by_content_and_downloads_intact(client, world):
    import io

    login(client, "engineer")
    pdf = b"%PDF-1.4 test document"
    for name in ("spec.pdf", "copy.pdf"):
        response = client.post(
            f"/records/{world['draft'].id}/attachments",
            data={"file": (io.BytesIO(pdf), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
    attachments = db.session.scalars(select(Attachment)).all()
    assert len({a.blob_sha256 for a in attachments}) == 1
    download = client.get(f"/attachments/{attachments[0].id}/{attachments[0].filename}")
    assert download.data == pdf


def test_an_oversized_upload_is_refused(client, world, app):
    import io

    app.config["MAX_CONTENT_LENGTH"] = 1024
    login(client, "engineer")
    response = client.post(
        f"/records/{world['draft'].id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-" + b"0" * 4096), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413


def test_a_refused_transition_is_explained_and_changes_nothing(client, world):
    login(client, "manager")
    order = world["order"]
    before = counts()
    response = client.post(
        f"/orders/{order.number}/advance",
        data={"trigger": "decline", "version": order.version},
        follow_redirects=True,
    )
    html = html_lib.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "cannot decline the enquiry: Refusal of the enquiry: missing" in html
    assert counts() == before


def test_advancing_from_a_stale_page_is_a_conflict(client, world):
    login(client, "manager")
    order = world["order"]
    response = client.post(
        f"/orders/{order.number}/advance",
        data={"trigger": "accept_enquiry", "version": order.version - 1 or 99},
    )
    assert response.status_code == 409
    assert "reload" in response.get_data(as_text=True)


def test_forms_need_a_csrf_token(client, world, app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"username": "manager", "password": "manager-pw"})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)


def test_sessions_expire(app):
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600
    assert app.config["SESSION_COOKIE_HTTPONLY"]


def test_the_language_is_chosen_per_user(client, world):
    login(client, "manager")
    client.post("/settings/language", data={"language": "ru"})
    html = client.get(f"/orders/{world['order'].number}").get_data(as_text=True)
    assert "Следующие шаги" in html and "Регламентирующие стандарты предприятия" in html
    assert "1.1.1 Поиск заказов" in html
    client.post("/logout")
    login(client, "engineer")
    html = client.get(f"/orders/{world['order'].number}").get_data(as_text=True)
    assert "Next steps" in html and "1.1.1 Finding orders" in html


def test_declining_an_enquiry_records_the_sources_refusal(client, world):
    login(client, "manager")
    number = world["order"].number
    url = f"/orders/{number}/records/new?kind=refusal"
    form = {
        "title": "Отказ",
        "field_reason": "other_specialisation",
        "field_importance": "",
        "field_heard_from": "выставка",
        "field_alternative": "partner_referral",
        "field_partner": "ООО «Партнёр»",
    }
    response = client.post(url, data=form)
    assert response.status_code == 422
    assert "This field is required." in field_error(
        response.get_data(as_text=True), "field_importance"
    )
    response = client.post(url, data=form | {"field_importance": "strategic"})
    assert response.status_code == 302
    record = db.session.scalars(select(Record).where(Record.kind == "refusal")).one()
    assert record.fields == {
        "reason": "other_specialisation",
        "importance": "strategic",
        "heard_from": "выставка",
        "alternative": "partner_referral",
        "partner": "ООО «Партнёр»",
    }
    page = client.get(f"/records/{record.id}").get_data(as_text=True)
    assert "Referral to a trusted partner" in page and "Same field, another specialisation" in page

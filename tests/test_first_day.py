"""The first working day's frictions, each removed: editing an order, refusals where the
user looks, a stale tab back on the order, titles not codes, links from what is missing,
progress at a glance, and buttons only where they make sense."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from qms.audit.models import AuditEvent
from qms.extensions import db
from qms.orders.models import Order
from qms.workitems.services import WorkItemError, open_item
from tests.factories import approved_record, make_customer, make_order, make_team
from tests.web_helpers import login


@pytest.fixture
def team(app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    db.session.commit()
    return team


def page_of(response) -> str:
    return html_lib.unescape(response.get_data(as_text=True))


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section #{section_id}"
    return match.group(1)


def fresh(order_id: int) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order_id)


def test_an_order_is_edited_with_a_reason_and_the_change_is_in_the_trail(client, team):
    order = make_order(team, title="Старое название", value=1000)
    db.session.commit()
    login(client, "manager")
    form = {
        "title": "Новое название",
        "manager_id": team["manager2"].id,
        "value": "2 500",
        "currency": "RUB",
        "starts_on": "2026-01-10",
        "due_on": "2026-06-30",
        "version": str(order.version),
    }
    refused = client.post(f"/orders/{order.number}/edit", data=form | {"reason": ""})
    assert refused.status_code == 422 and fresh(order.id).title == "Старое название"

    saved = client.post(f"/orders/{order.number}/edit", data=form | {"reason": "письмо №7"})
    assert saved.status_code == 302
    changed = fresh(order.id)
    assert (changed.title, str(changed.value), changed.manager_id) == (
        "Новое название",
        "2500.00",
        team["manager2"].id,
    )
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "order.edited")).one()
    assert event.reason == "письмо №7"
    assert event.changes["title"] == ["Старое название", "Новое название"]
    assert event.changes["manager"] == ["manager", "manager2"]
    assert event.changes["value"] == ["1000.00", "2500.00"]
    timeline = section(page_of(client.get(f"/orders/{order.number}")), "timeline")
    assert "Order changed" in timeline and "письмо №7" in timeline


def test_editing_from_a_stale_tab_saves_nothing_and_says_so(client, team):
    order = make_order(team, title="Заказ")
    db.session.commit()
    login(client, "manager")
    form = {"title": "A", "manager_id": team["manager"].id, "currency": "RUB", "reason": "x"}
    client.post(f"/orders/{order.number}/edit", data=form | {"version": str(order.version)})
    stale = client.post(
        f"/orders/{order.number}/edit",
        data=form | {"title": "B", "version": str(order.version)},
    )
    assert stale.status_code == 409
    assert "someone changed this order while you were editing it" in page_of(stale)
    assert fresh(order.id).title == "A"


def test_a_refused_step_is_said_inside_next_steps_where_the_button_was(client, team):
    order = make_order(team)
    db.session.commit()
    login(client, "manager")
    answer = client.post(
        f"/orders/{order.number}/advance",
        data={"trigger": "accept_enquiry", "version": order.version},
        follow_redirects=True,
    )
    html = page_of(answer)
    assert "cannot accept the enquiry" in section(html, "next")
    top = html.split('<section class="card" id="next">')[0]
    assert "cannot accept the enquiry" not in top  # not 560 px above, out of sight


def test_a_stale_tab_answers_with_the_order_as_it_is_now(client, team):
    order = make_order(team)
    approved_record(order, "enquiry", team)
    db.session.commit()
    stale_version = order.version
    login(client, "manager")
    data = {"trigger": "accept_enquiry", "version": stale_version}
    assert client.post(f"/orders/{order.number}/advance", data=data).status_code == 302
    again = client.post(f"/orders/{order.number}/advance", data=data)
    assert again.status_code == 409
    next_steps = section(page_of(again), "next")
    assert "Someone else changed this while you were working" in next_steps
    assert "Pre-contract work" in page_of(again)  # the order as it is now


def test_a_step_taken_is_reported_by_titles_not_codes(client, team):
    order = make_order(team)
    approved_record(order, "enquiry", team)
    db.session.commit()
    login(client, "manager")
    answer = client.post(
        f"/orders/{order.number}/advance",
        data={"trigger": "accept_enquiry", "version": order.version},
        follow_redirects=True,
    )
    html = page_of(answer)
    assert "Done: “Accept the enquiry”; the order is now at “Pre-contract work”." in html
    assert "pre_contract" not in html.split("<main>")[1].split('id="timeline"')[0]


def test_what_is_missing_links_to_writing_it_and_progress_shows_at_a_glance(client, team):
    order = make_order(team)
    db.session.commit()
    login(client, "manager")
    html = page_of(client.get(f"/orders/{order.number}"))
    assert f'href="/orders/{order.number}/records/new?kind=enquiry">missing: create it' in html
    progress = re.search(r'<ol class="progress".*?</ol>', html, re.S).group(0)
    assert '<li class="current" aria-current="step">Enquiry</li>' in progress
    assert progress.count('class="ahead"') >= 10 and "Declined" not in progress
    assert 'class="danger">Decline the enquiry' in html or 'class="danger"' in html
    assert "Project manager" in section(html, "next")  # who may: by title


def test_changes_and_complaints_wait_for_a_signed_contract(client, team):
    order = make_order(team)
    db.session.commit()
    login(client, "manager")
    items = section(page_of(client.get(f"/orders/{order.number}")), "items")
    assert "Request a contract change" not in items and "Register a complaint" not in items
    assert "become possible once this order's contract is approved" in items
    with pytest.raises(WorkItemError, match="has no approved contract yet"):
        open_item("complaint", team["manager"], title="Жалоба", order=order, channel="email")
    approved_record(order, "contract", team)
    db.session.commit()
    items = section(page_of(client.get(f"/orders/{order.number}")), "items")
    assert "Request a contract change" in items and "Register a complaint" in items


def test_new_order_from_a_customer_card_has_the_customer_chosen(client, team):
    customer = make_customer("ООО «Ромашка»")
    make_customer("АО «Другой»")
    db.session.commit()
    login(client, "manager")
    card = page_of(client.get(f"/customers/{customer.id}"))
    assert f'href="/orders/new?customer_id={customer.id}"' in card
    form = page_of(client.get(f"/orders/new?customer_id={customer.id}"))
    assert f'<option selected value="{customer.id}">ООО «Ромашка»</option>' in form


def test_auditors_print_the_packs_they_audit(client, team):
    order = make_order(team)
    db.session.commit()
    login(client, "auditor")
    assert "Print contract pack" in section(page_of(client.get(f"/orders/{order.number}")), "packs")
    answer = client.post(f"/orders/{order.number}/pack")
    assert answer.status_code == 302 and answer.location.endswith("/packs/1.pdf")


def test_search_ignores_case_in_cyrillic_and_says_when_nothing_is_found(client, team):
    make_order(team, title="Система учёта склада")
    make_customer("ООО «Ромашка»")
    db.session.commit()
    login(client, "manager")
    found = page_of(client.get("/orders?q=СКЛАДА"))
    assert "Система учёта склада" in found
    assert "Ромашка" in page_of(client.get("/customers?q=ромашка"))
    assert "Nothing found for “лютик”." in page_of(client.get("/customers?q=лютик"))
    assert "Nothing found: no order matches." in page_of(client.get("/orders?q=лютик"))
    assert "Nothing found" in page_of(client.get("/orders?q=100%25"))  # % is just a sign


def test_a_referral_to_a_partner_names_the_partner(team):
    from qms.records.services import RecordError, create_record

    order = make_order(team)
    refusal = {
        "reason": "other_specialisation",
        "importance": "low",
        "heard_from": "выставка",
        "alternative": "partner_referral",
    }
    with pytest.raises(RecordError, match="'Partner referred to' is required"):
        create_record(order, "refusal", author=team["manager"], title="Отказ", fields=refusal)
    record = create_record(
        order,
        "refusal",
        author=team["manager"],
        title="Отказ",
        fields=refusal | {"partner": "ООО «Партнёр»"},
    )
    assert record.fields["partner"] == "ООО «Партнёр»"
    waiting = refusal | {"alternative": "wait"}
    assert create_record(order, "refusal", author=team["manager"], title="Отказ", fields=waiting)

"""The meeting log (the library order of the sources), objections, and loyalty figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from qms.customers.models import Customer
from qms.extensions import db
from qms.loyalty.measures import Period, measure, periods
from qms.meetings.models import Communication
from qms.meetings.services import MeetingError, communications, log_communication
from qms.objections.services import ObjectionError, counts_by_kind, log_objection
from qms.orders.services import create_order, get_order
from tests.factories import approved_record, make_order, make_team


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result


def test_the_library_orders_meeting_log_reproduces_the_sources(demo):
    library = get_order("2006-0001")
    log = communications(order=library)
    assert [c.held_on for c in log] == [
        date(2006, 2, 13),
        date(2006, 3, 6),
        date(2006, 3, 27),
        date(2006, 4, 17),
        date(2006, 6, 5),
    ]
    assert {c.kind for c in log} == {"meeting"}
    third, fourth = log[2], log[3]
    assert [(link.record.kind, link.act) for link in third.links] == [
        ("customer_requirements", "received")
    ]
    assert [(link.record.kind, link.act) for link in fourth.links] == [
        ("customer_requirements", "approved")
    ]
    assert third.links[0].record_id == fourth.links[0].record_id
    # The customer's log shows the same meetings.
    assert len(communications(customer=library.customer)) == 5


def test_a_meeting_can_approve_only_an_approved_record(app):
    team = make_team()
    order = make_order(team)
    from qms.records.services import create_record

    draft = create_record(
        order, "customer_requirements", author=team["manager"], title="T", body="b"
    )
    with pytest.raises(MeetingError):
        log_communication(
            team["manager"],
            order=order,
            held_on=date(2026, 1, 12),
            kind="meeting",
            subject="x",
            links=[(draft, "approved")],
        )
    with pytest.raises(MeetingError):
        log_communication(team["manager"], order=order, held_on=None, kind="meeting", subject="x")
    with pytest.raises(MeetingError):
        log_communication(
            team["auditor"], order=order, held_on=date(2026, 1, 1), kind="call", subject="x"
        )
    meeting = log_communication(
        team["manager"],
        order=order,
        held_on=date(2026, 1, 12),
        kind="call",
        subject="Звонок",
        links=[(draft, "handed_over")],
    )
    db.session.commit()
    assert meeting.customer == order.customer
    assert db.session.query(Communication).count() == 1


def test_objections_are_logged_before_the_contract_and_counted_by_kind(app):
    team = make_team()
    order = make_order(team)
    log_objection(
        team["manager"],
        order,
        kind="price",
        said="Дорого",
        steps={"listened", "clarified"},
        outcome="open",
    )
    log_objection(team["manager"], order, kind="price", said="Очень дорого", outcome="lost")
    log_objection(team["engineer"], order, kind="change", said="Зачем менять?", outcome="overcome")
    with pytest.raises(ObjectionError):
        log_objection(team["manager"], order, kind="weather", said="x")
    with pytest.raises(ObjectionError):
        log_objection(team["manager"], order, kind="price", said="x", steps={"shouted"})
    assert counts_by_kind(order.customer) == {
        "change": 1,
        "price": 2,
        "experience": 0,
        "decision": 0,
    }
    approved_record(order, "contract", team)
    with pytest.raises(ObjectionError):
        log_objection(team["manager"], order, kind="decision", said="Передумали")


def _order(team, customer, day, value, recommended_by=None):
    order = create_order(
        actor=team["manager"],
        title=f"{customer.name} {day}",
        customer=customer,
        manager=team["manager"],
        value=Decimal(value),
        starts_on=day,
        recommended_by=recommended_by,
    )
    order.created_at = datetime(2030, 1, 1, tzinfo=UTC)  # the start date counts, not this
    return order


def test_loyalty_figures_on_a_known_data_set(app):
    team = make_team()
    a, b, c = (Customer(name=n) for n in ("А", "Б", "В"))
    db.session.add_all([a, b, c])
    db.session.flush()
    # A: orders in 2024 and 2025 -> loyal at the end of 2025 (two in 24 months).
    _order(team, a, date(2024, 3, 1), "100")
    _order(team, a, date(2025, 5, 1), "300")
    # B: a first order in 2025, recommended by A -> a customer, not loyal.
    _order(team, b, date(2025, 6, 1), "200", recommended_by=a)
    # C: orders in 2021 and 2025 -> the 2021 one is outside the 24 months: not loyal.
    _order(team, c, date(2021, 1, 10), "50")
    _order(team, c, date(2025, 9, 1), "500")
    db.session.commit()
    y2025, y2024 = (Period(str(y), date(y, 1, 1), date(y, 12, 31)) for y in (2025, 2024))
    m2025, m2024 = measure([y2025, y2024])
    assert (m2025.customers, m2025.loyal) == (3, 1)
    assert m2025.loyalty_index == Decimal(1) / Decimal(3)
    assert (m2025.value, m2025.value_existing) == (Decimal(1000), Decimal(800))
    assert m2025.existing_share == Decimal("0.8")
    assert (m2025.orders, m2025.recommended, m2025.recommended_value) == (3, 1, Decimal(200))
    # 2024: A and C are customers by then; neither has two orders in the window.
    assert (m2024.customers, m2024.loyal, m2024.value, m2024.value_existing) == (
        2,
        0,
        Decimal(100),
        Decimal(0),
    )
    quarters = measure(periods("quarter", 4, date(2025, 12, 31)))
    assert [q.orders for q in quarters] == [0, 2, 1, 0]
    assert str(quarters[0].period.label) == "Q1 2025"


def test_the_loyalty_page_draws_svg_and_exports(client, app):
    from tests.web_helpers import login

    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    order = make_order(team, value=Decimal("100"), starts_on=date.today())
    db.session.commit()
    login(client, "manager")
    page = client.get("/customers/loyalty")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<script" not in html
    assert client.get("/customers/loyalty?by=quarter").status_code == 200
    csv = client.get("/customers/loyalty?format=csv").get_data(as_text=True)
    assert "Loyalty index" in csv
    assert client.get("/customers/loyalty?format=xlsx").data[:2] == b"PK"
    assert client.get("/customers/loyalty?by=decade").status_code == 400
    meetings = client.get(f"/orders/{order.number}/meetings")
    assert meetings.status_code == 200

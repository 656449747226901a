"""Support requests: the clocks in working hours, escalation, hours and the statement."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader

from qms.extensions import db
from qms.support.services import breaches, log_time, request_of
from qms.support.statement import build_statement, to_csv, to_pdf, to_xlsx
from qms.workflow.engine import TransitionRefused
from qms.workitems.services import WorkItemError, advance_item, open_item
from tests.factories import make_customer, make_team

MSK = 3  # Moscow is UTC+3 all year


def msk(y, m, d, hour, minute=0):
    return datetime(y, m, d, hour - MSK, minute, tzinfo=UTC)


@pytest.fixture
def team(app):
    return make_team()


def _request(team, received_at, priority="normal"):
    item = open_item(
        "support-request",
        team["manager"],
        title="Сайт не открывается",
        customer=make_customer(),
        channel="phone",
        priority=priority,
        received_at=received_at,
    )
    db.session.commit()
    return item


def test_friday_afternoon_before_a_holiday_is_due_on_the_next_working_day(team):
    # Friday 6 March 2026, 15:00; Monday 9 March is a public holiday (8 March observed).
    item = _request(team, msk(2026, 3, 6, 15))
    request = request_of(item)
    # 3 working hours on Friday (to 18:00), 5 more from 09:00 on Tuesday 10 March.
    assert request.response_due_at == msk(2026, 3, 10, 14)
    assert item.due_on == date(2026, 3, 10)


def test_response_and_time_to_start_are_measured_separately(team):
    item = _request(team, msk(2026, 11, 23, 10))  # Monday
    advance_item(item, "accept", team["engineer"], at=msk(2026, 11, 23, 12, 30))
    advance_item(item, "start", team["engineer"], at=msk(2026, 11, 24, 11))
    db.session.commit()
    request = request_of(item)
    assert request.response_hours == Decimal("2.5")
    assert request.start_hours == Decimal("10")  # 8 on Monday, 2 on Tuesday
    assert not request.response_breached
    assert item.owner == team["engineer"]


def test_the_clock_pauses_while_waiting_for_the_customer(team):
    item = _request(team, msk(2026, 11, 23, 9))  # normal: 40 working hours to resolve
    request = request_of(item)
    assert request.resolve_due_at == msk(2026, 11, 27, 13)  # 4 days × 9 h + 4 h
    advance_item(item, "accept", team["engineer"], at=msk(2026, 11, 23, 10))
    advance_item(item, "start", team["engineer"], at=msk(2026, 11, 23, 11))
    advance_item(
        item,
        "ask_customer",
        team["engineer"],
        values={"question": "Какой браузер?"},
        at=msk(2026, 11, 23, 13),
    )
    assert request.resolve_due_at is None and item.due_on is None
    assert request.clock_used_hours == Decimal("4")
    # Two working days later the customer answers: 36 hours are left from then.
    advance_item(
        item,
        "customer_answered",
        team["engineer"],
        values={"answer": "Firefox"},
        at=msk(2026, 11, 25, 13),
    )
    db.session.commit()
    assert request.resolve_due_at == msk(2026, 12, 1, 13)
    assert breaches(msk(2026, 11, 30, 12)) == []


def test_a_breach_appears_in_overdue_json(team, runner):
    item = _request(team, datetime(2026, 1, 12, 6, tzinfo=UTC), priority="high")
    result = runner.invoke(args=["overdue", "--format", "json"])
    rows = [r for r in json.loads(result.output) if r["kind"] == "support-request"]
    assert [(r["number"], r["clock"]) for r in rows] == [(item.number, "response")]
    assert rows[0]["due_at"] == msk(2026, 1, 12, 17).isoformat()


def test_escalation_moves_it_to_the_next_line(team):
    item = _request(team, msk(2026, 11, 23, 10))
    advance_item(item, "accept", team["engineer"], at=msk(2026, 11, 23, 11))
    request = request_of(item)
    assert request.line == 1
    advance_item(item, "escalate", team["engineer"], values={"escalation": "нужна БД"})
    assert (request.line, item.state, item.owner) == (2, "accepted", None)
    advance_item(item, "escalate", team["manager"], values={"escalation": "нужен вендор"})
    assert request.line == 3
    with pytest.raises(TransitionRefused):
        advance_item(item, "escalate", team["manager"], values={"escalation": "ещё"})
    assert request.line == 3


def test_not_confirmed_goes_back_to_work_and_the_clock_resumes(team):
    item = _request(team, msk(2026, 11, 23, 9))
    for trigger, hour in (("accept", 10), ("start", 11)):
        advance_item(item, trigger, team["engineer"], at=msk(2026, 11, 23, hour))
    advance_item(
        item, "resolve", team["engineer"], values={"solution": "x"}, at=msk(2026, 11, 23, 15)
    )
    advance_item(
        item, "reopen", team["manager"], values={"remarks": "нет"}, at=msk(2026, 11, 24, 9)
    )
    request = request_of(item)
    assert item.state == "in_work" and request.clock_used_hours == Decimal("6")
    assert request.resolve_due_at == msk(2026, 11, 27, 16)  # 34 hours from Tuesday 09:00


def test_a_request_needs_priority_and_channel(team):
    with pytest.raises(WorkItemError):
        open_item(
            "support-request",
            team["manager"],
            title="x",
            customer=make_customer(),
            channel="phone",
            priority="urgent",
        )
    with pytest.raises(WorkItemError):
        open_item(
            "support-request", team["manager"], title="x", customer=make_customer(), priority="high"
        )


def test_the_monthly_statement_rounds_and_applies_the_minimum(team, app):
    customer = make_customer()
    customer.support_hourly_rate = Decimal("1500")
    customer.support_rounding_minutes = 30
    customer.support_minimum_hours = Decimal("4")
    item = _request(team, msk(2026, 11, 2, 10))
    log_time(item, team["engineer"], hours="0.2", worked_on=date(2026, 11, 2))  # -> 0.5
    log_time(item, team["engineer"], hours="1.1", worked_on=date(2026, 11, 3))  # -> 1.5
    log_time(item, team["engineer"], hours="1", worked_on=date(2026, 12, 1))  # next month
    db.session.commit()
    statement = build_statement(customer, date(2026, 11, 1))
    assert [line.billed for line in statement.lines] == [Decimal("0.50"), Decimal("1.50")]
    assert statement.hours == Decimal("1.30")
    assert statement.rounded == Decimal("2.00")
    assert statement.billed == Decimal("4")  # the minimum
    assert statement.amount == Decimal("6000.00")
    customer.support_minimum_hours = Decimal("1")
    assert build_statement(customer, date(2026, 11, 1)).amount == Decimal("3000.00")
    assert "3000.00" in to_csv(build_statement(customer, date(2026, 11, 1)))
    assert to_xlsx(statement)[:2] == b"PK"
    with app.test_request_context():
        pdf = to_pdf(statement)
    from io import BytesIO

    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "6000.00" in text and item.number in text


def test_hours_are_checked(team):
    item = _request(team, msk(2026, 11, 2, 10))
    from qms.support.services import SupportError

    for bad in ("0", "-1", "25", "abc", "nan"):
        with pytest.raises(SupportError):
            log_time(item, team["engineer"], hours=bad)


def test_the_support_pages_open_a_request_log_hours_and_give_the_statement(client, app):
    from tests.web_helpers import login

    app.config["WTF_CSRF_ENABLED"] = False
    make_team()
    customer = make_customer()
    db.session.commit()
    login(client, "engineer")
    form = {
        "workflow": "support-request",
        "title": "Не работает поиск",
        "customer": customer.id,
        "channel": "email",
        "priority": "high",
    }
    opened = client.post("/items/new", data=form)
    assert opened.status_code == 302, opened.get_data(as_text=True)
    number = opened.headers["Location"].rsplit("/", 1)[1]
    page = client.get(f"/items/{number}").get_data(as_text=True)
    assert "Support clocks" in page and "line 1" in page
    assert client.post(f"/support/{number}/hours", data={"hours": "1,5"}).status_code == 302
    assert client.post(f"/support/{number}/hours", data={"hours": "x"}).status_code == 302
    from qms.support.models import SupportTimeEntry

    assert [e.hours for e in db.session.query(SupportTimeEntry)] == [Decimal("1.50")]
    register = client.get("/support").get_data(as_text=True)
    assert number in register
    month = datetime.now(UTC).strftime("%Y-%m")
    for fmt, start in (("csv", b"Request"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        got = client.get(f"/support/statement?customer={customer.id}&month={month}&format={fmt}")
        assert got.status_code == 200 and got.data.startswith(start), fmt
    assert client.get(f"/support/statement?customer={customer.id}&month=2026-13").status_code == 400
    assert client.get("/support/statement").status_code in (302, 404)


def test_the_calendar_page_lists_holidays_and_only_an_admin_changes_it(client, app):
    from tests.web_helpers import login

    app.config["WTF_CSRF_ENABLED"] = False
    make_team()
    db.session.commit()
    login(client, "manager")
    page = client.get("/calendar?year=2026").get_data(as_text=True)
    assert "2026" in page and "Russia Day" in page
    assert client.post("/calendar", data={"day": "2026-12-30", "note": "x"}).status_code == 403
    client.post("/logout")
    login(client, "admin")
    client.post("/calendar", data={"day": "2026-12-30", "working": "0", "note": "день компании"})
    from qms.workcalendar.calendar import add_working_days

    assert add_working_days(date(2026, 12, 29), 1) == date(2027, 1, 11)
    from qms.audit.models import AuditEvent

    assert db.session.query(AuditEvent).filter_by(action="calendar.day_set").count() == 1


def test_support_requests_show_in_the_traceability_matrix(app):
    from qms.trace.matrix import build_matrix

    matrix = build_matrix()
    row = next(r for r in matrix.rows if r.number == "8.5.5")
    assert "support-request" in row.item_workflows


def test_a_breach_is_notified_once_to_whoever_has_the_request(team):
    from qms.notify.models import Notification
    from qms.notify.schedule import scan

    item = _request(team, datetime(2026, 1, 12, 6, tzinfo=UTC), priority="high")
    scan()
    scan()
    db.session.commit()
    notices = db.session.query(Notification).filter_by(kind="support_breach").all()
    assert [(n.user.username, n.params["item"]) for n in notices] == [("manager", item.number)]
    from qms.notify.services import render

    _title, text = render(notices[0], "ru")
    assert "время реакции" in text and item.number in text

"""Contract changes, complaints and corrective actions, refusals included."""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from qms.extensions import db
from qms.orders.services import advance_order
from qms.records.models import Record
from qms.timeutil import utcnow
from qms.workcalendar.calendar import add_working_days
from qms.workflow.engine import TransitionRefused
from qms.workitems.models import WorkItem
from qms.workitems.services import WorkItemError, advance_item, open_item, overdue_items
from tests.factories import approved_record, make_order, make_team
from tests.test_order_workflow import walk_to

IMPACT = {
    "impact_scope": "+2 отчёта",
    "impact_price": "+10 %",
    "impact_dates": "+2 недели",
    "impact_design": "новый модуль",
}


@pytest.fixture
def team(app):
    return make_team()


@pytest.fixture
def signed(team):
    order = make_order(team)
    walk_to(order, "scope_definition", team)
    db.session.commit()
    return order


def test_a_contract_change_is_analysed_agreed_and_incorporated(team, signed):
    change = open_item("contract-change", team["manager"], title="Два новых отчёта", order=signed)
    assert change.number.startswith("CC-") and change.state == "requested"
    with pytest.raises(TransitionRefused, match="possible only from 'Analysed'"):
        advance_item(
            change,
            "agree",
            team["manager"],
            values={"agreement": "письмо №5", "affected_records": "contract"},
        )
    with pytest.raises(TransitionRefused, match="'Impact on price' is required"):
        advance_item(change, "analyse", team["engineer"], values=IMPACT | {"impact_price": ""})
    advance_item(change, "analyse", team["engineer"], values=IMPACT)
    advance_item(
        change,
        "agree",
        team["manager"],
        values={
            "agreement": "письмо заказчика №5 от 01.12.2026",
            "affected_records": "requirements_review, contract",
        },
    )

    reopened = db.session.scalars(
        select(Record).where(Record.order_id == signed.id, Record.revision == 2)
    ).all()
    assert {r.kind for r in reopened} == {"requirements_review", "contract"}
    assert all(not r.is_approved and "CC-" in r.revision_reason for r in reopened)
    with pytest.raises(TransitionRefused, match="must be approved again first") as refused:
        advance_item(change, "incorporate", team["manager"])
    with force_locale("ru"):  # the reader's language, not the one it was raised in
        words = str(refused.value)
    assert "сначала нужно снова утвердить" in words and "редакция 2" in words
    assert "must" not in words and "rev." not in words
    from qms.records.signing import sign_record

    for record in reopened:
        sign_record(
            record,
            signer=team["admin"],
            password="admin-pw",
            meaning="approved",
            seen_sha256=record.content_hash(),
        )
    advance_item(change, "incorporate", team["manager"])
    assert change.state == "incorporated"
    assert change.data["impact_price"] == "+10 %"


def test_a_complaint_runs_to_closure_and_opens_a_corrective_action(team, signed, app):
    complaint = open_item(
        "complaint",
        team["manager"],
        title="Отчёт не формируется",
        description="Текст жалобы",
        order=signed,
        channel="email",
        received_on=date(2026, 11, 20),
    )  # a Friday
    assert complaint.due_on == date(2026, 11, 23)  # one working day: the Monday
    assert complaint.customer_id == signed.customer_id
    assert complaint in overdue_items(today=date(2026, 11, 24))
    advance_item(complaint, "acknowledge", team["manager"])
    # Acknowledged: its resolution is due now, ten working days on (QMS_COMPLAINT_RESOLVE_DAYS).
    assert complaint.due_on == add_working_days(utcnow().date(), 10)
    assert complaint not in overdue_items(utcnow().date())
    advance_item(
        complaint,
        "investigate",
        team["engineer"],
        values={"findings": "ошибка в шаблоне", "corrective_action_needed": "yes"},
    )
    action = db.session.scalars(select(WorkItem).where(WorkItem.parent_id == complaint.id)).one()
    assert action.workflow == "corrective-action" and action.source == "complaint"
    advance_item(complaint, "eliminate", team["engineer"], values={"correction": "исправлено"})
    advance_item(complaint, "inform", team["manager"], values={"customer_response": "письмо"})
    advance_item(complaint, "close", team["manager"])
    assert complaint.state == "closed"


def test_a_complaint_against_a_closed_order_does_not_reopen_it(team):
    order = make_order(team)
    walk_to(order, "closed", team)
    complaint = open_item(
        "complaint", team["manager"], title="Претензия после сдачи", order=order, channel="letter"
    )
    advance_item(complaint, "acknowledge", team["manager"])
    db.session.commit()
    assert order.state == "closed" and complaint.order_id == order.id


def test_a_corrective_action_needs_an_independent_effectiveness_check(team):
    action = open_item(
        "corrective-action", team["manager"], title="Шаблоны отчётов", source="audit_finding"
    )
    advance_item(action, "analyse", team["engineer"], values={"root_cause": "нет проверки"})
    with pytest.raises(TransitionRefused, match="no active user 'nobody'"):
        advance_item(
            action,
            "plan",
            team["manager"],
            values={"actions": "добавить проверку", "owner": "nobody", "due_on": "2026-12-18"},
        )
    advance_item(
        action,
        "plan",
        team["manager"],
        values={"actions": "добавить проверку", "owner": "engineer", "due_on": "2026-12-18"},
    )
    assert action.owner.username == "engineer" and action.due_on == date(2026, 12, 18)
    with pytest.raises(TransitionRefused, match="possible only from 'Effectiveness verified'"):
        advance_item(action, "close", team["manager"])  # no effectiveness check recorded
    advance_item(action, "implement", team["engineer"], values={"implementation": "сделано"})
    with pytest.raises(TransitionRefused, match="someone else must do this"):
        advance_item(action, "verify", team["engineer"], values={"effectiveness": "ok"})
    # The check fails: back to planning, and round again.
    advance_item(action, "fail_check", team["manager"], values={"effectiveness": "повторилось"})
    assert action.state == "planned"
    advance_item(action, "implement", team["engineer"], values={"implementation": "ещё раз"})
    advance_item(action, "verify", team["manager"], values={"effectiveness": "0 повторов"})
    advance_item(action, "close", team["manager"])
    assert action.state == "closed" and action.due_on is None


@pytest.mark.parametrize(
    ("workflow", "kwargs", "message"),
    [
        ("contract-change", {}, "belongs to an order"),
        ("complaint", {"channel": "pigeon"}, "choose how the complaint came in"),
        ("complaint", {"channel": "email"}, "needs its customer"),
        ("corrective-action", {"source": "rumour"}, "choose where the corrective action"),
        ("warranty", {}, "unknown kind of work item"),
    ],
)
def test_bad_work_item_input_is_refused(team, workflow, kwargs, message):
    with pytest.raises(WorkItemError, match=message):
        open_item(workflow, team["manager"], title="x", **kwargs)


def test_working_days_skip_weekends():
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 23)
    assert add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)


def test_unrelated_order_transitions_still_work(team, signed):
    approved_record(signed, "scope_statement", team)
    advance_order(signed, "confirm_scope", team["manager"])
    assert signed.state == "quality_planning"


def test_the_next_contract_pack_shows_the_amendment(team, signed):
    from qms.packs.services import issue_pack
    from tests.test_packs import pages_text

    before, _ = issue_pack(signed, None)
    change = open_item("contract-change", team["manager"], title="Два новых отчёта", order=signed)
    advance_item(change, "analyse", team["engineer"], values=IMPACT)
    advance_item(
        change,
        "agree",
        team["manager"],
        values={"agreement": "письмо заказчика №5", "affected_records": "contract"},
    )
    after, issued = issue_pack(signed, None)
    assert issued and after.revision == before.revision + 1
    text = " ".join(pages_text(after.pdf))
    assert change.number in text and "письмо заказчика №5" in text and "+10 %" in text


def test_work_items_on_the_web(client, app, team, signed):
    from tests.web_helpers import login

    app.config["WTF_CSRF_ENABLED"] = False
    number = signed.number
    login(client, "manager")
    bad = client.post(
        "/items/new",
        data={"workflow": "complaint", "title": "Жалоба", "order": number, "channel": "pigeon"},
    )
    assert bad.status_code == 422
    assert "choose how the complaint came in" in bad.get_data(as_text=True)
    made = client.post(
        "/items/new",
        data={
            "workflow": "complaint",
            "title": "Жалоба",
            "order": number,
            "channel": "phone",
            "received_on": "2026-11-20",
        },
    )
    assert made.status_code == 302
    item = made.headers["Location"].rsplit("/", 1)[1]
    client.post(f"/items/{item}/advance", data={"trigger": "acknowledge"})
    refused = client.post(
        f"/items/{item}/advance",
        data={"trigger": "investigate", "input_findings": ""},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "&#39;Investigation findings&#39; is required" in refused
    client.post(
        f"/items/{item}/advance",
        data={
            "trigger": "investigate",
            "input_findings": "ошибка",
            "input_corrective_action_needed": "yes",
        },
    )
    page = client.get(f"/items/{item}").get_data(as_text=True)
    assert "Investigated" in page and "Opened from it" in page
    assert item in client.get(f"/orders/{number}").get_data(as_text=True)
    card = client.get(f"/customers/{signed.customer_id}").get_data(as_text=True)
    assert "Complaint history" in card and item in card
    register = client.get("/items?workflow=corrective-action").get_data(as_text=True)
    assert "CA-" in register
    client.post("/logout")
    login(client, "auditor")
    assert client.post(f"/items/{item}/advance", data={"trigger": "eliminate"}).status_code == 403
    assert client.get("/items").status_code == 200


def test_overdue_lists_what_is_late_for_cron(runner, team, signed):
    complaint = open_item(
        "complaint",
        team["manager"],
        title="Старая жалоба",
        order=signed,
        channel="email",
        received_on=date(2026, 1, 5),
    )
    db.session.commit()
    result = runner.invoke(args=["overdue"])
    assert result.exit_code == 0
    # Received in the New Year holidays: one working day on is Monday 12 January.
    assert complaint.number in result.output and "2026-01-12" in result.output
    mine = runner.invoke(args=["overdue", "--owner", "engineer"])
    assert complaint.number not in mine.output
    assert runner.invoke(args=["overdue", "--owner", "ghost"]).exit_code != 0


def test_complaint_due_dates_respect_the_new_year_holidays(team, signed):
    # Tuesday 30 December 2025: the 31st is a transferred day off, 1-8 January are the
    # New Year holidays, the 9th is another transferred day off, then a weekend.
    complaint = open_item(
        "complaint",
        team["manager"],
        title="Под Новый год",
        order=signed,
        channel="email",
        received_on=date(2025, 12, 30),
    )
    assert complaint.due_on == date(2026, 1, 12)
    assert add_working_days(date(2025, 12, 30), 10) == date(2026, 1, 23)


def test_an_order_due_on_a_day_off_is_late_only_after_the_next_working_day(team, signed):
    from qms.orders.models import Order
    from qms.orders.queries import overdue_clause

    def overdue_on(day: date) -> bool:
        return signed.id in db.session.scalars(select(Order.id).where(*overdue_clause(day)))

    signed.due_on = date(2025, 12, 31)  # a transferred day off before the New Year holidays
    db.session.commit()
    assert not overdue_on(date(2026, 1, 9))  # still the holidays
    assert not overdue_on(date(2026, 1, 12))  # Monday: the first working day, due today
    assert overdue_on(date(2026, 1, 13))
    signed.due_on = date(2026, 11, 21)  # a Saturday
    db.session.commit()
    assert not overdue_on(date(2026, 11, 23)) and overdue_on(date(2026, 11, 24))
    signed.due_on = date(2026, 11, 19)  # a Thursday: late from Friday, as before
    db.session.commit()
    assert not overdue_on(date(2026, 11, 19)) and overdue_on(date(2026, 11, 20))


def test_work_items_are_late_by_the_same_calendar(team, signed):
    complaint = open_item(
        "complaint",
        team["manager"],
        title="Под праздники",
        order=signed,
        channel="email",
        received_on=date(2026, 11, 20),
    )
    complaint.due_on = date(2026, 11, 22)  # a Sunday
    db.session.commit()
    assert complaint not in overdue_items(today=date(2026, 11, 23))
    assert complaint in overdue_items(today=date(2026, 11, 24))


def test_a_corrective_action_due_on_a_holiday_moves_to_the_next_working_day(team, signed):
    action = open_item("corrective-action", team["manager"], title="КД", source="other")
    advance_item(action, "analyse", team["engineer"], values={"root_cause": "x"})
    advance_item(
        action,
        "plan",
        team["manager"],
        values={"actions": "y", "owner": "engineer", "due_on": "2026-01-05"},
    )
    assert action.due_on == date(2026, 1, 12)


def test_extra_days_of_the_administrator_change_due_dates(team, signed):
    from qms.workcalendar.services import CalendarError, remove_day, set_day

    set_day(team["admin"], date(2026, 11, 23), working=False, note="день компании")
    complaint = open_item(
        "complaint",
        team["manager"],
        title="x",
        order=signed,
        channel="email",
        received_on=date(2026, 11, 20),
    )
    assert complaint.due_on == date(2026, 11, 24)  # Monday the 23rd is off
    with pytest.raises(CalendarError):
        set_day(team["manager"], date(2026, 11, 28), working=True, note="x")
    set_day(team["admin"], date(2026, 11, 21), working=True, note="отработка")
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 21)
    remove_day(team["admin"], date(2026, 11, 21), "ошибка")
    assert add_working_days(date(2026, 11, 20), 1) == date(2026, 11, 24)

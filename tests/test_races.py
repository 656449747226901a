"""Everyone submits the same form at the same moment: no answer is a 500, every answer is
a success or a 409 that says what happened (or the form's usual refusal, for those who
arrive after the winner), and the database holds exactly what the successes say."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from qms.audit.models import AuditEvent
from qms.audit.verify import verify_trail
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.models import Order, SalesStage
from qms.packs.models import ContractPack
from qms.records.models import Attachment, Record, Signature
from qms.records.services import create_record
from qms.trace.models import AuditNote
from qms.workitems.models import WorkItem
from qms.workitems.services import advance_item, open_item
from tests.factories import approved_record, make_order, make_team
from tests.race_helpers import assert_success_or_clear_conflict, race

pytestmark = pytest.mark.slow


@pytest.fixture
def team(app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    db.session.commit()
    return team


def _count(*where, of=None) -> int:
    query = select(func.count()).select_from(of) if of is not None else select(func.count())
    return db.session.scalar(query.where(*where))


def _events(action: str) -> int:
    return _count(AuditEvent.action == action, of=AuditEvent)


def _draft(team, author="engineer"):
    order = make_order(team)
    record = create_record(order, "enquiry", author=team[author], title="Запрос", body="…")
    db.session.commit()
    return record


def test_the_same_signature_sent_twenty_times_at_once_is_stored_once(app, team):
    record = _draft(team)
    url = f"/records/{record.id}"
    answers = race(app, ["admin"] * 20, url, f"{url}/sign", {"password": "admin-pw"})
    assert_success_or_clear_conflict(answers, 422)
    assert sum(a.succeeded for a in answers) == 1
    assert _count(Signature.record_id == record.id, of=Signature) == 1
    assert _events("record.approved") == 1


@pytest.mark.parametrize("attempt", range(5))
def test_manager_and_admin_approving_one_record_at_once_one_signature_wins(app, team, attempt):
    record = _draft(team)
    url = f"/records/{record.id}"
    answers = race(
        app,
        ["manager", "admin"],
        url,
        f"{url}/sign",
        lambda i: {"password": ["manager-pw", "admin-pw"][i]},
    )
    assert_success_or_clear_conflict(answers, 422)
    assert sum(a.succeeded for a in answers) == 1
    assert _count(Signature.record_id == record.id, of=Signature) == 1


def test_twenty_revisions_of_one_record_at_once_open_one(app, team):
    record = approved_record(make_order(team), "enquiry", team)
    db.session.commit()
    url = f"/records/{record.id}"
    answers = race(app, ["engineer"] * 20, url, f"{url}/revise", {"reason": "уточнение"})
    assert_success_or_clear_conflict(answers, 422)
    assert sum(a.succeeded for a in answers) == 1
    assert _count(Record.lineage == record.lineage, of=Record) == 2
    assert _events("record.revised") == 1


def test_printing_one_pack_ten_times_at_once_issues_it_once_for_everyone(app, team):
    order = make_order(team)
    db.session.commit()
    url = f"/orders/{order.number}"
    answers = race(app, ["manager", "engineer"] * 5, url, f"{url}/pack")
    assert all(a.status == 302 for a in answers), [(a.status, a.text[:300]) for a in answers]
    assert {a.location for a in answers} == {f"/orders/{order.number}/packs/1.pdf"}
    assert _count(ContractPack.order_id == order.id, of=ContractPack) == 1
    assert _events("pack.issued") == 1


def test_twenty_new_complaints_at_once_each_get_their_own_number(app, team):
    make_order(team)
    db.session.commit()
    customer_id = db.session.scalar(select(Customer.id))
    answers = race(
        app,
        ["manager", "engineer"] * 10,
        "/items/new?workflow=complaint",
        "/items/new",
        lambda i: {"title": f"Жалоба {i}", "customer": str(customer_id), "channel": "email"},
    )
    assert_success_or_clear_conflict(answers)
    created = db.session.scalars(select(WorkItem.number).where(WorkItem.workflow == "complaint"))
    numbers = set(created)
    assert len(numbers) == sum(a.succeeded for a in answers) >= 15
    assert {a.location.removeprefix("/items/") for a in answers if a.succeeded} == numbers
    assert _events("complaint.opened") == len(numbers)


def test_twenty_new_orders_at_once_each_get_their_own_number(app, team):
    make_order(team)
    db.session.commit()
    customer_id = db.session.scalar(select(Customer.id))
    answers = race(
        app,
        ["manager", "manager2", "admin"] * 6 + ["manager"] * 2,
        "/orders/new",
        "/orders/new",
        lambda i: {"title": f"Заказ {i}", "customer_id": str(customer_id), "value": "10"},
    )
    assert_success_or_clear_conflict(answers)
    successes = sum(a.succeeded for a in answers)
    assert successes >= 15
    assert _count(of=Order) == successes + 1
    assert _events("order.created") == successes + 1


def test_ten_people_marking_one_sales_stage_at_once_all_see_it_done(app, team):
    order = make_order(team)
    db.session.commit()
    url = f"/orders/{order.number}"
    answers = race(
        app,
        ["manager", "manager2", "admin"] * 3 + ["manager"],
        url,
        f"{url}/sales-stages",
        {"note": "созвонились"},
        having={"stage": "contact"},
    )
    assert all(a.status == 302 for a in answers), [(a.status, a.text[:300]) for a in answers]
    assert _count(SalesStage.order_id == order.id, of=SalesStage) == 1
    assert _events("order.sales_stage") == 1


def test_ten_advances_of_one_order_at_once_move_it_once(app, team):
    order = make_order(team)
    approved_record(order, "enquiry", team)
    db.session.commit()
    url = f"/orders/{order.number}"
    answers = race(
        app,
        ["manager", "manager2"] * 5,
        url,
        f"{url}/advance",
        having={"trigger": "accept_enquiry"},
    )
    assert_success_or_clear_conflict(answers)
    assert _events("order.accept_enquiry") == 1


def test_ten_new_customers_of_one_name_at_once_make_one(app, team):
    answers = race(
        app, ["manager", "admin"] * 5, "/customers/new", "/customers/new", {"name": "ООО «Гонка»"}
    )
    assert_success_or_clear_conflict(answers, 422)
    assert sum(a.succeeded for a in answers) == 1
    assert _count(Customer.name == "ООО «Гонка»", of=Customer) == 1


def test_ten_edits_of_one_customer_at_once_are_each_whole(app, team):
    make_order(team)
    db.session.commit()
    customer_id = db.session.scalar(select(Customer.id))
    url = f"/customers/{customer_id}/edit"
    answers = race(
        app, ["manager", "admin"] * 5, url, url, lambda i: {"phone": f"+7 495 000-00-{i:02d}"}
    )
    assert_success_or_clear_conflict(answers)
    assert sum(a.succeeded for a in answers) >= 1
    assert _events("customer.edited") == sum(a.succeeded for a in answers)


def test_ten_edits_of_one_draft_at_once_are_each_whole(app, team):
    record = _draft(team)
    url = f"/records/{record.id}/edit"
    answers = race(app, ["engineer", "manager"] * 5, url, url, lambda i: {"body": f"текст {i}"})
    assert_success_or_clear_conflict(answers)
    assert _events("record.edited") == sum(a.succeeded for a in answers) >= 1


def test_ten_audit_notes_at_once_are_all_kept(app, team):
    order = make_order(team)
    db.session.commit()
    url = f"/orders/{order.number}/compliance"
    answers = race(
        app, ["auditor"] * 10, url, f"/orders/{order.number}/notes", {"body": "замечание"}
    )
    assert all(a.status == 302 for a in answers)
    assert _count(AuditNote.order_id == order.id, of=AuditNote) == 10


def test_the_same_file_attached_ten_times_at_once_is_stored_once_per_success(app, team):
    record = _draft(team)
    url = f"/records/{record.id}"
    content = b"%PDF-1.4 one file"
    answers = race(
        app,
        ["engineer"] * 10,
        url,
        f"{url}/attachments",
        lambda i: {"file": (io.BytesIO(content), "scan.pdf")},
    )
    assert_success_or_clear_conflict(answers)
    successes = sum(a.succeeded for a in answers)
    assert successes >= 1
    assert _count(Attachment.record_id == record.id, of=Attachment) == successes
    assert verify_trail().intact


def test_the_command_line_says_a_lost_race_in_one_line(app, team, runner, monkeypatch):
    order = make_order(team)
    db.session.commit()

    def changed_meanwhile(*args, **kwargs):
        raise StaleDataError("UPDATE statement on table 'orders' expected to update 1 row(s)")

    monkeypatch.setattr("qms.orders.cli.advance_order", changed_meanwhile)
    result = runner.invoke(["advance", order.number, "accept_enquiry", "--as", "manager"])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith(
        "Error: someone else changed the same data at the same moment; nothing was saved"
    )


def test_ten_complaints_investigated_at_once_each_open_their_own_corrective_action(app, team):
    order = make_order(team)
    approved_record(order, "contract", team)  # complaints about an order need its contract
    complaints = []
    for i in range(10):
        complaint = open_item(
            "complaint", team["manager"], title=f"Жалоба {i}", order=order, channel="email"
        )
        advance_item(complaint, "acknowledge", team["manager"])
        complaints.append(complaint.number)
    db.session.commit()
    answers = race(
        app,
        ["manager", "engineer"] * 5,
        lambda i: f"/items/{complaints[i]}",
        lambda i: f"/items/{complaints[i]}/advance",
        {"input_findings": "брак пайки", "input_corrective_action_needed": "yes"},
        having={"trigger": "investigate"},
    )
    assert all(a.status == 302 for a in answers), [(a.status, a.text[:300]) for a in answers]
    actions = select(WorkItem.number).where(WorkItem.workflow == "corrective-action")
    assert len(set(db.session.scalars(actions))) == 10
    assert _events("complaint.investigate") == _events("corrective-action.opened") == 10


def test_ten_contacts_and_ten_records_added_at_once_are_all_kept(app, team):
    order = make_order(team)
    db.session.commit()
    customer_url = f"/customers/{order.customer_id}"
    answers = race(
        app,
        ["manager", "admin"] * 5,
        customer_url,
        f"{customer_url}/contacts",
        lambda i: {"name": f"Контакт {i}"},
    )
    assert all(a.status == 302 for a in answers)
    assert _events("customer.contact_added") == 10
    new_record = f"/orders/{order.number}/records/new?kind=enquiry"
    answers = race(
        app,
        ["engineer", "manager"] * 5,
        new_record,
        f"/orders/{order.number}/records/new",
        lambda i: {"title": f"Запрос {i}"},
    )
    assert all(a.status == 302 for a in answers), [(a.status, a.text[:300]) for a in answers]
    assert _count(Record.order_id == order.id, of=Record) == 10


def test_one_user_changing_their_language_from_two_tabs_at_once(app, team):
    answers = race(
        app,
        ["manager"] * 6,
        "/settings/language",
        "/settings/language",
        lambda i: {"language": ["ru", "en"][i % 2]},
    )
    assert_success_or_clear_conflict(answers)
    assert sum(a.succeeded for a in answers) >= 1

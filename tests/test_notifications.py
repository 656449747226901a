"""The inbox and notifications: who is told what, in their language, in the app and by
e-mail through an outbox that a real SMTP server (aiosmtpd) receives after commit."""

from __future__ import annotations

import html as html_lib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from qms.extensions import db
from qms.notify.delivery import send_due
from qms.notify.models import Notification, OutboxMessage
from qms.notify.schedule import scan
from qms.orders.services import advance_order
from qms.records.services import create_record
from qms.records.signing import request_signature, send_back, sign_record
from qms.timeutil import utcnow
from qms.workitems.services import advance_item, open_item
from tests.conftest import FreshContextClient
from tests.factories import approved_record, make_order, make_team
from tests.smtp_server import SmtpServer, free_port


@pytest.fixture
def team(app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    for user in team.values():
        user.email = f"{user.username}@example.com"
    team["manager"].language = "ru"
    db.session.commit()
    return team


@pytest.fixture
def smtp(app):
    server = SmtpServer().start()
    app.config["QMS_SMTP_URL"] = server.url
    yield server
    server.stop()


def client_for(app, username: str):
    app.test_client_class = FreshContextClient
    client = app.test_client()
    client.post("/login", data={"username": username, "password": f"{username}-pw"})
    return client


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def notifications(user) -> list[Notification]:
    db.session.expire_all()
    return db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()


def test_a_signature_request_reaches_the_signer_once_in_their_language(app, team, smtp, runner):
    order = make_order(team)
    spec = create_record(order, "technical_specification", author=team["engineer"], title="ТЗ-7")
    db.session.commit()
    engineer = client_for(app, "engineer")
    page = engineer.get(f"/records/{spec.id}").get_data(as_text=True)
    assert "Ask for a signature" in page and "Manager" in page and "Admin" in page
    asked = engineer.post(
        f"/records/{spec.id}/request-signature", data={"signer": team["manager"].id}
    )
    assert asked.status_code == 302

    first = runner.invoke(args=["notify", "send"])
    assert first.exit_code == 0 and "1 sent, 0 failed" in first.output
    again = runner.invoke(args=["notify", "send"])
    assert "0 sent, 0 failed" in again.output
    received = smtp.mailbox.to("manager@example.com")
    assert len(received) == 1  # once, whatever number of sends
    mail = received[0]
    assert mail["Subject"] == "[qms] Запрошена подпись"
    body = mail.get_content()
    assert "Engineer просит вас подписать «ТЗ-7»" in body
    assert f"http://127.0.0.1:5000/records/{spec.id}" in body
    assert mail["Content-Language"] == "ru"

    manager = client_for(app, "manager")
    inbox = html_lib.unescape(manager.get("/inbox").get_data(as_text=True))
    assert "ТЗ-7" in inbox and "Ждёт вашей подписи" in inbox
    assert re.search(r'<span class="count"[^>]*>2</span>', inbox)  # the request and the record


def test_mail_waits_while_the_server_is_down_and_goes_later(app, team):
    port = free_port()
    app.config["QMS_SMTP_URL"] = f"smtp://127.0.0.1:{port}"  # nothing listens there yet
    spec = create_record(make_order(team), "contract", author=team["engineer"], title="Договор")
    request_signature(spec, requester=team["engineer"], signer=team["admin"])
    db.session.commit()

    down = send_due()
    assert (down.sent, down.failed) == (0, 1)
    [waiting] = outbox()
    assert waiting.status == "pending" and waiting.attempts == 1
    assert "cannot reach the mail server" in waiting.last_error
    assert send_due().failed == 0  # not due again yet: it waits, it is not lost

    server = SmtpServer(port).start()
    try:
        later = send_due(now=utcnow() + timedelta(minutes=2))
        assert (later.sent, later.failed) == (1, 0)
        assert len(server.mailbox.to("admin@example.com")) == 1
    finally:
        server.stop()
    assert outbox()[0].status == "sent"


def test_a_rolled_back_change_tells_no_one(app, team, smtp):
    spec = create_record(make_order(team), "contract", author=team["engineer"], title="Договор")
    db.session.commit()
    request_signature(spec, requester=team["engineer"], signer=team["admin"])
    db.session.rollback()
    assert outbox() == [] and notifications(team["admin"]) == []


def test_asking_someone_who_may_not_sign_is_refused_in_words(app, team):
    spec = create_record(make_order(team), "contract", author=team["manager"], title="Договор")
    db.session.commit()
    manager = client_for(app, "manager")
    response = manager.post(
        f"/records/{spec.id}/request-signature", data={"signer": team["engineer"].id}
    )
    assert response.status_code == 422
    page = html_lib.unescape(response.get_data(as_text=True))  # the manager reads Russian
    assert "Engineer не может подписать эту редакцию: подписывать записи этого вида" in page


def test_sending_back_and_approving_tell_the_contributors(app, team, smtp):
    spec = create_record(make_order(team), "contract", author=team["engineer"], title="Договор")
    send_back(spec, approver=team["admin"], reason="Нет сроков оплаты")
    sign_record(
        spec,
        signer=team["admin"],
        password="admin-pw",
        meaning="approved",
        seen_sha256=spec.content_hash(),
    )
    db.session.commit()
    kinds = [(n.kind, n.params.get("reason")) for n in notifications(team["engineer"])]
    assert kinds == [("record_sent_back", "Нет сроков оплаты"), ("record_approved", None)]
    assert [m.subject for m in outbox()] == ["[qms] Record sent back", "[qms] Record approved"]


def test_a_step_on_my_order_tells_me_and_mail_follows_my_settings(app, team, smtp):
    order = make_order(team)
    approved_record(order, "enquiry", team)  # the manager wrote it: the approval is told
    advance_order(order, "accept_enquiry", team["manager2"])
    db.session.commit()
    kinds = [n.kind for n in notifications(team["manager"])]
    assert kinds == ["record_approved", "step_taken"]
    assert [m.subject for m in outbox()] == ["[qms] Запись утверждена"]  # steps: app only

    manager = client_for(app, "manager")
    page = html_lib.unescape(manager.get("/inbox").get_data(as_text=True))
    assert "Шаг по вашему заказу" in page
    assert "Manager2: «Принять запрос в работу» по заказу 2026-0001; теперь он на этапе" in page
    manager.post("/inbox/settings", data={"email": ["step_taken"]})  # and no approvals
    approved_record(order, "customer_requirements", team)
    advance_order(order, "draft_specification", team["manager2"])
    db.session.commit()
    assert [m.subject for m in outbox()] == [
        "[qms] Запись утверждена",
        "[qms] Шаг по вашему заказу",
    ]


def test_overdue_work_is_told_once_and_escalated_to_the_orders_manager(app, team):
    order = make_order(team)
    action = open_item(
        "corrective-action", team["manager"], order=order, title="Проверка", source="other"
    )
    advance_item(action, "analyse", team["engineer"], values={"root_cause": "причина"})
    due = utcnow().date() - timedelta(days=10)
    advance_item(
        action,
        "plan",
        team["manager"],
        values={"actions": "меры", "owner": "engineer", "due_on": due.isoformat()},
    )
    db.session.commit()
    assert [n.kind for n in notifications(team["engineer"])] == ["item_assigned"]

    assert scan() == 2
    db.session.commit()
    assert [n.kind for n in notifications(team["engineer"])] == ["item_assigned", "overdue"]
    assert [n.kind for n in notifications(team["manager"])] == ["overdue_escalated"]
    assert scan() == 0  # once per item and due date, however often the scan runs


def test_the_inbox_lists_only_what_this_user_may_sign(app, team):
    order = make_order(team)
    mine = create_record(order, "contract", author=team["manager"], title="Мой договор")
    theirs = create_record(order, "technical_specification", author=team["engineer"], title="ТЗ")
    db.session.commit()
    page = client_for(app, "manager").get("/inbox").get_data(as_text=True)
    assert f"/records/{theirs.id}" in page and f"/records/{mine.id}" not in page
    engineer_page = client_for(app, "engineer").get("/inbox").get_data(as_text=True)
    assert "/records/" not in engineer_page.split('id="to-sign"')[1].split("</section>")[0]
    count = db.session.scalar(select(func.count()).select_from(Notification))
    assert count == 0

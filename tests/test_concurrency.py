"""Two people advancing the same order at the same moment: exactly one wins."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.audit.verify import verify_trail
from qms.auth.models import User
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import advance_order
from qms.workflow.engine import ConcurrentChange, TransitionRefused
from tests.factories import approved_record, make_order, make_team


def test_two_concurrent_advances_of_one_order_exactly_one_wins(app):
    team = make_team()
    order = make_order(team)
    approved_record(order, "enquiry", team)
    approved_record(
        order,
        "refusal",
        team,
        fields={
            "reason": "cannot_fulfil_now",
            "importance": "strategic",
            "heard_from": "выставка",
            "alternative": "wait",
        },
    )
    db.session.commit()
    order_id = order.id
    both_loaded = threading.Barrier(2, timeout=10)
    outcomes: dict[str, str] = {}

    def advance(username: str, trigger: str) -> None:
        with app.app_context():
            try:
                mine = db.session.get(Order, order_id)
                actor = db.session.scalars(select(User).filter_by(username=username)).one()
                assert mine.state == "enquiry"
                both_loaded.wait()  # both have read the order before either writes
                advance_order(mine, trigger, actor)
                db.session.commit()
                outcomes[trigger] = "won"
            except (ConcurrentChange, TransitionRefused) as exc:
                db.session.rollback()
                outcomes[trigger] = f"lost: {exc}"
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=advance, args=("manager", "accept_enquiry")),
        threading.Thread(target=advance, args=("manager2", "decline")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(o.split(":")[0] for o in outcomes.values()) == ["lost", "won"], outcomes
    loser = next(o for o in outcomes.values() if o.startswith("lost"))
    assert "reload and try again" in loser
    db.session.expire_all()
    final = db.session.get(Order, order_id)
    winner = next(t for t, o in outcomes.items() if o == "won")
    assert final.state == {"accept_enquiry": "pre_contract", "decline": "declined"}[winner]
    assert final.version == 2
    moves = db.session.scalar(
        select(func.count()).where(
            AuditEvent.order_id == order_id,
            AuditEvent.action.like("order.%"),
            AuditEvent.action != "order.created",
        )
    )
    assert moves == 1
    assert verify_trail().intact

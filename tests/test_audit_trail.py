"""The audit trail is append-only and hash-chained; tampering is caught and named."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from qms.audit.models import AuditEvent
from qms.audit.trail import verify_chain
from qms.extensions import db
from qms.records.models import Record, Signature
from tests.conftest import USE_POSTGRES
from tests.factories import approved_record, make_order, make_team


@pytest.fixture
def history(app):
    team = make_team()
    order = make_order(team)
    record = approved_record(order, "enquiry", team)
    db.session.commit()
    return team, order, record


def _drop_guard(insider, table: str, operation: str) -> None:
    """What someone with direct database access would do first (on PostgreSQL only the
    tables' owner can; the application's role cannot: tests/test_database_roles.py)."""
    name = f"{table}_no_{operation}"
    if USE_POSTGRES:
        insider.execute(text(f"DROP TRIGGER {name} ON {table}"))
    else:
        insider.execute(text(f"DROP TRIGGER {name}"))


def test_every_change_is_in_an_intact_chain(history):
    result = verify_chain()
    assert result.intact
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions == ["user.created"] * 5 + ["order.created", "record.created", "record.approved"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET reason = 'edited' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 3",
        "UPDATE signatures SET meaning = 'reviewed'",
        "DELETE FROM signatures",
        "UPDATE records SET body = 'rewritten' WHERE status = 'approved'",
        "DELETE FROM records WHERE status = 'approved'",
    ],
)
def test_the_database_refuses_to_change_evidence(history, insider, statement):
    # As the insider, who holds every privilege on the tables: the triggers refuse it.
    with pytest.raises(DatabaseError, match=r"append-only|cannot be changed"):
        insider.execute(text(statement))
    insider.rollback()
    assert verify_chain().intact


def test_an_altered_event_row_is_caught_and_named(history, insider, runner):
    _drop_guard(insider, "audit_events", "update")
    insider.execute(text("UPDATE audit_events SET actor_name = 'someone' WHERE seq = 2"))
    insider.commit()
    event_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.seq == 2))

    result = runner.invoke(args=["audit", "verify"])

    assert result.exit_code == 1
    assert f"BROKEN at event #2 (id {event_id})" in result.output
    assert "content does not match its hash" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_removed_event_is_caught(history, insider, runner):
    _drop_guard(insider, "audit_events", "delete")
    insider.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    insider.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "event #3" in result.output and "missing" in result.output


def test_events_cut_off_the_end_of_the_chain_are_caught(history, insider):
    _drop_guard(insider, "audit_events", "delete")
    insider.execute(text("DELETE FROM audit_events WHERE seq = 8"))
    insider.commit()
    result = verify_chain()
    assert not result.intact
    assert "events were removed" in result.problem


def test_a_rehashed_forgery_still_breaks_the_link(history, insider):
    """Recomputing one event's hash after editing it breaks the next event's link."""
    from qms.audit.trail import event_hash

    event = db.session.scalars(select(AuditEvent).where(AuditEvent.seq == 1)).one()
    forged_hash = event_hash(event.prev_hash, event.payload() | {"actor_name": "forger"})
    db.session.commit()  # ends the read: on SQLite its snapshot would hide the forgery
    _drop_guard(insider, "audit_events", "update")
    insider.execute(
        text("UPDATE audit_events SET actor_name = 'forger', hash = :h WHERE seq = 1"),
        {"h": forged_hash},
    )
    insider.commit()
    db.session.expire_all()
    result = verify_chain()
    assert (result.intact, result.first_broken_seq) == (False, 2)


def test_audit_verify_intact_exits_zero(history, runner):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0
    assert "intact: 8 events verified" in result.output


def test_signature_stores_the_hash_of_what_was_signed(history):
    _, _, record = history
    signature = db.session.scalars(select(Signature)).one()
    assert signature.content_sha256 == record.content_hash() == record.content_sha256
    assert db.session.get(Record, record.id).is_approved

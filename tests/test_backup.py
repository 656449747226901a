"""Backup and restore as a round trip, on whichever database the suite runs against."""

from __future__ import annotations

from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.extensions import db
from qms.orders.models import Order
from tests.factories import approved_record, make_order, make_team


def _snapshot():
    db.session.expire_all()
    return (
        sorted(db.session.execute(select(Order.number, Order.state)).all()),
        db.session.scalar(select(func.count()).select_from(AuditEvent)),
    )


def test_backup_and_restore_round_trip(runner, app, tmp_path):
    team = make_team()
    order = make_order(team, title="До резервной копии")
    approved_record(order, "enquiry", team)
    db.session.commit()
    before = _snapshot()
    backup_file = tmp_path / "qms.backup"

    result = runner.invoke(args=["backup", "-o", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert "backup written" in result.output

    # Life goes on after the backup ...
    make_order(team, title="После резервной копии")
    db.session.commit()
    assert _snapshot() != before

    # ... and the restore brings back exactly what was backed up; the trail itself is whole,
    # but the checkpoints made since say that events were lost, until that is accepted.
    refused = runner.invoke(args=["restore", str(backup_file)])
    assert refused.exit_code != 0 and "add --yes" in refused.output
    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 1, result.output
    assert "chain: " in result.output and "an older backup was restored" in result.output
    assert _snapshot() == before
    accepted = runner.invoke(args=["audit", "accept-rollback", "--reason", "restore test"])
    assert accepted.exit_code == 0, accepted.output
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_restoring_a_backup_of_the_current_state_verifies(runner, tmp_path):
    team = make_team()
    approved_record(make_order(team), "enquiry", team)
    db.session.commit()
    backup_file = tmp_path / "qms.backup"
    assert runner.invoke(args=["backup", "-o", str(backup_file)]).exit_code == 0
    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit trail intact" in result.output


def test_restore_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a database")
    result = runner.invoke(args=["restore", str(bogus), "--yes"])
    assert result.exit_code != 0
    assert "is not a" in result.output and "made by `qms backup`" in result.output
    missing = runner.invoke(args=["restore", str(tmp_path / "nope.db"), "--yes"])
    assert missing.exit_code != 0 and "cannot read" in missing.output

"""The audit trail is append-only, hash-chained, signed with a key the database never holds,
and anchored outside the database; tampering by someone with full write access to the
database (the `insider` connection) is caught and named by `qms audit verify`."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from qms.audit.models import AuditEvent, event_payload
from qms.audit.trail import event_hash
from qms.audit.verify import verify_trail
from qms.extensions import db
from qms.records.models import Record, Signature
from qms.timeutil import utcnow
from tests.conftest import USE_POSTGRES
from tests.factories import approved_record, make_order, make_team

USERS = 5  # make_team's users, each born in the trail


@pytest.fixture
def history(app):
    team = make_team()
    order = make_order(team)
    record = approved_record(order, "enquiry", team)
    db.session.commit()
    return team, order, record


def run(insider, statement: str, **params) -> None:
    # The test's own session must hold no transaction (and so no lock) meanwhile, as a
    # separate process would not: on PostgreSQL, DDL would wait for it.
    db.session.rollback()
    insider.execute(text(statement), params)
    insider.commit()


def drop_guard(insider, table: str, operation: str) -> None:
    """What someone with direct database access would do first."""
    name = f"{table}_no_{operation}"
    run(insider, f"DROP TRIGGER {name} ON {table}" if USE_POSTGRES else f"DROP TRIGGER {name}")


def verify(runner) -> tuple[int, str]:
    result = runner.invoke(args=["audit", "verify"])
    return result.exit_code, result.output


def test_every_change_is_in_an_intact_chain(history, runner):
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    expected = ["user.created"] * USERS + ["order.created", "record.created", "record.approved"]
    assert actions == expected
    assert all(db.session.scalars(select(AuditEvent.mac)))
    code, output = verify(runner)
    assert code == 0, output
    assert f"audit trail head: #{len(expected)} " in output
    assert f"audit trail intact: {len(expected)} events verified" in output


def test_each_committed_batch_is_anchored_in_the_checkpoint_file(history, app):
    lines = Path(app.config["QMS_AUDIT_CHECKPOINT_FILE"]).read_text().splitlines()
    heads = [json.loads(line)["seq"] for line in lines]
    assert heads[-1] == USERS + 3  # the last commit's head
    assert heads == sorted(heads)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET reason = 'edited' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 3",
        "UPDATE signatures SET meaning = 'reviewed'",
        "DELETE FROM signatures",
        "UPDATE records SET body = 'rewritten' WHERE status = 'approved'",
        "DELETE FROM records WHERE status = 'approved'",
        "UPDATE blobs SET size = 0",
        "DELETE FROM audit_checkpoints",
        "DELETE FROM record_contributions",
    ],
)
def test_the_database_refuses_to_change_evidence(history, insider, statement):
    if statement.startswith(("UPDATE blobs", "DELETE FROM audit_checkpoints")):
        run(
            insider,
            "INSERT INTO blobs (sha256, size, content_type, content) VALUES ('x', 1, 't', :c)",
            c=b"x",
        )
        run(
            insider,
            "INSERT INTO audit_checkpoints (seq, hash, made_at, kind, mac) "
            "VALUES (1, 'h', :t, 'checkpoint', 'm')",
            t=utcnow().replace(tzinfo=None),
        )
    with pytest.raises(DatabaseError, match=r"append-only|cannot be changed|cannot be removed"):
        run(insider, statement)
    insider.rollback()


def _forge_event(insider, key: bytes | None) -> None:
    """(5a) With every trigger on: append an event hashed by hand and move the head to it."""
    seq, prev = insider.execute(text("SELECT seq, hash FROM audit_chain_head")).one()
    values = {
        "seq": seq + 1,
        "occurred_at": utcnow(),
        "actor_id": None,
        "actor_name": "admin",
        "action": "record.approved",
        "entity_type": "record",
        "entity_id": 1,
        "order_id": 1,
        "from_state": None,
        "to_state": None,
        "changes": {},
        "reason": None,
        "origin": "web",
        "origin_detail": "10.0.0.1",
        "prev_hash": prev,
    }
    digest = event_hash(prev, event_payload(SimpleNamespace(**values)))
    mac = hmac.new(key, digest.encode(), hashlib.sha256).hexdigest() if key else None
    run(
        insider,
        "INSERT INTO audit_events (seq, occurred_at, actor_name, action, entity_type, entity_id, "
        "order_id, changes, origin, origin_detail, prev_hash, hash, mac) VALUES (:seq, :at, "
        "'admin', 'record.approved', 'record', 1, 1, '{}', 'web', '10.0.0.1', :prev, :h, :mac)",
        seq=seq + 1,
        at=values["occurred_at"].replace(tzinfo=None),
        prev=prev,
        h=digest,
        mac=mac,
    )
    run(insider, "UPDATE audit_chain_head SET seq = :s, hash = :h", s=seq + 1, h=digest)


@pytest.mark.parametrize("key", [None, b"a guessed key"])
def test_an_event_inserted_by_hand_is_caught(history, insider, runner, key):
    _forge_event(insider, key)
    code, output = verify(runner)
    assert code == 1
    assert f"event #{USERS + 4}" in output and "not written by qms" in output


def test_a_tail_cut_with_the_head_wound_back_is_caught(history, insider, runner):
    """(5b) Drop the triggers, delete the last events, wind the head back."""
    drop_guard(insider, "audit_events", "delete")
    run(insider, "DELETE FROM audit_events WHERE seq > 6")
    head = insider.execute(text("SELECT hash FROM audit_events WHERE seq = 6")).scalar_one()
    run(insider, "UPDATE audit_chain_head SET seq = 6, hash = :h", h=head)
    code, output = verify(runner)
    assert code == 1
    assert "chain: 6 events verified" in output
    assert f"checkpoint #{USERS + 3}" in output and "beyond the end of the trail (#6)" in output


def test_an_event_altered_and_every_later_hash_recomputed_is_caught(history, insider, runner):
    """(5c) Change event 6 and recompute every later hash: the MACs cannot be recomputed."""
    drop_guard(insider, "audit_events", "update")
    rows = insider.execute(select(AuditEvent.__table__).order_by(AuditEvent.seq)).all()
    prev = None
    for row in rows:
        if row.seq < 6:
            prev = row.hash
            continue
        values = row._asdict() | {"prev_hash": prev}
        if row.seq == 6:
            values["actor_name"] = "someone else"
        digest = event_hash(prev, event_payload(SimpleNamespace(**values)))
        run(
            insider,
            "UPDATE audit_events SET actor_name = :a, prev_hash = :p, hash = :h WHERE seq = :s",
            a=values["actor_name"],
            p=prev,
            h=digest,
            s=row.seq,
        )
        prev = digest
    run(insider, "UPDATE audit_chain_head SET hash = :h", h=prev)
    code, output = verify(runner)
    assert code == 1
    assert "event #6" in output and "signature does not match" in output


def test_an_altered_event_row_is_caught_and_named(history, insider, runner):
    drop_guard(insider, "audit_events", "update")
    run(insider, "UPDATE audit_events SET actor_name = 'someone' WHERE seq = 2")
    event_id = db.session.scalar(select(AuditEvent.id).where(AuditEvent.seq == 2))
    code, output = verify(runner)
    assert code == 1
    assert f"event #2 (id {event_id}): its content does not match its hash" in output


def test_a_removed_event_is_caught(history, insider, runner):
    drop_guard(insider, "audit_events", "delete")
    run(insider, "DELETE FROM audit_events WHERE seq = 2")
    code, output = verify(runner)
    assert code == 1 and "event #2 is missing (the next one is #3)" in output


def test_reordered_events_are_caught(history, insider, runner):
    drop_guard(insider, "audit_events", "update")
    run(insider, "UPDATE audit_events SET seq = -1 WHERE seq = 2")
    run(insider, "UPDATE audit_events SET seq = 2 WHERE seq = 3")
    run(insider, "UPDATE audit_events SET seq = 3 WHERE seq = -1")
    code, output = verify(runner)
    assert code == 1 and "event #2" in output


def test_a_wholesale_reset_of_the_trail_is_caught(history, insider, runner):
    """(5d) Delete every event and reset the head: "0 events verified" is not intact."""
    drop_guard(insider, "audit_events", "delete")
    run(insider, "DELETE FROM audit_events")
    run(insider, "UPDATE audit_chain_head SET seq = 0, hash = :h", h="0" * 64)
    code, output = verify(runner)
    assert code == 1
    assert "chain: 0 events verified" in output
    assert "beyond the end of the trail (#0)" in output


def test_a_trigger_disabled_and_enabled_again_does_not_hide_a_cut(history, insider, runner):
    """(5e) With triggers disabled around the deletion (the owner can; the app role cannot,
    see tests/test_database_roles.py), the cut is still caught."""
    if USE_POSTGRES:
        run(insider, "ALTER TABLE audit_events DISABLE TRIGGER USER")
        run(insider, "DELETE FROM audit_events WHERE seq > 7")
        run(insider, "ALTER TABLE audit_events ENABLE TRIGGER USER")
    else:  # SQLite has no DISABLE TRIGGER: drop it and make it again
        drop_guard(insider, "audit_events", "delete")
        run(insider, "DELETE FROM audit_events WHERE seq > 7")
        run(
            insider,
            "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events FOR EACH ROW "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END",
        )
    head = insider.execute(text("SELECT hash FROM audit_events WHERE seq = 7")).scalar_one()
    run(insider, "UPDATE audit_chain_head SET seq = 7, hash = :h", h=head)
    code, output = verify(runner)
    assert code == 1 and "beyond the end of the trail (#7)" in output


def test_a_restored_older_backup_is_caught_until_the_rollback_is_accepted(
    history, runner, tmp_path
):
    """(5f) qms backup, change something, qms restore the old file."""
    team, _, _ = history
    backup = tmp_path / "old.backup"
    assert runner.invoke(args=["backup", "-o", str(backup)]).exit_code == 0
    make_order(team, title="После копии")
    db.session.commit()

    restored = runner.invoke(args=["restore", str(backup), "--yes"])
    assert restored.exit_code == 1
    assert "beyond the end of the trail" in restored.output
    assert "qms audit accept-rollback" in restored.output
    code, output = verify(runner)
    assert code == 1 and "an older backup was restored" in output

    refused = runner.invoke(args=["audit", "accept-rollback", "--reason", " "])
    assert refused.exit_code == 1
    accepted = runner.invoke(
        args=["audit", "accept-rollback", "--reason", "диск сервера заменён, восстановлено"]
    )
    assert accepted.exit_code == 0, accepted.output
    code, output = verify(runner)
    assert code == 0, output
    assert "note: a rollback to #8 was accepted" in output and "superseded" in output
    last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert last.action == "audit.rollback_accepted" and last.origin == "cli"


def test_a_forged_or_edited_checkpoint_line_is_caught(history, app, runner):
    path = app.config["QMS_AUDIT_CHECKPOINT_FILE"]
    lines = Path(path).read_text().splitlines()
    forged = json.loads(lines[-1]) | {"seq": 3}
    with open(path, "a") as file:
        file.write(json.dumps(forged) + "\n" + "not a checkpoint\n")
    code, output = verify(runner)
    assert code == 1
    assert "signature that does not match" in output
    assert f"line {len(lines) + 2} is not a checkpoint" in output


def test_a_head_printed_elsewhere_catches_a_rewrite_even_without_the_file(
    history, app, insider, runner
):
    """A pack's cover or an audit report prints the head: a copy outside anchors the trail."""
    head = verify_trail()
    printed = f"{head.head_seq}:{head.head_hash}"
    Path(app.config["QMS_AUDIT_CHECKPOINT_FILE"]).write_text("")  # the insider empties it too
    drop_guard(insider, "audit_events", "delete")
    run(insider, "DELETE FROM audit_events WHERE seq > 6")
    six = insider.execute(text("SELECT hash FROM audit_events WHERE seq = 6")).scalar_one()
    run(insider, "UPDATE audit_chain_head SET seq = 6, hash = :h", h=six)
    # The file was emptied too: the chain alone now looks whole (the data check would still
    # see the approval gone), and the printed head is what names the cut.
    assert runner.invoke(args=["audit", "verify", "--skip-data"]).exit_code == 0
    result = runner.invoke(args=["audit", "verify", "--skip-data", "--anchor", printed])
    assert result.exit_code == 1
    assert f"the printed head #{head.head_seq} is beyond the end of the trail" in result.output


def test_verification_from_the_last_checkpoint_checks_what_came_since(history, insider, runner):
    team, _, _ = history
    checkpoint = runner.invoke(args=["audit", "checkpoint"])
    assert checkpoint.exit_code == 0 and f"head #{USERS + 3} " in checkpoint.output
    make_order(team, title="Ещё заказ")
    db.session.commit()  # its head, #9, is anchored in the file at the commit
    result = runner.invoke(args=["audit", "verify", "--since-checkpoint"])
    assert result.exit_code == 0, result.output
    assert f"1 events verified (from checkpoint #{USERS + 4})" in result.output

    _forge_event(insider, None)  # written beside qms: no checkpoint follows it
    result = runner.invoke(args=["audit", "verify", "--since-checkpoint"])
    assert result.exit_code == 1 and f"event #{USERS + 5}" in result.output


def test_signature_stores_the_hash_of_what_was_signed(history):
    _, _, record = history
    signature = db.session.scalars(select(Signature)).one()
    assert signature.content_sha256 == record.content_hash() == record.content_sha256
    assert db.session.get(Record, record.id).is_approved


def test_a_checkpoint_file_moved_away_is_made_again_at_its_path(history, app):
    team, _, _ = history
    path = Path(app.config["QMS_AUDIT_CHECKPOINT_FILE"])
    path.rename(path.with_suffix(".old"))
    make_order(team, title="После переноса файла")
    db.session.commit()
    lines = path.read_text().splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [USERS + 4]


def test_the_check_since_the_last_checkpoint_reads_only_the_files_newest_lines(
    history, app, runner, monkeypatch
):
    """A line per committed change: the incremental check reads the newest lines, yet a
    restored older backup (the file's newest anchor beyond the trail) is still caught."""
    import qms.audit.verify as verifying
    from qms.audit.anchor import append_to_file
    from qms.audit.trail import audit_key

    team, _, _ = history
    for n in range(12):
        make_order(team, title=f"order {n}")
        db.session.commit()  # a line each
    path = Path(app.config["QMS_AUDIT_CHECKPOINT_FILE"])
    first_line = path.read_text().splitlines()[0]
    monkeypatch.setattr(verifying, "INCREMENTAL_TAIL_BYTES", 3 * len(first_line) + 10)
    # An old line spoilt: outside what the incremental check reads, inside the full check.
    lines = path.read_text().splitlines()
    path.write_text("\n".join(["garbage", *lines[1:]]) + "\n")
    since = runner.invoke(args=["audit", "verify", "--since-checkpoint", "--skip-data"])
    assert since.exit_code == 0, since.output
    head = USERS + 3 + 12
    assert f"1 events verified (from checkpoint #{head})" in since.output
    full = runner.invoke(args=["audit", "verify", "--skip-data"])
    assert full.exit_code == 1 and "line 1 is not a checkpoint" in full.output

    # The database restored to before its newest commits: the file's newest line is ahead.
    append_to_file(path, audit_key(), "checkpoint", head + 4, "0" * 64)
    result = runner.invoke(args=["audit", "verify", "--since-checkpoint", "--skip-data"])
    assert result.exit_code == 1, result.output
    assert f"checkpoint #{head + 4}" in result.output
    assert "line 1 from the end" in result.output and "beyond the end of the trail" in result.output

"""The fast paths (issue 18) check and write exactly what the ordinary ones do: events
written through the driver read back as the ORM reads them, the raw verification walk
agrees with the ordinary check on unusual content and names the same tampering, and the
commands start without the libraries only some of them use."""

from __future__ import annotations

import hmac
import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from qms.audit.chain_rows import COLUMNS, canonical_payload, hmac_states
from qms.audit.models import AuditEvent, event_payload
from qms.audit.trail import canonical_json, event_hash, record_event
from qms.audit.verify import verify_trail
from qms.extensions import db
from tests.conftest import USE_POSTGRES
from tests.factories import make_order, make_team

UNUSUAL = [
    {"title": 'кавычки " и \\ обратная черта', "nested": {"b": [1, 2.5, None], "a": True}},
    {"line": "перевод\nстроки\tи\u2028разделитель", "control": "\x01\x1f", "emoji": "🙂"},
    {"value": "1200.00", "empty": {}, "list": [], "zero": 0, "false": False},
]


SET_CHANGES = text(
    "UPDATE audit_events SET changes = "
    + ("CAST(:c AS json)" if USE_POSTGRES else ":c")
    + " WHERE seq = :s"
)


@pytest.fixture
def unusual_events(app):
    team = make_team()
    order = make_order(team)
    for n, changes in enumerate(UNUSUAL):
        record_event(
            actor=team["manager"],
            action="order.noted",
            entity_type="order",
            entity_id=order.id,
            order_id=order.id,
            changes=changes,
            reason=None if n == 0 else f'причина "{n}"\n',
        )
    record_event(actor=None, action="audit.system", entity_type="audit", entity_id=None)
    db.session.commit()
    return team, order


def test_events_written_through_the_driver_read_back_as_hashed(unusual_events):
    db.session.expire_all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [e.changes for e in events if e.action == "order.noted"] == UNUSUAL
    for event in events:
        assert event.occurred_at.tzinfo is not None
        assert event_hash(event.prev_hash, event_payload(event)) == event.hash


def test_the_raw_canonical_payload_is_the_ordinary_one(unusual_events):
    connection = db.session.connection()
    raw = connection.exec_driver_sql(f"SELECT {COLUMNS} FROM audit_events ORDER BY seq").all()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert len(raw) == len(events) > len(UNUSUAL)
    for row, event in zip(raw, events, strict=True):
        assert canonical_payload(tuple(row)) == canonical_json(event_payload(event))


@pytest.mark.parametrize("key", [b"", b"bench-audit-key", "ключ".encode() * 20])
def test_the_walks_mac_is_hmac_sha256(key):
    """The walk's MAC, from the key's padded blocks hashed once, is the standard one,
    whatever the key's length (keys longer than a block are hashed first)."""
    inner, outer = hmac_states(key)
    for message in (b"", b"0" * 64, "событие".encode()):
        mac, signed = inner.copy(), outer.copy()
        mac.update(message)
        signed.update(mac.digest())
        assert signed.hexdigest() == hmac.digest(key, message, "sha256").hex()


def test_the_walk_verifies_unusual_events_and_names_an_altered_one(unusual_events, insider):
    report = verify_trail(check_data=False)
    assert report.intact, report.summary()
    assert report.events_checked == db.session.scalar(select(db.func.count(AuditEvent.id)))

    seq, event_id, changes = db.session.execute(
        select(AuditEvent.seq, AuditEvent.id, AuditEvent.changes).where(
            AuditEvent.action == "order.noted"
        )
    ).first()
    db.session.rollback()
    guard = "audit_events_no_update"
    insider.execute(text(f"DROP TRIGGER {guard}" + (" ON audit_events" if USE_POSTGRES else "")))
    # The same JSON with its keys in another order and other spacing is the same content.
    reordered = json.dumps(dict(reversed(list(changes.items()))), indent=1, ensure_ascii=True)
    insider.execute(SET_CHANGES, {"c": reordered, "s": seq})
    insider.commit()
    assert verify_trail(check_data=False).intact
    altered = {**changes, "title": changes["title"] + "!"}
    insider.execute(SET_CHANGES, {"c": json.dumps(altered), "s": seq})
    insider.commit()
    report = verify_trail(check_data=False)
    assert not report.intact
    assert (report.first_broken_seq, report.first_broken_id) == (seq, event_id)
    assert report.events_checked == seq - 1
    assert "its content does not match its hash" in report.problem


def test_commands_start_without_the_libraries_only_some_use(tmp_path):
    heavy = ("weasyprint", "pyhanko", "pikepdf", "openpyxl", "authlib", "zxcvbn")
    script = (
        "import sys\n"
        "from qms import create_app\n"
        "create_app({'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r}))\n"
    )
    env = {**os.environ, "QMS_INSTANCE_PATH": str(tmp_path)}
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert loaded.strip() == "[]"

"""Committed order transitions per second: guards, audit event and commit, one process.

Ours: load the order, `advance_order`, commit, per transition. Plain SQL: the same
writes (the order's state and version, the chain head, the audit event) by hand on the
same database, one commit each. Both alternate in batches; the medians are reported.
Goal (issue 7): >= 1,000/s on SQLite, ratio >= 0.4. PostgreSQL is measured too when
QMS_PG_SERVER (set by tools/with-postgres.sh, as `make bench` does, with the application
role; QMS_PG_OWNER_SERVER migrates) or QMS_BENCH_DATABASE_URL names a server.
"""

from __future__ import annotations

import statistics
import time
from types import SimpleNamespace

from sqlalchemy import create_engine, insert, select, text

from bench.common import approved_record_row, fresh_app, postgres_database, postgres_servers
from qms.audit.models import event_payload
from qms.audit.trail import audit_key, event_hash, event_mac
from qms.audit.verify import verify_trail
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import advance_order
from qms.records.models import Record
from qms.timeutil import utcnow

BATCH = 400
ROUNDS = 5  # medians of alternating batches


def _prepare(count: int):
    from tests.factories import make_order, make_team

    team = make_team()
    orders = [make_order(team, title=f"b{i}") for i in range(count * 2)]
    now = utcnow()
    db.session.execute(
        insert(Record),
        [approved_record_row(o.id, "enquiry", team["engineer"].id, now) for o in orders],
    )
    db.session.commit()
    return team["manager"], [o.id for o in orders]


def _ours(manager, ids) -> float:
    """As a request does it: load the order, fire, commit (the actor reloads after each)."""
    start = time.perf_counter()
    for order_id in ids:
        order = db.session.get(Order, order_id)
        advance_order(order, "accept_enquiry", manager)
        db.session.commit()
    return len(ids) / (time.perf_counter() - start)


def _plain(engine, manager_id, ids) -> float:
    """The same rows, hashes and MACs written by hand, fewest statements: the database's cost."""
    key = audit_key()
    start = time.perf_counter()
    with engine.connect() as conn:
        for order_id in ids:
            with conn.begin():
                conn.execute(
                    text(
                        "UPDATE orders SET state='pre_contract', version=version+1 "
                        "WHERE id=:id AND version=1"
                    ),
                    {"id": order_id},
                )
                seq, prev = conn.execute(
                    text("UPDATE audit_chain_head SET seq=seq+1 WHERE id=1 RETURNING seq, hash")
                ).one()
                event = {
                    "seq": seq,
                    "occurred_at": utcnow(),
                    "actor_id": manager_id,
                    "actor_name": "manager",
                    "action": "order.accept_enquiry",
                    "entity_type": "order",
                    "entity_id": order_id,
                    "order_id": order_id,
                    "from_state": "enquiry",
                    "to_state": "pre_contract",
                    "changes": {},
                    "reason": None,
                    "origin": "system",
                    "origin_detail": None,
                    "prev_hash": prev,
                }
                digest = event_hash(prev, event_payload(SimpleNamespace(**event)))
                conn.execute(
                    text(
                        "INSERT INTO audit_events (seq, occurred_at, actor_id, actor_name, action, "
                        "entity_type, entity_id, order_id, from_state, to_state, changes, reason, "
                        "origin, origin_detail, prev_hash, hash, mac) VALUES (:seq, :occurred_at, "
                        ":actor_id, :actor_name, :action, :entity_type, :entity_id, :order_id, "
                        ":from_state, :to_state, '{}', NULL, :origin, NULL, :prev_hash, :hash, "
                        ":mac)"
                    ),
                    {
                        **event,
                        "occurred_at": event["occurred_at"].replace(tzinfo=None),
                        "hash": digest,
                        "mac": event_mac(key, digest),
                    },
                )
                conn.execute(text("UPDATE audit_chain_head SET hash=:h WHERE id=1"), {"h": digest})
    return len(ids) / (time.perf_counter() - start)


def _measure(app, label: str) -> dict[str, float]:
    """Alternate batches of ours and plain SQL, so both see the same machine noise."""
    with app.app_context():
        manager, ids = _prepare(BATCH * ROUNDS)
        engine = create_engine(db.engine.url)
        ours, plain = [], []
        for round_ in range(ROUNDS):
            batch = ids[2 * round_ * BATCH : 2 * (round_ + 1) * BATCH]
            ours.append(_ours(manager, batch[:BATCH]))
            plain.append(_plain(engine, manager.id, batch[BATCH:]))
        engine.dispose()
        assert db.session.scalar(select(Order.state).where(Order.id == ids[0])) == "pre_contract"
        # The approved records were seeded in bulk beside the trail: check the chain only.
        assert verify_trail(check_data=False).intact
        db.session.remove()
        db.engine.dispose()  # before the owner drops the database
    ours_rate, plain_rate = statistics.median(ours), statistics.median(plain)
    return {
        f"transitions_per_second_{label}": ours_rate,
        f"plain_sql_writes_per_second_{label}": plain_rate,
        f"transitions_ratio_{label}": ours_rate / plain_rate,
    }


def run() -> dict[str, float]:
    results = _measure(fresh_app(), "sqlite")
    if postgres_servers():
        with postgres_database("qms_bench") as (url, owner_url):
            app = fresh_app(database_url=url, owner_url=owner_url)
            results |= _measure(app, "postgresql")
    return results


UNITS = {
    k: u
    for label in ("sqlite", "postgresql")
    for k, u in (
        (f"transitions_per_second_{label}", "/s"),
        (f"plain_sql_writes_per_second_{label}", "/s"),
        (f"transitions_ratio_{label}", "x"),
    )
}

"""Committed order transitions per second: guards, audit event and commit, one process.

Ours: `advance_order` + commit per transition. Plain SQL: the same writes (the order's
state and version, the chain head, the audit event) by hand on the same database, one
commit each. Goal (issue 7): >= 1,000/s on SQLite, ratio >= 0.4. PostgreSQL is measured
too when QMS_BENCH_DATABASE_URL names a server (tools/test-postgres.sh style).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
import uuid

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bench.common import fresh_app
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import advance_order
from qms.records.models import Record
from qms.timeutil import utcnow

N = 1500


def _prepare(count: int):
    from tests.factories import make_order, make_team

    team = make_team()
    orders = [make_order(team, title=f"b{i}") for i in range(count * 2)]
    now = utcnow()
    db.session.execute(
        insert(Record),
        [
            {
                "order_id": o.id,
                "kind": "enquiry",
                "lineage": str(uuid.uuid4()),
                "revision": 1,
                "title": "enquiry",
                "body": "",
                "fields": {},
                "status": "approved",
                "author_id": team["engineer"].id,
                "created_at": now,
                "approved_at": now,
                "version": 1,
            }
            for o in orders
        ],
    )
    db.session.commit()
    return team["manager"], [o.id for o in orders]


def _ours(manager, ids) -> float:
    start = time.perf_counter()
    for order_id in ids:
        order = db.session.get(Order, order_id)
        advance_order(order, "accept_enquiry", manager)
        db.session.commit()
    return len(ids) / (time.perf_counter() - start)


def _plain(url, manager_id, ids) -> float:
    """The same rows written by hand: what the database alone costs."""
    engine = create_engine(url)
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
                conn.execute(text("UPDATE audit_chain_head SET seq=seq+1 WHERE id=1"))
                seq, prev = conn.execute(text("SELECT seq, hash FROM audit_chain_head")).one()
                payload = json.dumps({"seq": seq, "order": order_id}, sort_keys=True)
                digest = hashlib.sha256((prev + payload).encode()).hexdigest()
                conn.execute(
                    text(
                        "INSERT INTO audit_events (seq, occurred_at, actor_id, actor_name, action, "
                        "entity_type, entity_id, order_id, from_state, to_state, changes, reason, "
                        "prev_hash, hash) VALUES (:seq, :at, :actor, 'manager', "
                        "'order.accept_enquiry', 'order', :id, :id, 'enquiry', 'pre_contract', "
                        "'{}', NULL, :prev, :hash)"
                    ),
                    {
                        "seq": seq,
                        "at": utcnow().replace(tzinfo=None),
                        "actor": manager_id,
                        "id": order_id,
                        "prev": prev,
                        "hash": digest,
                    },
                )
                conn.execute(text("UPDATE audit_chain_head SET hash=:h WHERE id=1"), {"h": digest})
    engine.dispose()
    return len(ids) / (time.perf_counter() - start)


def _measure(app, label: str) -> dict[str, float]:
    with app.app_context():
        manager, ids = _prepare(N)
        url = db.engine.url.render_as_string(hide_password=False)
        ours = _ours(manager, ids[:N])
        plain = _plain(url, manager.id, ids[N:])
        assert db.session.scalar(select(Order.state).where(Order.id == ids[0])) == "pre_contract"
    return {
        f"transitions_per_second_{label}": ours,
        f"plain_sql_writes_per_second_{label}": plain,
        f"transitions_ratio_{label}": ours / plain,
    }


def run() -> dict[str, float]:
    results = _measure(fresh_app(), "sqlite")
    if server := os.environ.get("QMS_BENCH_DATABASE_URL"):
        name = f"qms_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(
            make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(server).set(database=name).render_as_string(hide_password=False)
            results |= _measure(fresh_app(database_url=url), "postgresql")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
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

"""Committed order transitions per second: guards, audit event and commit, one process.

Ours: as a request does it, per transition: the session's user (the login manager's
loader), the order by its number, `advance_order`, commit. The driver: the database driver
itself (stdlib sqlite3; psycopg on PostgreSQL) running the same statements qms runs -
read the user (and the demo flag the loader reads with it), the order by its number, the
guard's records, write the state, claim the chain head,
insert the hashed and signed event, advance the head, look for webhook subscriptions -
then commit and anchor the head in the checkpoint file: the physical floor. Plain SQL
through SQLAlchemy's text() (its writes only) is kept beside it, labelled as such.
All alternate in batches; the medians are reported.
Goals (issue 18): ratio to the driver >= 0.4 on SQLite, >= 0.6 on PostgreSQL. PostgreSQL
is measured when QMS_PG_SERVER (set by tools/with-postgres.sh, as `make bench` does, with
the application role; QMS_PG_OWNER_SERVER migrates) or QMS_BENCH_DATABASE_URL names a server.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from types import SimpleNamespace

from sqlalchemy import create_engine, insert, select, text

from bench.common import approved_record_row, fresh_app, postgres_database, postgres_servers
from qms.audit.anchor import append_to_file
from qms.audit.models import event_payload
from qms.audit.trail import audit_key, event_hash, event_mac
from qms.audit.verify import verify_trail
from qms.auth.sessions import USER_AND_DEMO_FLAG, load_session_user
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import ORDER_BY_NUMBER, advance_order, get_order
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
    manager = team["manager"]
    manager.session_token = "bench-session"
    db.session.commit()
    # Ids only: a request starts with an empty session, and finds the user and order there.
    return manager.id, [(o.id, o.number) for o in orders]


def _ours(manager_id, orders) -> float:
    """As a request does it: the session's user, the order by its number, fire, commit."""
    session_id = f"{manager_id}:bench-session"

    def request(number: str) -> None:  # what it loads is gone when it returns, as a request's
        actor = load_session_user(session_id)
        advance_order(get_order(number), "accept_enquiry", actor)
        db.session.commit()

    start = time.perf_counter()
    for _, number in orders:
        request(number)
    return len(orders) / (time.perf_counter() - start)


def _plain(engine, manager_id, orders) -> float:
    """The same rows, hashes and MACs written by hand, fewest statements: the database's cost."""
    key = audit_key()
    start = time.perf_counter()
    with engine.connect() as conn:
        for order_id, _ in orders:
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
    return len(orders) / (time.perf_counter() - start)


EVENT_COLUMNS = (
    "seq, occurred_at, actor_id, actor_name, action, entity_type, entity_id, order_id, "
    "from_state, to_state, changes, reason, origin, origin_detail, prev_hash, hash, mac"
)


def _driver_connection(url):
    """The driver's own connection to the bench's database, set up as qms sets up its own."""
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database, isolation_level=None)
        for pragma in ("foreign_keys=ON", "busy_timeout=10000", "synchronous=NORMAL"):
            conn.execute(f"PRAGMA {pragma}")
        return conn, "?"
    import psycopg

    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    return psycopg.connect(dsn), "%s"


def _driver(url, manager_id, orders, checkpoints) -> float:
    """The statements qms runs for one transition, sent by the driver itself, one commit
    and one anchor line each: what the database and the hashing cost, nothing else."""
    key = audit_key()
    conn, m = _driver_connection(url)
    sqlite = isinstance(conn, sqlite3.Connection)
    # The user and the order are read with qms's own SQL (qms.database.rows): every column.
    user_plan = USER_AND_DEMO_FLAG.plan(db.engine.dialect)
    order_plan = ORDER_BY_NUMBER.plan(db.engine.dialect)
    role, name = user_plan.keys.index("role"), user_plan.keys.index("username")
    state, version = order_plan.keys.index("state"), order_plan.keys.index("version")
    statements = [
        user_plan.sql,
        order_plan.sql,
        f"SELECT kind, lineage, revision, title, status FROM records WHERE order_id = {m} "
        f"AND kind IN ({m})",
        f"UPDATE orders SET state = {m}, state_changed_at = {m}, version = {m} "
        f"WHERE id = {m} AND version = {m}",
        "UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash",
        f"INSERT INTO audit_events ({EVENT_COLUMNS}) VALUES ({', '.join([m] * 17)}) RETURNING id",
        f"UPDATE audit_chain_head SET hash = {m} WHERE id = 1",
        "SELECT id, event_kinds FROM webhook_subscriptions WHERE is_active",
    ]
    user_q, order_q, records_q, move_q, claim_q, insert_q, advance_q, hooks_q = statements
    cursor = conn.cursor()
    start = time.perf_counter()
    for order_id, number in orders:
        if sqlite:
            cursor.execute("BEGIN")
        user = cursor.execute(user_q, (manager_id,)).fetchone()
        order = cursor.execute(order_q, (number,)).fetchone()
        records = cursor.execute(records_q, (order_id, "enquiry")).fetchall()
        assert user[role] == "manager" and order[state] == "enquiry"
        assert records[0][4] == "approved"
        now = utcnow()
        naive = now.replace(tzinfo=None)
        moved = order[version] + 1
        cursor.execute(move_q, ("pre_contract", naive, moved, order_id, order[version]))
        seq, prev = cursor.execute(claim_q).fetchone()
        payload = {
            "seq": seq,
            "occurred_at": now.isoformat(timespec="microseconds"),
            "actor_id": manager_id,
            "actor_name": user[name],
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
        }
        digest = event_hash(prev, payload)
        row = (seq, naive, *list(payload.values())[2:10], "{}", None, "system", None, prev)
        cursor.execute(insert_q, (*row, digest, event_mac(key, digest))).fetchone()
        cursor.execute(advance_q, (digest,))
        cursor.execute(hooks_q).fetchall()
        conn.commit()
        append_to_file(checkpoints, key, "checkpoint", seq, digest)
    rate = len(orders) / (time.perf_counter() - start)
    conn.close()
    return rate


def _measure(app, label: str) -> dict[str, float]:
    """Alternate batches of ours and plain SQL, so both see the same machine noise."""
    with app.app_context():
        manager_id, ids = _prepare(BATCH * ROUNDS * 3 // 2)
        engine = create_engine(db.engine.url)
        checkpoints = app.config["QMS_AUDIT_CHECKPOINT_FILE"]
        ours, plain, driver = [], [], []
        for round_ in range(ROUNDS):
            batch = ids[3 * round_ * BATCH : 3 * (round_ + 1) * BATCH]
            ours.append(_ours(manager_id, batch[:BATCH]))
            driver.append(_driver(db.engine.url, manager_id, batch[BATCH : 2 * BATCH], checkpoints))
            plain.append(_plain(engine, manager_id, batch[2 * BATCH :]))
        engine.dispose()
        first_id = ids[0][0]
        assert db.session.scalar(select(Order.state).where(Order.id == first_id)) == "pre_contract"
        # The approved records were seeded in bulk beside the trail: check the chain only.
        assert verify_trail(check_data=False).intact
        db.session.remove()
        db.engine.dispose()  # before the owner drops the database
    ours_rate, plain_rate = statistics.median(ours), statistics.median(plain)
    driver_rate = statistics.median(driver)
    return {
        f"transitions_per_second_{label}": ours_rate,
        f"driver_transitions_per_second_{label}": driver_rate,
        f"transitions_ratio_to_driver_{label}": ours_rate / driver_rate,
        f"sqlalchemy_text_writes_per_second_{label}": plain_rate,
        f"transitions_ratio_to_sqlalchemy_text_{label}": ours_rate / plain_rate,
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
        (f"driver_transitions_per_second_{label}", "/s"),
        (f"transitions_ratio_to_driver_{label}", "x"),
        (f"sqlalchemy_text_writes_per_second_{label}", "/s"),
        (f"transitions_ratio_to_sqlalchemy_text_{label}", "x"),
    )
}

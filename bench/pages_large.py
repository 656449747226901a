"""The busiest pages at 1,000,000 orders and 10,000,000 audit events (issue 18).

Goal: p95 <= 50 ms for the orders list, an order page, the dashboard, the inbox and the
audit trail page, with no query whose cost grows with the table. Measured as bench/pages.py
does (Flask's test client, as the manager: server time only), on a data set built in bulk
by SQLite itself (INSERT ... SELECT over a counter, one transaction, no journal), shaped
like a firm's history: old orders closed, the newest twentieth still open; ten events per
order (opened, the steps taken, edits); records, work items and notifications likewise
mostly finished. The filler events are not a hash chain (these pages do not verify it).

QMS_BENCH_LARGE=0 skips it; QMS_BENCH_LARGE_ORDERS scales it down (events stay ten per
order), e.g. for a quick look at the query plans; QMS_BENCH_LARGE_FOLDER=DIR keeps the data
set in DIR and measures it again on the next run (migrated to the code's schema first), so
that two versions of the code are compared on the same data.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.common import fresh_app, move_trail_head, scratch_folder, trail_head_seq
from bench.pages import _percentiles
from qms.audit.models import AuditEvent
from qms.demo import HAPPY_PATH
from qms.extensions import db
from qms.heap import freeze_startup_objects
from qms.workflow.registry import pin_version, registry

ORDERS = int(os.environ.get("QMS_BENCH_LARGE_ORDERS", 1_000_000))
EVENTS_PER_ORDER = 10
MANAGERS = 10  # the manager measured has a tenth of the orders
OPEN_SHARE = 20  # one order in twenty, the newest, is still open
SAMPLES = 60
DAYS = 3650  # ten years of history, the newest orders due around today


def _prepare(app) -> dict:
    """Users, customers and the pinned workflow through the app; what the SQL needs."""
    from tests.factories import make_team, make_user

    with app.app_context():
        team = make_team()
        others = [make_user(f"manager{n}", "manager") for n in range(3, MANAGERS + 2)]
        managers = [team["manager"].id, *[u.id for u in others[: MANAGERS - 1]]]
        definition = registry().latest("customer-order")
        version = pin_version(definition)
        items_version = pin_version(registry().latest("complaint"))
        db.session.commit()
        states = [definition.initial] + [definition.transition(t).dest for t in HAPPY_PATH]
        facts = {
            "managers": managers,
            "version": version.id,
            "items_version": items_version.id,
            "states": states,
            "triggers": HAPPY_PATH,
            "seq": trail_head_seq(),
            "engineer": team["engineer"].id,
        }
    return facts


def build(path: Path, facts: dict) -> None:
    """Everything in one transaction, written by SQLite from a counter."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")  # 1 GB: the indexes are built in memory
    con.execute("PRAGMA temp_store=MEMORY")
    con.execute("BEGIN")
    con.execute(
        "CREATE TEMP TABLE manager_of(k INTEGER PRIMARY KEY, id INTEGER)",
    )
    con.executemany("INSERT INTO manager_of VALUES (?, ?)", enumerate(facts["managers"]))
    steps = facts["states"]
    con.execute("CREATE TEMP TABLE step(k INTEGER PRIMARY KEY, action, from_state, to_state)")
    con.executemany(
        "INSERT INTO step VALUES (?, ?, ?, ?)",
        [(0, "order.created", None, steps[0])]
        + [
            (k, f"order.{trigger}", steps[k - 1], steps[k])
            for k, trigger in enumerate(facts["triggers"], start=1)
        ],
    )
    con.executemany(
        "INSERT INTO customers (name, created_at, version) VALUES (?, '2020-01-01 00:00:00', 1)",
        [(f"Заказчик {i}",) for i in range(500)],
    )
    first_customer = con.execute("SELECT min(id) FROM customers WHERE name = 'Заказчик 0'")
    first_customer = first_customer.fetchone()[0]
    open_from = ORDERS - ORDERS // OPEN_SHARE
    # Order i: created (i / ORDERS) of the way through ten years, due 30 days later;
    # closed, or (the newest twentieth) in one of the open states.
    con.execute(
        f"""
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ORDERS})
        INSERT INTO orders (id, number, title, customer_id, manager_id, currency, language,
                            state, due_on, workflow_version_id, created_at, state_changed_at,
                            version)
        SELECT i, printf('P-%07d', i), 'Заказ ' || i, {first_customer} + i % 500,
               (SELECT id FROM manager_of WHERE k = i % {MANAGERS}), 'RUB', 'ru',
               CASE WHEN i > {open_from} THEN (SELECT to_state FROM step WHERE k = i % 10)
                    ELSE 'closed' END,
               date('now', printf('%d days', (i * {DAYS}) / {ORDERS} - {DAYS} + 30)),
               {facts["version"]},
               datetime('now', printf('%d days', (i * {DAYS}) / {ORDERS} - {DAYS})) || '.000000',
               datetime('now', printf('%d days', (i * {DAYS}) / {ORDERS} - {DAYS})) || '.000000',
               1
        FROM n
        """
    )
    # Ten events per order: opened, each step up to its state, then edits.
    con.execute(
        f"""
        INSERT INTO audit_events (seq, occurred_at, actor_id, actor_name, action, entity_type,
                                  entity_id, order_id, from_state, to_state, changes, reason,
                                  origin, prev_hash, hash)
        SELECT {facts["seq"]} + (o.id - 1) * {EVENTS_PER_ORDER} + s.k + 1,
               datetime(o.created_at, printf('+%d hours', s.k)) || '.000000',
               o.manager_id, 'manager',
               CASE WHEN s.k <= o.reached THEN s.action ELSE 'order.edited' END,
               'order', o.id, o.id,
               CASE WHEN s.k <= o.reached THEN s.from_state END,
               CASE WHEN s.k <= o.reached THEN s.to_state END,
               CASE WHEN s.k = 0 THEN json_object('title', o.title)
                    WHEN s.k <= o.reached THEN '{{}}'
                    ELSE json_object('title', json_array(o.title, o.title || ' (' || s.k || ')'))
               END,
               NULL, 'web',
               printf('%064x', {facts["seq"]} + (o.id - 1) * {EVENTS_PER_ORDER} + s.k),
               printf('%064x', {facts["seq"]} + (o.id - 1) * {EVENTS_PER_ORDER} + s.k + 1)
        FROM (SELECT id, created_at, manager_id, title,
                     CASE WHEN state = 'closed' THEN 9 ELSE id % 10 END AS reached
              FROM orders WHERE number LIKE 'P-%') AS o
        JOIN step AS s ON s.k < {EVENTS_PER_ORDER}
        ORDER BY o.id, s.k
        """
    )
    # A record per order, approved but for the open orders' (waiting for signatures).
    con.execute(
        """
        INSERT INTO records (order_id, kind, lineage, revision, title, body, fields, status,
                             author_id, created_at, approved_at, version)
        SELECT id, 'contract', printf('bulk-%031d', id), 1, 'Договор', '', '{}',
               CASE WHEN state = 'closed' THEN 'approved' ELSE 'draft' END,
               manager_id, created_at,
               CASE WHEN state = 'closed' THEN created_at END, 1
        FROM orders WHERE number LIKE 'P-%'
        """
    )
    # A complaint per ten orders, closed (no longer due: qms.workitems.services) but for
    # the open orders'; owned by the engineer or unowned (then the order's manager sees it).
    con.execute(
        f"""
        INSERT INTO work_items (workflow, number, title, description, order_id, customer_id,
                                received_on, due_on, owner_id, state, workflow_version_id,
                                data, created_by_id, created_at, state_changed_at, version)
        SELECT 'complaint', printf('C-%07d', id), 'Претензия ' || id, '', id, customer_id,
               date(created_at), CASE WHEN state = 'closed' THEN NULL ELSE due_on END,
               CASE WHEN id % 20 = 0 THEN NULL ELSE {facts["engineer"]} END,
               CASE WHEN state = 'closed' THEN 'closed' ELSE 'acknowledged' END,
               {facts["items_version"]}, '{{}}', manager_id, created_at, created_at, 1
        FROM orders WHERE number LIKE 'P-%' AND id % 10 = 0
        """
    )
    # Two notifications per order for its manager, read but for the open orders'.
    con.execute(
        """
        INSERT INTO notifications (user_id, kind, subject_type, subject_id, params, created_at,
                                   read_at)
        SELECT o.manager_id, 'step_taken', 'order', o.id,
               json_object('order', o.number, 'actor', 'engineer',
                           'step', json_object('en', 'Accept the enquiry', 'ru', 'Принять запрос'),
                           'state', json_object('en', 'Pre-contract', 'ru', 'Преддоговорная')),
               o.created_at,
               CASE WHEN o.state = 'closed' THEN o.created_at END
        FROM orders AS o JOIN (SELECT 1 AS k UNION ALL SELECT 2) WHERE o.number LIKE 'P-%'
        ORDER BY o.id
        """
    )
    con.execute("COMMIT")
    con.close()  # no ANALYZE: qms never runs it, so the planner works without statistics


def run() -> dict[str, float]:
    if os.environ.get("QMS_BENCH_LARGE", "1") == "0":
        return {}
    kept = os.environ.get("QMS_BENCH_LARGE_FOLDER")  # a data set built before, measured again
    folder = Path(kept) if kept else scratch_folder("pages-large-")
    path = folder / "bench.sqlite"
    built = path.exists()
    app = fresh_app(folder)  # migrates a kept data set to this code's schema
    results = {}
    if not built:
        facts = _prepare(app)
        with app.app_context():
            db.engine.dispose()
        start = time.perf_counter()
        build(path, facts)
        results["pages_large_build"] = time.perf_counter() - start
        print(f"pages_large_build: {results['pages_large_build']:.4g} s", flush=True)
    with app.app_context():
        last_seq = db.session.scalar(select(func.max(AuditEvent.seq)))
        move_trail_head(last_seq)
        db.session.commit()
        numbers = [f"P-{n:07d}" for n in _sample_numbers()]
    freeze_startup_objects()  # as wsgi.py does in each gunicorn worker
    client = app.test_client()
    client.post("/login", data={"username": "manager", "password": "manager-pw"})
    trail = "/audit/events"
    pages = {
        "large_orders_list": lambda i: "/orders" + ("" if i % 2 else f"?page={i + 1}"),
        "large_order_page": lambda i: f"/orders/{numbers[i]}",
        "large_dashboard": lambda i: "/",
        "large_inbox": lambda i: "/inbox",
        "large_audit_trail": lambda i: trail if i % 2 else f"{trail}?before={last_seq - i * 997}",
        "large_audit_trail_order": lambda i: f"{trail}?order={numbers[i]}",
    }
    for name, url in pages.items():
        client.get(url(0))  # warm
        samples, cpu = [], []
        for i in range(SAMPLES):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            response = client.get(url(i))
            samples.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
            assert response.status_code == 200, (url(i), response.status_code)
        p50, p95 = _percentiles(samples)
        results[f"{name}_p50_ms"] = p50
        results[f"{name}_p95_ms"] = p95
        # This process's CPU time (SQLite runs in it): steadier than the wall clock on a
        # shared machine, where other work stretches the wall-clock percentiles.
        results[f"{name}_cpu_p95_ms"] = _percentiles(cpu)[1]
    if not kept:
        path.unlink()
    return results


def _sample_numbers() -> list[int]:
    """Orders across the whole history, open and closed."""
    step = ORDERS // SAMPLES
    return [1 + i * step + (i * 7919) % step for i in range(SAMPLES)]


UNITS = {"pages_large_build": "s"} | {
    f"large_{page}_{p}_ms": "ms"
    for page in (
        "orders_list",
        "order_page",
        "dashboard",
        "inbox",
        "audit_trail",
        "audit_trail_order",
    )
    for p in ("p50", "p95", "cpu_p95")
}

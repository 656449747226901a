"""The traceability matrix over 10,000 and 100,000 orders: server time and query count.

Goals: a fixed number of queries (issue 4); under 0.15 s at 10,000 orders and under
1.5 s at 100,000 (issue 18).
The orders are written with the driver's own bulk inserts (their audit events are
realistic in shape, not a valid hash chain: the matrix does not read hashes), 100,000
orders with their 600,000 events and 700,000 records in seconds.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import event, insert

from bench.common import (
    driver_insert,
    fresh_app,
    median_cpu_seconds,
    median_seconds,
    move_trail_head,
    trail_head_seq,
)
from qms.audit.models import AuditEvent
from qms.customers.models import Customer
from qms.demo import HAPPY_PATH
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record
from qms.timeutil import utcnow
from qms.trace.matrix import build_matrix
from qms.workflow.registry import pin_version, registry

ORDERS = 10_000


def populate(n: int = ORDERS) -> None:
    from tests.factories import make_team

    team = make_team()
    definition = registry().latest("customer-order")
    version = pin_version(definition)
    db.session.execute(
        insert(Customer),
        [{"name": f"Заказчик {i}", "created_at": utcnow(), "version": 1} for i in range(100)],
    )
    db.session.flush()
    rng = random.Random(7)
    manager, engineer = team["manager"].id, team["engineer"].id
    path = [(f"order.{t}", definition.transition(t)) for t in HAPPY_PATH]
    orders, events, records = [], [], []
    seq = trail_head_seq()
    for i in range(1, n + 1):
        progress = rng.randint(0, len(HAPPY_PATH))
        customer = rng.randint(1, 100)
        state = definition.initial
        seq += 1
        events.append(_event(seq, i, "order.created", None, state))
        for action, transition in path[:progress]:
            for kind in transition.requires:
                lineage = f"bench-{len(records):08d}"
                records.append((i, kind, lineage, 1, kind, "", "approved", engineer, 1))
            seq += 1
            events.append(_event(seq, i, action, state, transition.dest))
            state = transition.dest
        orders.append(
            (i, f"B-{i:06d}", f"Заказ {i}", customer, manager, "RUB", "ru", state, version.id, 1)
        )
    now = utcnow()
    driver_insert(
        Order.__table__,
        orders,
        ORDER_COLUMNS,
        created_at=now,
        state_changed_at=now,
    )
    driver_insert(
        Record.__table__, records, RECORD_COLUMNS, fields={}, created_at=now, approved_at=now
    )
    driver_insert(AuditEvent.__table__, events, EVENT_COLUMNS, occurred_at=now, changes={})
    move_trail_head(seq)
    db.session.commit()


ORDER_COLUMNS = (
    "id",
    "number",
    "title",
    "customer_id",
    "manager_id",
    "currency",
    "language",
    "state",
    "workflow_version_id",
    "version",
)
RECORD_COLUMNS = (
    "order_id",
    "kind",
    "lineage",
    "revision",
    "title",
    "body",
    "status",
    "author_id",
    "version",
)
EVENT_COLUMNS = (
    "seq",
    "actor_name",
    "action",
    "entity_type",
    "entity_id",
    "order_id",
    "from_state",
    "to_state",
    "prev_hash",
    "hash",
)


def _event(seq, order_id, action, from_state, to_state) -> tuple:
    return (
        seq,
        "manager",
        action,
        "order",
        order_id,
        order_id,
        from_state,
        to_state,
        "0" * 64,
        f"{seq:064x}",
    )


SIZES = (ORDERS, 100_000)


def run() -> dict[str, float]:
    results = {}
    for size in SIZES:
        app = fresh_app()
        with app.app_context():
            started = time.perf_counter()
            populate(size)
            built = time.perf_counter() - started
            statements: list[str] = []
            event.listen(
                db.engine,
                "before_cursor_execute",
                lambda conn, cursor, statement, *a, into=statements: into.append(statement),
            )
            matrix = build_matrix()
            queries = len(statements)
            assert len(matrix.orders) == size and not matrix.gaps
            seconds = median_seconds(build_matrix, repeat=5)
            # The same in this process's CPU time (SQLite runs in it): steadier on a shared
            # machine, where the wall clock also counts the time other processes had the cores.
            cpu_seconds = median_cpu_seconds(build_matrix, repeat=5)
            db.session.remove()
        suffix = "" if size == ORDERS else f"_{size // 1000}k"
        results |= {
            f"trace_matrix_orders{suffix}": size,
            f"trace_matrix_build_seconds{suffix}": built,
            f"trace_matrix_seconds{suffix}": seconds,
            f"trace_matrix_cpu_seconds{suffix}": cpu_seconds,
            f"trace_matrix_queries{suffix}": queries,
        }
    return results


UNITS = {
    f"trace_matrix_{name}{suffix}": unit
    for suffix in ("", "_100k")
    for name, unit in (
        ("orders", "orders"),
        ("build_seconds", "s"),
        ("seconds", "s"),
        ("cpu_seconds", "s"),
        ("queries", "queries"),
    )
}

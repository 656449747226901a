"""The traceability matrix over 10,000 and 100,000 orders: server time and query count.

Goals: a fixed number of queries (issue 4); under 0.15 s at 10,000 orders and under
1.5 s at 100,000 (issue 18).
The orders are written with bulk inserts (their audit events are realistic in shape,
not a valid hash chain: the matrix does not read hashes).
"""

from __future__ import annotations

import random

from sqlalchemy import event, insert

from bench.common import (
    approved_record_row,
    fresh_app,
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
    now = utcnow()
    orders, events, records = [], [], []
    seq = trail_head_seq()
    for i in range(1, n + 1):
        progress = rng.randint(0, len(HAPPY_PATH))
        state = definition.initial
        orders.append(
            {
                "id": i,
                "number": f"B-{i:06d}",
                "title": f"Заказ {i}",
                "customer_id": rng.randint(1, 100),
                "manager_id": team["manager"].id,
                "currency": "RUB",
                "language": "ru",
                "state": None,
                "workflow_version_id": version.id,
                "created_at": now,
                "state_changed_at": now,
                "version": 1,
            }
        )
        seq += 1
        events.append(_event(seq, i, "order.created", None, state, now))
        for trigger in HAPPY_PATH[:progress]:
            transition = definition.transition(trigger)
            for kind in transition.requires:
                records.append(approved_record_row(i, kind, team["engineer"].id, now))
            seq += 1
            events.append(_event(seq, i, f"order.{trigger}", state, transition.dest, now))
            state = transition.dest
        orders[-1]["state"] = state
    db.session.execute(insert(Order), orders)
    db.session.execute(insert(Record), records)
    db.session.execute(insert(AuditEvent), events)
    move_trail_head(seq)
    db.session.commit()


def _event(seq, order_id, action, from_state, to_state, when):
    return {
        "seq": seq,
        "occurred_at": when,
        "actor_name": "manager",
        "action": action,
        "entity_type": "order",
        "entity_id": order_id,
        "order_id": order_id,
        "from_state": from_state,
        "to_state": to_state,
        "changes": {},
        "prev_hash": "0" * 64,
        "hash": f"{seq:064x}",
    }


SIZES = (ORDERS, 100_000)


def run() -> dict[str, float]:
    results = {}
    for size in SIZES:
        app = fresh_app()
        with app.app_context():
            populate(size)
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
            db.session.remove()
        suffix = "" if size == ORDERS else f"_{size // 1000}k"
        results |= {
            f"trace_matrix_orders{suffix}": size,
            f"trace_matrix_seconds{suffix}": seconds,
            f"trace_matrix_queries{suffix}": queries,
        }
    return results


UNITS = {
    f"trace_matrix_{name}{suffix}": unit
    for suffix in ("", "_100k")
    for name, unit in (("orders", "orders"), ("seconds", "s"), ("queries", "queries"))
}

"""Server time of the busiest pages with 100,000 orders and 1,000,000 audit events.

Goal (issue 7): p95 <= 50 ms for the orders list, an order page and the dashboard; the
same goal for the API's orders list (issue 17), read with a bearer token.
Measured through the WSGI app (Flask's test client), so it is server time only.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta
from functools import partial

from sqlalchemy import insert

from bench import serving
from bench.common import fresh_app, move_trail_head, scratch_folder, trail_head_seq
from qms.audit.models import AuditEvent
from qms.customers.models import Customer
from qms.demo import HAPPY_PATH
from qms.extensions import db
from qms.heap import freeze_startup_objects
from qms.orders.models import Order
from qms.timeutil import utcnow
from qms.workflow.registry import pin_version, registry

ORDERS = 100_000
EVENTS = 1_000_000
SAMPLES = 60


def populate() -> list[str]:
    from tests.factories import make_team

    team = make_team()
    definition = registry().latest("customer-order")
    version = pin_version(definition)
    db.session.execute(
        insert(Customer),
        [{"name": f"Заказчик {i}", "created_at": utcnow(), "version": 1} for i in range(500)],
    )
    rng = random.Random(11)
    now = utcnow()
    today = now.date()
    states = [definition.initial] + [definition.transition(t).dest for t in HAPPY_PATH]
    per_order = EVENTS // ORDERS
    seq = trail_head_seq()
    for start in range(1, ORDERS + 1, 10_000):
        orders, events = [], []
        for i in range(start, min(start + 10_000, ORDERS + 1)):
            orders.append(
                {
                    "id": i,
                    "number": f"P-{i:06d}",
                    "title": f"Заказ {i}",
                    "customer_id": rng.randint(1, 500),
                    "manager_id": team["manager"].id,
                    "currency": "RUB",
                    "language": "ru",
                    "state": states[rng.randint(0, len(states) - 1)],
                    "due_on": today + timedelta(days=rng.randint(-365, 365)),
                    "workflow_version_id": version.id,
                    "created_at": now,
                    "state_changed_at": now,
                    "version": 1,
                }
            )
            for _ in range(per_order):
                seq += 1
                events.append(
                    {
                        "seq": seq,
                        "occurred_at": now,
                        "actor_name": "manager",
                        "action": "record.created",
                        "entity_type": "record",
                        "entity_id": i,
                        "order_id": i,
                        "changes": {},
                        "prev_hash": "0" * 64,
                        "hash": f"{seq:064x}",
                    }
                )
        db.session.execute(insert(Order), orders)
        db.session.execute(insert(AuditEvent), events)
    move_trail_head(seq)
    db.session.commit()
    return [f"P-{rng.randint(1, ORDERS):06d}" for _ in range(SAMPLES)]


def api_token(username: str) -> str:
    from qms.tokens.services import create_token
    from tests.factories import make_team

    user = make_team()[username]
    _token, secret = create_token(None, user, name="bench", scope="read")
    db.session.commit()
    return secret


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def run() -> dict[str, float]:
    folder = scratch_folder("pages-")
    app = fresh_app(folder)
    results: dict[str, float] = {}
    with app.app_context():
        token = api_token("manager")  # before the bulk events, which bypass the chain head
        numbers = populate()
    freeze_startup_objects()  # as wsgi.py does in each gunicorn worker
    client = app.test_client()
    client.post("/login", data={"username": "manager", "password": "manager-pw"})
    api = app.test_client()  # no cookie: the API reads the token only
    pages = {
        "orders_list": lambda i: "/orders" + ("" if i % 2 else f"?page={i + 1}"),
        "order_page": lambda i: f"/orders/{numbers[i]}",
        "dashboard": lambda i: "/",
        "api_orders_list": lambda i: "/api/v1/orders" + ("" if i % 2 else f"?page={i + 1}"),
    }
    for name, url in pages.items():
        get = client.get
        if name.startswith("api_"):
            get = partial(api.get, headers={"Authorization": f"Bearer {token}"})
        get(url(0))  # warm
        samples = []
        for i in range(SAMPLES):
            start = time.perf_counter()
            response = get(url(i))
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url(i), response.status_code)
        p50, p95 = _percentiles(samples)
        results[f"{name}_p50_ms"] = p50
        results[f"{name}_p95_ms"] = p95
    database_url = f"sqlite:///{folder / 'bench.sqlite'}"
    return results | serving.measure(folder, database_url, numbers)


UNITS = serving.UNITS | {
    f"{page}_{p}_ms": "ms"
    for page in ("orders_list", "order_page", "dashboard", "api_orders_list")
    for p in ("p50", "p95")
}

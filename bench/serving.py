"""Requests per second through gunicorn under 16 concurrent clients (locust), and the
peak memory of a worker after that load.

Goals (issue 7): worker peak resident memory <= 200 MB. Run on the database bench/pages.py
has filled (100,000 orders, 1,000,000 audit events), with the README's gunicorn command.
Locust and gunicorn share the machine's two cores, so the rate is a floor, not a ceiling.
"""

from __future__ import annotations

import json
from pathlib import Path

from bench.server import gunicorn, locust

CLIENTS = 16
SECONDS = 30


def measure(folder: Path, database_url: str, numbers: list[str]) -> dict[str, float]:
    plan = folder / "plan.json"
    login = {"username": "manager", "password": "manager-pw"}
    plan.write_text(json.dumps({"numbers": numbers, "path": []} | login))
    env = {
        "QMS_DATABASE_URL": database_url,
        "QMS_INSTANCE_PATH": str(folder),
        "QMS_SECRET_KEY": "bench",
        "QMS_LOAD_PLAN": str(plan),
    }
    with gunicorn(env) as server:
        rows = locust("BrowsingUser", server, CLIENTS, SECONDS, env)
        memory = server.peak_worker_memory_mb()
    total = rows["Aggregated"]
    if int(total["Failure Count"]):
        raise RuntimeError(f"{total['Failure Count']} requests failed under load; see {folder}")
    return {
        "gunicorn_16_clients_requests_per_second": float(total["Requests/s"]),
        "gunicorn_16_clients_p50_ms": float(total["50%"]),
        "gunicorn_16_clients_p95_ms": float(total["95%"]),
        "gunicorn_worker_peak_memory_mb": memory,
    }


UNITS = {
    "gunicorn_16_clients_requests_per_second": "/s",
    "gunicorn_16_clients_p50_ms": "ms",
    "gunicorn_16_clients_p95_ms": "ms",
    "gunicorn_worker_peak_memory_mb": "MB",
}

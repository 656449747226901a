"""Shared helpers: a fresh migrated database, and timing with medians."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade

from qms import create_app

# Every database and log of one run lives under here; `make bench` removes it at the end
# (the pages benchmark alone leaves about 0.5 GB).
SCRATCH = Path(tempfile.gettempdir()) / f"qms-bench-{os.getpid()}"


def scratch_folder(prefix: str) -> Path:
    SCRATCH.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))


BENCH_AUDIT_KEY = "bench-audit-key"


def fresh_app(folder: Path | None = None, database_url: str | None = None):
    folder = folder or scratch_folder("db-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder / 'bench.sqlite'}",
            "QMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
            # The same key and checkpoint file as a server started with QMS_INSTANCE_PATH
            # set to this folder and BENCH_AUDIT_KEY (bench/load_faults.py verifies its trail).
            "QMS_AUDIT_KEY": BENCH_AUDIT_KEY,
            "QMS_AUDIT_CHECKPOINT_FILE": str(folder / "audit-checkpoints.log"),
        }
    )
    with app.app_context():
        upgrade()
    return app


def approved_record_row(order_id: int, kind: str, author_id: int, now) -> dict:
    """One approved first revision of a record, as a row for a bulk insert."""
    return {
        "order_id": order_id,
        "kind": kind,
        "lineage": str(uuid.uuid4()),
        "revision": 1,
        "title": kind,
        "body": "",
        "fields": {},
        "status": "approved",
        "author_id": author_id,
        "created_at": now,
        "approved_at": now,
        "version": 1,
    }


def median_seconds(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def median_cpu_seconds(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    """Like median_seconds, in this process's CPU time: steadier on a shared machine."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        samples.append(time.process_time() - start)
    return statistics.median(samples)

"""Shared helpers: a fresh migrated database, and timing with medians."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from flask_migrate import upgrade

from qms import create_app


def fresh_app(folder: Path | None = None, database_url: str | None = None):
    folder = folder or Path(tempfile.mkdtemp(prefix="qms-bench-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder / 'bench.sqlite'}",
            "QMS_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "bench",
        }
    )
    with app.app_context():
        upgrade()
    return app


def median_seconds(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)

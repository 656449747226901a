"""Shared helpers: a fresh migrated database, and timing with medians."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from qms import create_app
from qms.audit.models import AuditChainHead
from qms.extensions import db

# Every database and log of one run lives under here; `make bench` removes it at the end
# (the pages benchmark alone leaves about 0.5 GB).
SCRATCH = Path(tempfile.gettempdir()) / f"qms-bench-{os.getpid()}"


def scratch_folder(prefix: str) -> Path:
    SCRATCH.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))


BENCH_AUDIT_KEY = "bench-audit-key"


def fresh_app(
    folder: Path | None = None, database_url: str | None = None, owner_url: str | None = None
):
    """An app on a migrated database: SQLite in `folder`, or `database_url` migrated as
    `owner_url` (which grants the application role its privileges) when given."""
    folder = folder or scratch_folder("db-")
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{folder / 'bench.sqlite'}",
            "QMS_DATABASE_OWNER_URL": owner_url,
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


# Started from a small launcher: a child forked from this (large) process would report
# this process's resident set as its own peak (Linux keeps it across exec).
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
cpu = usage.ru_utime + usage.ru_stime
print(time.perf_counter() - start, cpu, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def run_qms(folder: Path, *args: str) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak MB) of one `qms ...` typed as a command, in a process of
    its own, on the bench database in `folder` (made by fresh_app)."""
    env = os.environ | {
        "QMS_INSTANCE_PATH": str(folder),
        "QMS_DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
        "QMS_AUDIT_KEY": BENCH_AUDIT_KEY,
    }
    qms = str(Path(sys.executable).with_name("qms"))
    launched = subprocess.run(
        [sys.executable, "-S", "-c", LAUNCHER, qms, *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds, cpu, peak_kb, status = launched.stdout.split()[-4:]
    if int(status):
        raise RuntimeError(f"qms {' '.join(args)} failed: {launched.stderr}")
    return float(seconds), float(cpu), int(peak_kb) / 1024


def postgres_servers() -> tuple[str, str] | None:
    """(application, owner) server URLs without a database name: tools/with-postgres.sh's
    two roles, or QMS_BENCH_DATABASE_URL's one role for both; None without a server."""
    if server := os.environ.get("QMS_BENCH_DATABASE_URL"):
        return server, server
    if server := os.environ.get("QMS_PG_SERVER"):
        return server, os.environ.get("QMS_PG_OWNER_SERVER") or server
    return None


@contextmanager
def postgres_database(prefix: str) -> Iterator[tuple[str, str | None]]:
    """A throwaway database, made and dropped by the owner role: yields the application's
    URL and the owner's (None with one role, when there is nothing to grant)."""
    app_server, owner_server = postgres_servers()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    # NullPool: no connection is kept, so none is left broken by a database outage.
    admin = create_engine(
        make_url(owner_server).set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        app_url = make_url(app_server).set(database=name).render_as_string(hide_password=False)
        owner_url = make_url(owner_server).set(database=name).render_as_string(hide_password=False)
        yield app_url, (owner_url if owner_server != app_server else None)
    finally:
        # The application's connections must be closed by then: the owner may not end
        # another role's sessions, so no FORCE (which refuses even those just closing,
        # where a plain DROP waits for them).
        force = "" if owner_server != app_server else " WITH (FORCE)"
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"{force}'))
        admin.dispose()


def trail_head_seq() -> int:
    """Where bulk-written filler events start counting from: after the events the
    services wrote while setting up (creating users writes user.created)."""
    return db.session.scalar(select(AuditChainHead.seq))


def move_trail_head(seq: int) -> None:
    """Point the chain head past the filler events, so events appended later take the
    next seq. (The filler's hashes are not a chain: those benchmarks do not verify.)"""
    db.session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=seq, hash=f"{seq:064x}")
    )


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


def driver_insert(table, rows: list[tuple], columns: tuple[str, ...], **same) -> None:
    """Insert `rows` (values of `columns`, as the driver takes them: ints and strings)
    through the driver's own executemany, with the values in `same` (dates, JSON) the same
    for every row and converted once: hundreds of thousands of rows in seconds, where an
    ORM bulk insert processes each value of each row."""
    connection = db.session.connection()
    dialect = connection.dialect
    fixed = []
    for name, value in same.items():
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        fixed.append(processor(value) if processor else value)
    names = (*columns, *same)
    marks = ", ".join(("?" if dialect.paramstyle == "qmark" else "%s") for _ in names)
    fixed = tuple(fixed)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",
        [row + fixed for row in rows],
    )


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

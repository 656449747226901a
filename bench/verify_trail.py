"""`qms audit verify` over a million events, against hashing the same events alone.

The events are a valid chain (real hashes and MACs, with the bench's audit key), written
in bulk through the driver, with a line in the checkpoint file for each (as a change
committed on its own leaves); a checkpoint is then made, a few thousand more events
appended, and the incremental check from that checkpoint timed as well. The machine is
shared: the walk's CPU time is given beside its wall time, and the floor is the same
hashing done the fastest way (each MAC from the key's padded blocks hashed once).
`qms audit verify` shares the full walk between the CPUs (at most 4, two here): its time
is the wall time of that, its CPU time that of every process; the same walk in one
process is given beside it. The command itself, `qms audit verify --skip-data` typed in a
process of its own (its start, the walk, the exit), is timed too, and with the data check:
the bench's events name orders that are not in its database, so that check has no orders
to compare here (on real data it reads each kind of data and its last states in the trail).
Goals (issue 18): the full walk over 1,000,000 events under 5 s, within 10x of the
hashing alone; the incremental check proportional to the events since the checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import time
from datetime import UTC, timedelta

from sqlalchemy import update

from bench.common import fresh_app, median_seconds, run_qms, scratch_folder
from qms.audit.anchor import CHECKPOINT, checkpoint_file, checkpoint_line, write_checkpoint
from qms.audit.chain_rows import hmac_states
from qms.audit.models import AuditChainHead
from qms.audit.parallel_walk import default_processes
from qms.audit.trail import audit_key, event_hash, event_mac
from qms.audit.verify import verify_trail
from qms.extensions import db
from qms.timeutil import utcnow

EVENTS = int(os.environ.get("QMS_BENCH_VERIFY_EVENTS", 1_000_000))
SINCE = 10_000  # events appended after the checkpoint
COMMAND_RUNS = 3  # `qms audit verify` typed as a command, each in a process of its own
COLUMNS = (
    "seq, occurred_at, actor_id, actor_name, action, entity_type, entity_id, order_id, "
    "from_state, to_state, changes, reason, origin, origin_detail, prev_hash, hash, mac"
)
STATES = ("enquiry", "pre_contract", "contract_review", "in_progress", "delivered", "closed")


def _events(first_seq: int, prev: str, count: int, key: bytes):
    """`count` chained events after (first_seq - 1, prev): rows to insert, and the last hash."""
    when = utcnow() - timedelta(days=365) + timedelta(milliseconds=31 * first_seq)
    rows = []
    for seq in range(first_seq, first_seq + count):
        n = seq % 6
        changes = {} if n else {"title": f"Заказ {seq}", "value": "1200.00", "currency": "RUB"}
        when += timedelta(milliseconds=31)
        payload = {
            "seq": seq,
            "occurred_at": when.isoformat(timespec="microseconds"),
            "actor_id": None,
            "actor_name": "manager",
            "action": "order.created" if not n else "order.advanced",
            "entity_type": "order",
            "entity_id": seq // 6,
            "order_id": None,
            "from_state": STATES[n - 1] if n else None,
            "to_state": STATES[n],
            "changes": changes,
            "reason": None,
            "origin": "web",
            "origin_detail": "203.0.113.7",
        }
        digest = event_hash(prev, payload)
        rows.append(
            (
                seq,
                when.replace(tzinfo=None),
                None,
                payload["actor_name"],
                payload["action"],
                "order",
                payload["entity_id"],
                None,
                payload["from_state"],
                payload["to_state"],
                changes,
                None,
                "web",
                "203.0.113.7",
                prev,
                digest,
                event_mac(key, digest),
            )
        )
        prev = digest
    return rows, prev


def _append(count: int) -> None:
    """Append `count` valid events after the current head, in bulk, and move the head."""
    key = audit_key()
    head = db.session.get(AuditChainHead, 1)
    seq, prev = head.seq, head.hash
    connection = db.session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    insert = f"INSERT INTO audit_events ({COLUMNS}) VALUES ({', '.join([marker] * 17)})"
    cursor = connection.connection.dbapi_connection.cursor()
    with checkpoint_file().open("ab") as anchors:
        for start in range(0, count, 50_000):
            rows, prev = _events(seq + start + 1, prev, min(50_000, count - start), key)
            anchors.writelines(
                checkpoint_line(key, CHECKPOINT, r[0], r[15], r[1].replace(tzinfo=UTC))
                for r in rows
            )
            rows = [(*r[:10], json.dumps(r[10]), *r[11:]) for r in rows]
            cursor.executemany(insert, rows)
    cursor.close()
    db.session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1).values(seq=seq + count, hash=prev)
    )
    db.session.commit()


def _hashing_alone(count: int) -> tuple[float, float]:
    """sha256 of `count` canonical payloads of the same size, and their MACs: the floor
    (wall and CPU seconds)."""
    text = ("0" * 64 + '{"action":"order.advanced","actor_id":null,' * 8).encode()
    inner, outer = hmac_states(b"bench")
    sha256, inner_copy, outer_copy = hashlib.sha256, inner.copy, outer.copy
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        digest = sha256(text).hexdigest()
        mac = inner_copy()
        mac.update(digest.encode())
        signed = outer_copy()
        signed.update(mac.digest())
        signed.hexdigest()
    return time.perf_counter() - start, time.process_time() - cpu


def _cpu_seconds(check) -> float:
    """CPU seconds of `check`, its helper processes' included."""
    start = os.times()
    check()
    end = os.times()
    return sum(end[:4]) - sum(start[:4])  # user, system, and the children's


def run() -> dict[str, float]:
    folder = scratch_folder("verify-")
    app = fresh_app(folder)
    with app.app_context():
        built = time.perf_counter()
        _append(EVENTS)
        built = time.perf_counter() - built
        full = median_seconds(lambda: _intact(_verify(check_data=False)), repeat=3)
        full_cpu = statistics.median(
            _cpu_seconds(lambda: _intact(_verify(check_data=False))) for _ in range(3)
        )
        one = median_seconds(
            lambda: _intact(verify_trail(check_data=False, processes=1)), repeat=1, warmup=0
        )
        with_data = median_seconds(lambda: _intact(_verify()), repeat=1, warmup=0)
        db.session.rollback()  # the commands read on their own connections
        typed = [run_qms(folder, "audit", "verify", "--skip-data") for _ in range(COMMAND_RUNS)]
        typed_all = [run_qms(folder, "audit", "verify") for _ in range(COMMAND_RUNS)]
        write_checkpoint()
        db.session.commit()
        _append(SINCE)
        since = median_seconds(
            lambda: _intact(verify_trail(since_checkpoint=True, check_data=False)), repeat=5
        )
        floors = [_hashing_alone(EVENTS) for _ in range(3)]
        hashing = statistics.median(wall for wall, _ in floors)
        hashing_cpu = statistics.median(cpu for _, cpu in floors)
    return {
        "verify_events": EVENTS,
        "verify_build_seconds": built,
        "verify_processes": default_processes(),
        "verify_seconds": full,
        "verify_one_process_seconds": one,
        "verify_with_data_seconds": with_data,
        "verify_command_seconds": statistics.median(seconds for seconds, _, _ in typed),
        "verify_command_peak_memory_mb": max(peak for _, _, peak in typed),
        "verify_command_with_data_seconds": statistics.median(s for s, _, _ in typed_all),
        "verify_hashing_alone_seconds": hashing,
        "verify_ratio_to_hashing": full / hashing,
        "verify_cpu_seconds": full_cpu,
        "verify_hashing_alone_cpu_seconds": hashing_cpu,
        "verify_cpu_ratio_to_hashing": full_cpu / hashing_cpu,
        "verify_since_checkpoint_events": SINCE,
        "verify_since_checkpoint_seconds": since,
    }


def _verify(**options):
    """As `qms audit verify` runs it: the walk shared by default_processes()."""
    return verify_trail(processes=default_processes(), **options)


def _intact(report) -> None:
    assert report.intact, report.summary()


UNITS = {
    "verify_events": "events",
    "verify_build_seconds": "s",
    "verify_processes": "processes",
    "verify_seconds": "s",
    "verify_one_process_seconds": "s",
    "verify_with_data_seconds": "s",
    "verify_command_seconds": "s",
    "verify_command_peak_memory_mb": "MB",
    "verify_command_with_data_seconds": "s",
    "verify_hashing_alone_seconds": "s",
    "verify_ratio_to_hashing": "x",
    "verify_cpu_seconds": "s",
    "verify_hashing_alone_cpu_seconds": "s",
    "verify_cpu_ratio_to_hashing": "x",
    "verify_since_checkpoint_events": "events",
    "verify_since_checkpoint_seconds": "s",
}

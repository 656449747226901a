"""The walk along the chain: every event's place, hash and MAC recomputed, in seq order.

The rows are read raw (qms.audit.chain_rows); an event that does not pass there is loaded
and checked again the ordinary way, which decides and names the problem.
"""

from __future__ import annotations

import hmac

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.anchor import Checkpoint
from qms.audit.chain_rows import batches, check_batch
from qms.audit.findings import Finding, TrailReport
from qms.audit.models import AuditEvent, event_payload
from qms.audit.trail import event_hash, event_mac
from qms.extensions import db


def walk_chain(
    key: bytes,
    report: TrailReport,
    wanted: set[int],
    seen: dict[int, str],
    *,
    start: Checkpoint | None = None,
    to_seq: int | None = None,
    heads: dict[int, str] | None = None,
    differing: dict[int, str] | None = None,
) -> None:
    """Recompute every hash and MAC from `start`, or on from where the report's walk
    stands (the genesis at first), up to `to_seq` (the end without it); note in `seen`
    the hashes of the sequence numbers in `wanted` that the walk passed, and in
    `differing` the file's `heads` (seq -> hash) that do not match their event.

    The rows are read raw (qms.audit.chain_rows); an event that does not pass there is
    loaded and checked again the ordinary way, which decides and names the problem.
    """
    heads = {} if heads is None else heads
    differing = {} if differing is None else differing
    expected_seq, expected_prev = report.head_seq + 1, report.head_hash
    if start is not None:
        expected_seq, expected_prev = start.seq, None  # the checkpoint vouches for its event
        report.since_seq = start.seq
    first = expected_seq if expected_seq > 1 else 0  # from the genesis: any row before #1
    for rows in batches(first, to_seq):
        while rows:
            walk = check_batch(
                rows, key, expected_seq, expected_prev, wanted, seen, heads, differing
            )
            report.events_checked += walk.checked
            if walk.last is not None:
                report.head_seq, report.head_hash = walk.last
                expected_seq, expected_prev = walk.last[0] + 1, walk.last[1]
            if walk.failed_seq is None:
                break
            failed = rows[walk.checked]
            problem = _problem(key, failed[0], expected_seq, expected_prev)
            if problem:
                report.first_broken_seq, report.first_broken_id = problem[0], problem[1]
                message = _l(
                    "event #%(seq)s (id %(id)s): %(problem)s",
                    seq=problem[0],
                    id=problem[1],
                    problem=problem[2],
                )
                report.findings.append(Finding("chain", message))
                return
            # The ordinary check passes it (a value the raw path does not handle): go on.
            seq, digest = failed[0], failed[15]
            if seq in wanted or heads.get(seq, digest) != digest:
                seen[seq] = digest
                if heads.get(seq, digest) != digest:
                    differing[seq] = heads[seq]
            report.events_checked += 1
            report.head_seq, report.head_hash = seq, digest
            expected_seq, expected_prev = seq + 1, digest
            rows = rows[walk.checked + 1 :]


def _problem(key: bytes, seq: int, expected_seq: int, expected_prev: str | None):
    """(seq, id, what is wrong) with one event, checked on the row as the ORM loads it;
    None if nothing is."""
    table = AuditEvent.__table__
    event = db.session.execute(select(table).where(table.c.seq == seq)).one()
    problem = None
    if event.seq != expected_seq:
        problem = _l(
            "event #%(seq)s is missing (the next one is #%(next)s)",
            seq=expected_seq,
            next=event.seq,
        )
    elif expected_prev is not None and event.prev_hash != expected_prev:
        problem = _l("its link to the previous event does not match (events were reordered)")
    elif event_hash(event.prev_hash, event_payload(event)) != event.hash:
        problem = _l("its content does not match its hash (the row was altered)")
    elif event.mac is None or not hmac.compare_digest(event.mac, event_mac(key, event.hash)):
        problem = _l(
            "its signature does not match: it was not written by qms "
            "(inserted or re-hashed by hand)"
        )
    return (event.seq, event.id, problem) if problem else None

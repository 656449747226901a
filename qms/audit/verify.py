"""Verifying the trail: the chain and its signatures, the checkpoints outside the database,
and the data against what the trail says (qms.audit.consistency).

Whoever can write the database but not read the audit key cannot insert, alter, reorder
or re-hash an event (its MAC would not match), nor cut the tail or restore an older copy
(the checkpoints in the file, the database and on printed packs name events that are no
longer there, or that now say something else).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from itertools import pairwise

from sqlalchemy import select

from qms.audit.anchor import (
    CHECKPOINT,
    ROLLBACK_ACCEPTED,
    Checkpoint,
    checkpoint_file,
    current_head,
    read_database_checkpoints,
)
from qms.audit.checkpoint_file import (
    file_size,
    problems_of,
    read_anchored_heads,
    read_file_checkpoints,
    region_starts,
)
from qms.audit.checks import (
    check_anchors,
    check_checkpoints,
    check_head_row,
    start_checkpoint,
    valid_signatures,
)
from qms.audit.findings import Finding, TrailReport
from qms.audit.models import AuditEvent
from qms.audit.parallel_walk import Helpers, split
from qms.audit.trail import audit_key
from qms.audit.walk import walk_chain
from qms.extensions import db

# What `--since-checkpoint` reads of the checkpoint file: its newest lines (some 4,000
# commits), so that the incremental check costs what came since, not the file's length (a
# line per committed change). The database's checkpoints, few and including every accepted
# rollback, are all read; the full verification reads every line.
INCREMENTAL_TAIL_BYTES = 1 << 20


def verify_trail(
    *,
    since_checkpoint: bool = False,
    check_data: bool = True,
    anchors: tuple[tuple[int, str], ...] = (),
    processes: int = 1,
) -> TrailReport:
    """Everything `qms audit verify` checks; `report.intact` when nothing was found.

    With `processes` > 1 (a command's process, never a threaded server) the full
    verification of a long trail shares the walk between that many processes.
    """
    from qms.audit.consistency import check_data_against_trail

    db.session.expire_all()  # compare what the database holds now, not what was read before
    key = audit_key()
    report = TrailReport()
    data: list[tuple] = []  # the data check's outcome, once it has run

    def check_the_data() -> None:
        if check_data and not data:
            data.append(check_data_against_trail())

    with _collector_paused():
        if since_checkpoint or not _verify_in_full(key, report, anchors, processes, check_the_data):
            report = TrailReport()
            _verify_by_checkpoints(key, report, anchors, since_checkpoint)
    if check_data:
        check_the_data()
        data_findings, report.data_checked = data[0]
        report.findings += [Finding("data", message) for message in data_findings]
    return report


def _verify_by_checkpoints(key, report, anchors, since_checkpoint: bool) -> None:
    """The chain checked against every checkpoint read as one (its time, its place): for
    the incremental check (the file's newest lines), and when a rollback was accepted
    (its time decides which checkpoints it supersedes)."""
    tail = INCREMENTAL_TAIL_BYTES if since_checkpoint else None
    from_file, unreadable = read_file_checkpoints(checkpoint_file(), tail)
    report.findings += [Finding("checkpoint", message) for message in unreadable]
    checkpoints = valid_signatures(key, report, [*from_file, *read_database_checkpoints()])
    accepted = [c for c in checkpoints if c.kind == ROLLBACK_ACCEPTED]
    start = start_checkpoint(checkpoints, accepted) if since_checkpoint else None
    wanted = {c.seq for c in checkpoints} | {seq for seq, _ in anchors}
    seen: dict[int, str] = {}
    walk_chain(key, report, wanted, seen, start=start)
    check_head_row(report)
    check_checkpoints(report, checkpoints, accepted, seen, start)
    check_anchors(report, anchors, seen, start)


def _verify_in_full(key, report, anchors, processes: int, meanwhile) -> bool:
    """The full verification: the file's ordinary lines (a line per committed change) are
    kept as the heads they anchor and compared during the walk, which `processes` share
    on a long trail; `meanwhile` (the data check) runs here while the helpers still walk.
    False, with nothing reported, when a rollback was accepted."""
    path = checkpoint_file()
    size = file_size(path)  # lines written after this name events newer than the walk's
    database = read_database_checkpoints()
    if _accepts(database):
        return False
    ranges = split(current_head()[0], processes)  # the head read in the walk's transaction
    starts = [0, *region_starts(path, size, [high for _, high in ranges[:-1]]), size]
    stretches = list(pairwise(starts))
    if len(ranges) == 1:
        ranges = [(0, None)]  # one process: every line is its own, the walk to the end
    wanted = {c.seq for c in database} | {seq for seq, _ in anchors}
    found = _FileFound()
    with Helpers(ranges[1:], stretches[1:], key, path, wanted) as helpers:
        own = read_anchored_heads(path, key, *ranges[0], *stretches[0])
        if not found.add(path, own):
            return False
        wanted.update(c.seq for c in own.others)
        seen: dict[int, str] = {}
        differing: dict[int, str] = {}
        to_seq = ranges[0][1]
        walk_chain(key, report, wanted, seen, to_seq=to_seq, heads=own.heads, differing=differing)
        found.pending += [(seq, h) for seq, h in own.heads.items() if seq > report.head_seq]
        if helpers.running:
            meanwhile()  # independent of the chain: done instead of waiting for a helper
        resume = None  # the part from which the parent walks on itself
        for number, part in enumerate(helpers.results(), start=1):
            if report.first_broken_seq is not None:
                break
            joins = part and part.first == (report.head_seq + 1, report.head_hash)
            if not joins or part.failed or not found.add(path, part.file):
                resume = number
                break
            report.events_checked += part.checked
            report.head_seq, report.head_hash = part.last
            seen.update(part.seen)
            differing.update(part.differing)
            found.pending += part.unwalked.items()
    if report.first_broken_seq is None and len(ranges) > 1:
        heads: dict[int, str] = {}
        if resume is not None:  # the rest of the file, read here
            rest = read_anchored_heads(path, key, ranges[resume][0], None, starts[resume], size)
            if not found.add(path, rest):
                return False
            heads = rest.heads
        wanted.update(c.seq for c in found.others)
        wanted.update(seq for seq, _ in found.pending)
        walk_chain(key, report, wanted, seen, heads=heads, differing=differing)
    report.findings += [Finding("checkpoint", message) for message in found.problems]
    checkpoints = valid_signatures(key, report, [*found.others, *database])
    check_head_row(report)
    wrong = {(seq, h) for seq, h in differing.items()} | _pending_wrong(report, found, seen)
    checkpoints += _named_lines(key, report, wrong, found.lines)
    check_checkpoints(report, checkpoints, [], seen, None)
    check_anchors(report, anchors, seen, None)
    return True


class _FileFound:
    """What the stretches of the file gave, gathered in the file's order."""

    def __init__(self):
        self.others: list[Checkpoint] = []
        self.problems: list = []
        self.pending: list[tuple[int, str]] = []  # heads not compared during a walk
        self.lines = 0

    def add(self, path, stretch) -> bool:
        """False when it holds a rollback accepted (then every checkpoint's time matters)."""
        if _accepts(stretch.others):
            return False
        self.others += stretch.others
        self.problems += problems_of(path, stretch)
        self.pending += stretch.strays
        self.lines += stretch.lines
        return True


def _accepts(checkpoints) -> bool:
    return any(c.kind == ROLLBACK_ACCEPTED for c in checkpoints)


def _pending_wrong(report, found: _FileFound, seen: dict[int, str]) -> set[tuple[int, str]]:
    """The heads no walk compared (lines out of order, beyond a range) that disagree with
    the chain: an event walked but not noted is looked up (the walk vouched for its hash);
    one beyond the trail's end is wrong unless the chain broke before it."""
    walked = report.head_seq
    missing = sorted({seq for seq, _ in found.pending if seq not in seen and 0 < seq <= walked})
    table = AuditEvent.__table__
    for first in range(0, len(missing), 500):
        chunk = missing[first : first + 500]
        seen.update(
            db.session.execute(
                select(table.c.seq, table.c.hash).where(table.c.seq.in_(chunk))
            ).all()
        )
    intact = report.first_broken_seq is None
    return {
        (seq, h)
        for seq, h in found.pending
        if seq and (seen.get(seq, h) != h or (seq > walked and intact and seq not in seen))
    }


@contextmanager
def _collector_paused():
    """The walk makes millions of tuples (rows, checkpoints) and no reference cycles: the
    cyclic collector would only scan its growing lists again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _named_lines(key, report, wrong: set[tuple[int, str]], lines: int) -> list[Checkpoint]:
    """The file's ordinary lines anchoring the `wrong` (seq, hash) pairs, read again as
    checkpoints so that findings name them; `lines` were compared."""
    report.checkpoints_checked += lines
    if not wrong:
        return []
    named = [
        c
        for c in read_file_checkpoints(checkpoint_file())[0]
        if (c.seq, c.hash) in wrong
        and (c.kind, c.note) == (CHECKPOINT, None)
        and c.signature_ok(key)
    ]
    report.checkpoints_checked -= len(named)  # counted again with the others
    return named

"""Verifying the trail: the chain and its signatures, the checkpoints outside the database,
and the data against what the trail says (qms.audit.consistency).

Whoever can write the database but not read the audit key cannot insert, alter, reorder
or re-hash an event (its MAC would not match), nor cut the tail or restore an older copy
(the checkpoints in the file, the database and on printed packs name events that are no
longer there, or that now say something else).
"""

from __future__ import annotations

import gc
import hmac
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.anchor import (
    ROLLBACK_ACCEPTED,
    Checkpoint,
    checkpoint_file,
    read_database_checkpoints,
    read_file_checkpoints,
)
from qms.audit.chain_rows import batches, check_batch
from qms.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, event_payload
from qms.audit.trail import audit_key, event_hash, event_mac
from qms.extensions import db

SHOWN_PER_KIND = 3
KIND_TITLES = {
    "chain": _l("chain"),
    "checkpoint": _l("checkpoint"),
    "rollback": _l("rollback"),
    "anchor": _l("printed head"),
    "data": _l("data"),
}
DATA_TITLES = {
    "orders": _l("orders"),
    "work items": _l("work items"),
    "approved records": _l("approved records"),
    "signatures": _l("signatures"),
    "stored files": _l("stored files"),
    "users": _l("users"),
    "notes": _l("audit notes"),
    "document revisions": _l("approved document revisions"),
}  # a rollback can contradict thousands of checkpoints: show a few, count all


@dataclass
class Finding:
    kind: str  # "chain", "checkpoint", "rollback", "anchor", "data"
    message: str


@dataclass
class TrailReport:
    events_checked: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    since_seq: int | None = None
    checkpoints_checked: int = 0
    checkpoints_superseded: int = 0
    anchors_checked: int = 0
    data_checked: dict[str, int] | None = None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    first_broken_seq: int | None = None
    first_broken_id: int | None = None

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def problem(self) -> str | None:
        return self.findings[0].message if self.findings else None

    def lines(self) -> list[str]:
        """The report as the command prints it, in the reader's language."""
        start = str(_l(" (from checkpoint #%(seq)s)", seq=self.since_seq)) if self.since_seq else ""
        counts = str(_l("checkpoints: %(n)s compared", n=self.checkpoints_checked))
        if self.checkpoints_superseded:
            counts += str(_l(", %(n)s superseded", n=self.checkpoints_superseded))
        if self.anchors_checked:
            counts += str(_l("; printed heads: %(n)s", n=self.anchors_checked))
        out = [
            str(_l("audit trail head: #%(seq)s %(hash)s", seq=self.head_seq, hash=self.head_hash)),
            str(
                _l(
                    "chain: %(n)s events verified%(start)s, hashes and signatures",
                    n=self.events_checked,
                    start=start,
                )
            ),
            counts,
        ]
        if self.data_checked is not None:
            what = ", ".join(f"{n} {DATA_TITLES[name]}" for name, n in self.data_checked.items())
            out.append(str(_l("data against the trail: %(what)s", what=what)))
        out += [str(_l("note: %(note)s", note=n)) for n in self.notes]
        if self.intact:
            out.append(str(_l("audit trail intact: %(n)s events verified", n=self.events_checked)))
        else:
            out.append(str(_l("audit trail BROKEN: %(n)s finding(s)", n=len(self.findings))))
            out += [f"- {KIND_TITLES[f.kind]}: {f.message}" for f in self.findings]
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())


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
) -> TrailReport:
    """Everything `qms audit verify` checks; `report.intact` when nothing was found."""
    from qms.audit.consistency import check_data_against_trail

    db.session.expire_all()  # compare what the database holds now, not what was read before
    key = audit_key()
    report = TrailReport()
    with _collector_paused():
        tail = INCREMENTAL_TAIL_BYTES if since_checkpoint else None
        checkpoints = _valid_checkpoints(key, report, tail)
        accepted = [c for c in checkpoints if c.kind == ROLLBACK_ACCEPTED]
        start = _start_checkpoint(checkpoints, accepted) if since_checkpoint else None
        wanted = {c.seq for c in checkpoints} | {seq for seq, _ in anchors}
        seen = _walk_chain(key, report, start, wanted)
        _check_head_row(report)
        _check_checkpoints(report, checkpoints, accepted, seen, start)
        _check_anchors(report, anchors, seen, start)
    if check_data:
        data_findings, report.data_checked = check_data_against_trail()
        report.findings += [Finding("data", message) for message in data_findings]
    return report


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


def _valid_checkpoints(key: bytes, report: TrailReport, tail: int | None) -> list[Checkpoint]:
    from_file, unreadable = read_file_checkpoints(checkpoint_file(), tail)
    report.findings += [Finding("checkpoint", message) for message in unreadable]
    valid = []
    forged = []
    for checkpoint in (*from_file, *read_database_checkpoints()):
        (valid if checkpoint.signature_ok(key) else forged).append(checkpoint)
    _collapse(
        report,
        "checkpoint",
        [
            _l(
                "%(where)s (head #%(seq)s) has a signature that does not match: it was forged, "
                "or made with another audit key",
                where=c.where,
                seq=c.seq,
            )
            for c in forged
        ],
    )
    return valid


def _start_checkpoint(checkpoints, accepted) -> Checkpoint | None:
    """The latest checkpoint still in force: the incremental walk starts there."""
    live = [c for c in checkpoints if c.seq > 0 and not _superseded(c, accepted)]
    return max(live, key=lambda c: (c.seq, c.made_at), default=None)


def _superseded(checkpoint: Checkpoint, accepted: list[Checkpoint]) -> bool:
    """A checkpoint beyond a rollback that an administrator accepted later (after a restore)."""
    return any(a.made_at > checkpoint.made_at and a.seq < checkpoint.seq for a in accepted)


def _walk_chain(key: bytes, report: TrailReport, start, wanted: set[int]) -> dict[int, str]:
    """Recompute every hash and MAC from `start` (or the genesis); return the hashes of the
    sequence numbers in `wanted` that the walk passed.

    The rows are read raw (qms.audit.chain_rows); an event that does not pass there is
    loaded and checked again the ordinary way, which decides and names the problem.
    """
    expected_seq, expected_prev = 1, GENESIS_HASH
    if start is not None:
        expected_seq, expected_prev = start.seq, None  # the checkpoint vouches for its event
        report.since_seq = start.seq
    seen: dict[int, str] = {}
    for rows in batches(expected_seq if start is not None else 0):
        while rows:
            walk = check_batch(rows, key, expected_seq, expected_prev, wanted, seen)
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
                return seen
            # The ordinary check passes it (a value the raw path does not handle): go on.
            if failed[0] in wanted:
                seen[failed[0]] = failed[15]
            report.events_checked += 1
            report.head_seq, report.head_hash = failed[0], failed[15]
            expected_seq, expected_prev = failed[0] + 1, failed[15]
            rows = rows[walk.checked + 1 :]
    return seen


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


def _check_head_row(report: TrailReport) -> None:
    if report.first_broken_seq is not None:
        return
    head = db.session.get(AuditChainHead, 1)
    if head is None:
        report.findings.append(Finding("chain", _l("the chain head row is missing")))
    elif head.seq > report.head_seq:
        report.findings.append(
            Finding(
                "chain",
                _l(
                    "the chain head records event #%(head)s, but the trail ends at "
                    "#%(end)s (events were removed)",
                    head=head.seq,
                    end=report.head_seq,
                ),
            )
        )
    elif (head.seq, head.hash) != (report.head_seq, report.head_hash):
        report.findings.append(
            Finding(
                "chain",
                _l("the chain head (#%(head)s) does not match the last event", head=head.seq),
            )
        )


def _check_checkpoints(report, checkpoints, accepted, seen, start) -> None:
    beyond, differing = [], []
    for checkpoint in checkpoints:
        if checkpoint.seq == 0:
            continue
        if checkpoint.kind != ROLLBACK_ACCEPTED and _superseded(checkpoint, accepted):
            report.checkpoints_superseded += 1
            continue
        if start is not None and checkpoint.seq < start.seq:
            continue  # checked by the full verifications before this one
        report.checkpoints_checked += 1
        if checkpoint.seq > report.head_seq and report.first_broken_seq is None:
            beyond.append(
                _l(
                    "checkpoint #%(seq)s (%(label)s) is beyond the end of the trail "
                    "(#%(end)s): events were removed or an older backup was restored",
                    seq=checkpoint.seq,
                    label=_label(checkpoint),
                    end=report.head_seq,
                )
            )
        elif checkpoint.seq in seen and seen[checkpoint.seq] != checkpoint.hash:
            differing.append(
                _l(
                    "event #%(seq)s is not the one checkpoint %(label)s recorded: "
                    "the trail was rewritten or replaced",
                    seq=checkpoint.seq,
                    label=_label(checkpoint),
                )
            )
    _collapse(report, "rollback", beyond)
    _collapse(report, "checkpoint", differing)
    for a in accepted:
        report.notes.append(
            _l(
                "a rollback to #%(seq)s was accepted %(when)s: %(why)s",
                seq=a.seq,
                when=_when(a.made_at),
                why=a.note or "",
            )
        )


def _label(checkpoint: Checkpoint):
    """Where a checkpoint is and when it was made: only for one that is named (the file
    holds one per committed change)."""
    return _l("%(where)s, made %(when)s", where=checkpoint.where, when=_when(checkpoint.made_at))


def _check_anchors(report, anchors, seen, start) -> None:
    for seq, expected in anchors:
        report.anchors_checked += 1
        if seq > report.head_seq and report.first_broken_seq is None:
            report.findings.append(
                Finding(
                    "anchor",
                    _l("the printed head #%(seq)s is beyond the end of the trail", seq=seq),
                )
            )
        elif seq in seen and seen[seq] != expected:
            report.findings.append(
                Finding(
                    "anchor",
                    _l(
                        "event #%(seq)s is not the one printed (%(hash)s…)",
                        seq=seq,
                        hash=expected[:16],
                    ),
                )
            )
        elif start is not None and seq < start.seq:
            report.notes.append(
                _l("printed head #%(seq)s is before the checkpoint: not compared", seq=seq)
            )


def _collapse(report: TrailReport, kind: str, messages: list[str]) -> None:
    report.findings += [Finding(kind, m) for m in messages[:SHOWN_PER_KIND]]
    if len(messages) > SHOWN_PER_KIND:
        more = len(messages) - SHOWN_PER_KIND
        report.findings.append(Finding(kind, _l("… and %(n)s more like these", n=more)))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")

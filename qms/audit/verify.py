"""Verifying the trail: the chain and its signatures, the checkpoints outside the database,
and the data against what the trail says (qms.audit.consistency).

Whoever can write the database but not read the audit key cannot insert, alter, reorder
or re-hash an event (its MAC would not match), nor cut the tail or restore an older copy
(the checkpoints in the file, the database and on printed packs name events that are no
longer there, or that now say something else).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from qms.audit.anchor import (
    ROLLBACK_ACCEPTED,
    Checkpoint,
    checkpoint_file,
    read_database_checkpoints,
    read_file_checkpoints,
)
from qms.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, event_payload
from qms.audit.trail import audit_key, event_hash, event_mac
from qms.extensions import db

SHOWN_PER_KIND = 3  # a rollback can contradict thousands of checkpoints: show a few, count all


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
        start = f" (from checkpoint #{self.since_seq})" if self.since_seq else ""
        out = [
            f"audit trail head: #{self.head_seq} {self.head_hash}",
            f"chain: {self.events_checked} events verified{start}, hashes and signatures",
            f"checkpoints: {self.checkpoints_checked} compared"
            + (f", {self.checkpoints_superseded} superseded" if self.checkpoints_superseded else "")
            + (f"; printed heads: {self.anchors_checked}" if self.anchors_checked else ""),
        ]
        if self.data_checked is not None:
            what = ", ".join(f"{n} {name}" for name, n in self.data_checked.items())
            out.append(f"data against the trail: {what}")
        out += [f"note: {n}" for n in self.notes]
        if self.intact:
            out.append(f"audit trail intact: {self.events_checked} events verified")
        else:
            out.append(f"audit trail BROKEN: {len(self.findings)} finding(s)")
            out += [f"- {f.kind}: {f.message}" for f in self.findings]
        return out

    def summary(self) -> str:
        return "\n".join(self.lines())


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
    checkpoints = _valid_checkpoints(key, report)
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


def _valid_checkpoints(key: bytes, report: TrailReport) -> list[Checkpoint]:
    from_file, unreadable = read_file_checkpoints(checkpoint_file())
    report.findings += [Finding("checkpoint", message) for message in unreadable]
    valid = []
    forged = []
    for checkpoint in (*from_file, *read_database_checkpoints()):
        (valid if checkpoint.signature_ok(key) else forged).append(checkpoint)
    _collapse(
        report,
        "checkpoint",
        [
            f"{c.where} (head #{c.seq}) has a signature that does not match: it was forged, "
            "or made with another audit key"
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
    sequence numbers in `wanted` that the walk passed."""
    table = AuditEvent.__table__
    query = select(table).order_by(table.c.seq)
    expected_seq, expected_prev = 1, GENESIS_HASH
    if start is not None:
        query = query.where(table.c.seq >= start.seq)
        expected_seq, expected_prev = start.seq, None  # the checkpoint vouches for its event
        report.since_seq = start.seq
    seen: dict[int, str] = {}
    for event in db.session.execute(query).yield_per(5000):
        problem = None
        if event.seq != expected_seq:
            problem = f"event #{expected_seq} is missing (the next one is #{event.seq})"
        elif expected_prev is not None and event.prev_hash != expected_prev:
            problem = "its link to the previous event does not match (events were reordered)"
        elif event_hash(event.prev_hash, event_payload(event)) != event.hash:
            problem = "its content does not match its hash (the row was altered)"
        elif event.mac is None or not hmac.compare_digest(event.mac, event_mac(key, event.hash)):
            problem = (
                "its signature does not match: it was not written by qms "
                "(inserted or re-hashed by hand)"
            )
        if problem:
            report.first_broken_seq, report.first_broken_id = event.seq, event.id
            report.findings.append(
                Finding("chain", f"event #{event.seq} (id {event.id}): {problem}")
            )
            break
        if event.seq in wanted:
            seen[event.seq] = event.hash
        expected_seq, expected_prev = event.seq + 1, event.hash
        report.events_checked += 1
        report.head_seq, report.head_hash = event.seq, event.hash
    return seen


def _check_head_row(report: TrailReport) -> None:
    if report.first_broken_seq is not None:
        return
    head = db.session.get(AuditChainHead, 1)
    if head is None:
        report.findings.append(Finding("chain", "the chain head row is missing"))
    elif head.seq > report.head_seq:
        report.findings.append(
            Finding(
                "chain",
                f"the chain head records event #{head.seq}, but the trail ends at "
                f"#{report.head_seq} (events were removed)",
            )
        )
    elif (head.seq, head.hash) != (report.head_seq, report.head_hash):
        report.findings.append(
            Finding("chain", f"the chain head (#{head.seq}) does not match the last event")
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
        label = f"{checkpoint.where}, made {_when(checkpoint.made_at)}"
        if checkpoint.seq > report.head_seq and report.first_broken_seq is None:
            beyond.append(
                f"checkpoint #{checkpoint.seq} ({label}) is beyond the end of the trail "
                f"(#{report.head_seq}): events were removed or an older backup was restored"
            )
        elif checkpoint.seq in seen and seen[checkpoint.seq] != checkpoint.hash:
            differing.append(
                f"event #{checkpoint.seq} is not the one checkpoint {label} recorded: "
                "the trail was rewritten or replaced"
            )
    _collapse(report, "rollback", beyond)
    _collapse(report, "checkpoint", differing)
    for a in accepted:
        report.notes.append(
            f"a rollback to #{a.seq} was accepted {_when(a.made_at)}: {a.note or ''}".strip()
        )


def _check_anchors(report, anchors, seen, start) -> None:
    for seq, expected in anchors:
        report.anchors_checked += 1
        if seq > report.head_seq and report.first_broken_seq is None:
            report.findings.append(
                Finding("anchor", f"the printed head #{seq} is beyond the end of the trail")
            )
        elif seq in seen and seen[seq] != expected:
            report.findings.append(
                Finding("anchor", f"event #{seq} is not the one printed ({expected[:16]}…)")
            )
        elif start is not None and seq < start.seq:
            report.notes.append(f"printed head #{seq} is before the checkpoint: not compared")


def _collapse(report: TrailReport, kind: str, messages: list[str]) -> None:
    report.findings += [Finding(kind, m) for m in messages[:SHOWN_PER_KIND]]
    if len(messages) > SHOWN_PER_KIND:
        more = len(messages) - SHOWN_PER_KIND
        report.findings.append(Finding(kind, f"… and {more} more like these"))


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")

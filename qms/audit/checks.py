"""The checks of a verification beside the walk: signatures of the checkpoints, the chain's
head row, the checkpoints and printed heads against the hashes the walk passed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qms.audit.anchor import ROLLBACK_ACCEPTED, Checkpoint
from qms.audit.findings import Finding, TrailReport, collapse, when
from qms.audit.models import AuditChainHead
from qms.extensions import db


def valid_signatures(
    key: bytes, report: TrailReport, candidates: list[Checkpoint]
) -> list[Checkpoint]:
    """The checkpoints whose signatures match; the others are findings."""
    valid = []
    forged = []
    for checkpoint in candidates:
        (valid if checkpoint.signature_ok(key) else forged).append(checkpoint)
    collapse(
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


def start_checkpoint(checkpoints, accepted) -> Checkpoint | None:
    """The latest checkpoint still in force: the incremental walk starts there."""
    live = [c for c in checkpoints if c.seq > 0 and not superseded(c, accepted)]
    return max(live, key=lambda c: (c.seq, c.made_at), default=None)


def superseded(checkpoint: Checkpoint, accepted: list[Checkpoint]) -> bool:
    """A checkpoint beyond a rollback that an administrator accepted later (after a restore)."""
    return any(a.made_at > checkpoint.made_at and a.seq < checkpoint.seq for a in accepted)


def check_head_row(report: TrailReport) -> None:
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


def check_checkpoints(report, checkpoints, accepted, seen, start) -> None:
    beyond, differing = [], []
    for checkpoint in checkpoints:
        if checkpoint.seq == 0:
            continue
        if checkpoint.kind != ROLLBACK_ACCEPTED and superseded(checkpoint, accepted):
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
    collapse(report, "rollback", beyond)
    collapse(report, "checkpoint", differing)
    for a in accepted:
        report.notes.append(
            _l(
                "a rollback to #%(seq)s was accepted %(when)s: %(why)s",
                seq=a.seq,
                when=when(a.made_at),
                why=a.note or "",
            )
        )


def _label(checkpoint: Checkpoint):
    """Where a checkpoint is and when it was made: only for one that is named (the file
    holds one per committed change)."""
    return _l("%(where)s, made %(when)s", where=checkpoint.where, when=when(checkpoint.made_at))


def check_anchors(report, anchors, seen, start) -> None:
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

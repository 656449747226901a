"""Approved records and document revisions against the approvals the trail signed
(shared by both parts of `qms audit verify`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.models import AuditEvent


def approvals_in_trail(session, action: str) -> dict[int, tuple[str | None, int]]:
    """{entity id: (content hash the approval signed, its event's seq)} for one approval
    action ("record.approved", "document.approved")."""
    return {
        entity_id: (changes.get("content_sha256"), seq)
        for entity_id, changes, seq in session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes, AuditEvent.seq).where(
                AuditEvent.action == action
            )
        )
    }


def approval_findings(label, approval, now: str | None) -> list:
    """What a thing's current state says against its approval in the trail: approved
    without an approval event, changed since, or back to draft. `now` is its content hash
    when it is approved, None when it is a draft."""
    if now is None:
        if approval is None:
            return []
        return [
            _l(
                "%(record)s was approved (event #%(seq)s) but is now a draft",
                record=label,
                seq=approval[1],
            )
        ]
    if approval is None:
        return [_l("%(record)s is approved but the trail holds no approval of it", record=label)]
    if approval[0] != now:
        return [
            _l(
                "%(record)s now hashes %(now)s…, but it was approved (event #%(seq)s) as "
                "%(then)s…: its content or files changed after approval",
                record=label,
                now=now[:16],
                seq=approval[1],
                then=str(approval[0])[:16],
            )
        ]
    return []

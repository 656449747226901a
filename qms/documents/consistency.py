"""Controlled documents against the trail (part of `qms audit verify`): an approved
revision must carry the approval the trail signed, over the content it has now."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.models import AuditEvent
from qms.documents.models import DocumentRevision


def approved_revision_findings(session) -> tuple[list, int]:
    """(findings, approved revisions checked) in two queries."""
    approvals = {
        entity_id: (changes.get("content_sha256"), seq)
        for entity_id, changes, seq in session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes, AuditEvent.seq).where(
                AuditEvent.action == "document.approved"
            )
        )
    }
    messages = []
    checked = 0
    for revision in session.scalars(select(DocumentRevision).order_by(DocumentRevision.id)):
        label = _l(
            "document %(register)s rev. %(n)s", register=revision.register, n=revision.revision
        )
        approval = approvals.get(revision.id)
        if not revision.is_approved:
            if approval is not None:
                messages.append(
                    _l(
                        "%(record)s was approved (event #%(seq)s) but is now a draft",
                        record=label,
                        seq=approval[1],
                    )
                )
            continue
        checked += 1
        now = revision.content_hash()
        if approval is None:
            messages.append(
                _l("%(record)s is approved but the trail holds no approval of it", record=label)
            )
        elif approval[0] != now:
            messages.append(
                _l(
                    "%(record)s now hashes %(now)s…, but it was approved (event #%(seq)s) as "
                    "%(then)s…: its content or files changed after approval",
                    record=label,
                    now=now[:16],
                    seq=approval[1],
                    then=str(approval[0])[:16],
                )
            )
    return messages, checked

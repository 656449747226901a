"""Controlled documents against the trail (part of `qms audit verify`): an approved
revision must carry the approval the trail signed, over the content it has now."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.approvals import approval_findings, approvals_in_trail
from qms.documents.models import DocumentRevision


def approved_revision_findings(session) -> tuple[list, int]:
    """(findings, approved revisions checked) in two queries; the same rules as records."""
    approvals = approvals_in_trail(session, "document.approved")
    messages = []
    checked = 0
    for revision in session.scalars(select(DocumentRevision).order_by(DocumentRevision.id)):
        label = _l(
            "document %(register)s rev. %(n)s", register=revision.register, n=revision.revision
        )
        checked += revision.is_approved
        now = revision.content_hash() if revision.is_approved else None
        messages += approval_findings(label, approvals.get(revision.id), now)
    return messages, checked

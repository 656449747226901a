"""The audit report PDF: the matrix, its gaps and the chain verification, signed off by
the auditor who generated it."""

from __future__ import annotations

from datetime import date

from flask import render_template

from qms.audit.verify import verify_trail
from qms.auth.models import User
from qms.packs.render import render_pdf
from qms.timeutil import utcnow
from qms.trace.matrix import build_matrix


def audit_report_pdf(
    date_from: date | None, date_to: date | None, auditor: User | None
) -> tuple[bytes, int]:
    matrix = build_matrix(date_from=date_from, date_to=date_to)
    html = render_template(
        "pdf/audit-report.html",
        matrix=matrix,
        verification=verify_trail(),
        date_from=date_from,
        date_to=date_to,
        auditor=auditor,
        generated_at=utcnow(),
    )
    return render_pdf(html)

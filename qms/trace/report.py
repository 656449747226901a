"""The audit report PDF: the matrix, its gaps and the chain verification, signed off by
the auditor who generated it."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale

from qms.audit.verify import verify_trail
from qms.auth.models import User
from qms.documents import governing
from qms.documents.queries import STATUS_TITLES, document_statuses
from qms.i18n import command_language, role_title
from qms.timeutil import utcnow
from qms.trace.matrix import build_matrix
from qms.workflow.registry import registry


def report_language(auditor: User | None) -> str:
    """The command's --lang if given, else the auditor's language, else QMS_LANGUAGE."""
    return (
        command_language.get()
        or (auditor.language if auditor else None)
        or current_app.config["QMS_LANGUAGE"]
    )


def audit_report_pdf(
    date_from: date | None, date_to: date | None, auditor: User | None
) -> tuple[bytes, int]:
    """The report in its reader's language; the head it prints anchors the trail."""
    matrix = build_matrix(date_from=date_from, date_to=date_to)
    verification = verify_trail()
    language = report_language(auditor)
    kinds = registry().latest("customer-order").records
    with force_locale(language):
        html = render_template(
            "pdf/audit-report.html",
            matrix=matrix,
            verification=verification,
            date_from=date_from,
            date_to=date_to,
            auditor=auditor,
            generated_at=utcnow(),
            language=language,
            kind_title=lambda k: kinds[k].title.get(language) if k in kinds else k,
            role_title=role_title,
            documents=document_statuses().values(),
            status_titles=STATUS_TITLES,
            governed_orders=governing.orders_per_revision(),
            today=utcnow().date(),
        )
    from qms.packs.render import render_pdf  # WeasyPrint loads when a report is printed

    return render_pdf(html)

"""A revision's content, checked: a summary, a text or a PDF/DOCX/ODT file (checked as any
upload is and stored content-addressed), an effective date and a review interval."""

from __future__ import annotations

import calendar
import hashlib
from datetime import date
from pathlib import PurePath

from flask_babel import lazy_gettext as _l

from qms.database.limits import check_date
from qms.extensions import db
from qms.records.files import check_upload
from qms.records.models import Blob

FILE_TYPES = (".pdf", ".docx", ".odt")


class DocumentError(ValueError):
    """Bad input for a controlled-document operation, in words a person can act on."""


def add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def checked_content(
    *,
    summary: str,
    body: str,
    filename: str | None,
    content: bytes | None,
    effective_from: date,
    review_months: int,
    max_bytes: int,
    after=None,
    keep: tuple[str, str] | None = None,
) -> dict:
    """The revision's columns, or DocumentError. `after` is the approved revision it
    supersedes (it must take effect later); `keep` a (file name, SHA-256) already stored."""
    if not summary or not summary.strip():
        raise DocumentError(_l("say what this revision changes"))
    body = (body or "").strip()
    if bool(body) == bool(content):
        raise DocumentError(_l("a revision is either a text or a file, one of the two"))
    if not isinstance(review_months, int) or not 1 <= review_months <= 120:
        raise DocumentError(_l("the review interval is 1 to 120 months"))
    check_date(effective_from, _l("Effective from"))
    if after is not None and effective_from <= after.effective_from:
        raise DocumentError(
            _l(
                "the new revision must take effect after %(date)s, when revision %(revision)s did",
                date=after.effective_from.isoformat(),
                revision=after.revision,
            )
        )
    name, digest = keep or (None, None)
    if content and keep is None:
        name, digest = _stored(filename, content, max_bytes)
    return {
        "summary": summary.strip(),
        "body": body if not content else "",
        "filename": name,
        "blob_sha256": digest,
        "effective_from": effective_from,
        "review_months": review_months,
        "review_due": add_months(effective_from, review_months),
    }


def _stored(filename: str | None, content: bytes, max_bytes: int) -> tuple[str, str]:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in FILE_TYPES:
        raise DocumentError(
            _l("a document's file is a PDF, DOCX or ODT (not '%(suffix)s')", suffix=suffix)
        )
    try:
        name, content_type = check_upload(filename or "", content, max_bytes)
    except ValueError as exc:
        raise DocumentError(str(exc)) from None
    digest = hashlib.sha256(content).hexdigest()
    if db.session.get(Blob, digest) is None:
        db.session.add(
            Blob(sha256=digest, size=len(content), content_type=content_type, content=content)
        )
        db.session.flush()
    return name, digest

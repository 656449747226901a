"""Attachments: checked, then stored content-addressed in the database."""

from __future__ import annotations

import hashlib
from pathlib import PurePath

from flask_babel import lazy_gettext as _l
from werkzeug.utils import secure_filename

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.database.limits import column_length
from qms.extensions import db
from qms.records.models import Attachment, Blob, Record
from qms.records.services import RecordError, check_may_edit, contribute

# Extension -> (content type, how the file must begin; None for text checked as UTF-8).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".txt": ("text/plain; charset=utf-8", None),
    ".csv": ("text/csv; charset=utf-8", None),
}


def check_upload(filename: str, content: bytes, max_bytes: int) -> tuple[str, str]:
    """The safe file name and content type, or RecordError saying what is wrong."""
    name = secure_filename(filename or "") or "file"
    # secure_filename drops non-ASCII letters; keep a readable original extension-only name.
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in ALLOWED:
        allowed = ", ".join(sorted(ALLOWED))
        raise RecordError(
            _l(
                "files of type '%(suffix)s' are not accepted (%(allowed)s)",
                suffix=suffix or "—",
                allowed=allowed,
            )
        )
    if not content:
        raise RecordError(_l("the file is empty"))
    if len(content) > max_bytes:
        raise RecordError(_l("the file is larger than %(mb)s MB", mb=max_bytes // (1024 * 1024)))
    content_type, magic = ALLOWED[suffix]
    if magic is None:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordError(
                _l("the file is not UTF-8 text, as a %(suffix)s file must be", suffix=suffix)
            ) from None
    elif not content.startswith(magic):
        raise RecordError(
            _l("the file's content is not %(kind)s, whatever its name", kind=suffix[1:].upper())
        )
    if not name.lower().endswith(suffix):
        name = f"{PurePath(name).stem or 'file'}{suffix}"
    limit = column_length(Attachment, "filename")
    if len(name) > limit:  # shortened, keeping what the file is
        name = name[: limit - len(suffix)] + suffix
    return name, content_type


def attach_file(
    record: Record, filename: str, content: bytes, uploader: User, max_bytes: int
) -> Attachment:
    """Attach a checked file to a draft; attaching follows the same rule as editing."""
    check_may_edit(record, uploader)
    name, content_type = check_upload(filename, content, max_bytes)
    digest = hashlib.sha256(content).hexdigest()
    if db.session.get(Blob, digest) is None:
        db.session.add(
            Blob(sha256=digest, size=len(content), content_type=content_type, content=content)
        )
        db.session.flush()  # the blob row must exist before the attachment points at it
    attachment = Attachment(
        record_id=record.id, blob_sha256=digest, filename=name, uploaded_by_id=uploader.id
    )
    db.session.add(attachment)
    contribute(record, uploader, "attached")
    db.session.flush()
    record_event(
        actor=uploader,
        action="record.attached",
        entity_type="record",
        entity_id=record.id,
        order_id=record.order_id,
        changes={"file": name, "sha256": digest, "size": len(content)},
    )
    return attachment


def remove_attachment(record: Record, attachment: Attachment, remover: User) -> None:
    """Take a file off a draft (the stored content stays: other revisions may share it)."""
    check_may_edit(record, remover)
    if attachment.record_id != record.id:
        raise RecordError(_l("this file belongs to another record"))
    db.session.delete(attachment)
    contribute(record, remover, "removed_file")
    db.session.flush()
    db.session.expire(record, ["attachments"])  # the content hash must not count it
    record_event(
        actor=remover,
        action="record.file_removed",
        entity_type="record",
        entity_id=record.id,
        order_id=record.order_id,
        changes={"file": attachment.filename, "sha256": attachment.blob_sha256},
    )

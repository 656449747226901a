"""A record's files: attach, remove, download (same blueprint as the record pages)."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.database.retry import commit_retrying
from qms.extensions import db
from qms.records.files import attach_file, remove_attachment
from qms.records.forms import AttachForm, ConfirmForm
from qms.records.models import Attachment, Blob
from qms.records.services import RecordError
from qms.records.views import _record_or_404, _refuse, blueprint
from qms.web.permissions import requires


@blueprint.post("/records/<int:record_id>/attachments")
@requires("write_record")
def attach(record_id: int):
    record = _record_or_404(record_id)
    form = AttachForm()
    if form.validate_on_submit():
        upload = form.file.data
        content = upload.read()
        try:
            # The same file uploaded at the same moment elsewhere: its blob is stored
            # once, so run again and share it.
            commit_retrying(
                lambda: attach_file(
                    record,
                    upload.filename,
                    content,
                    current_user,
                    current_app.config["MAX_CONTENT_LENGTH"],
                )
            )
        except RecordError as exc:
            return _refuse(record, str(exc), "attach_form", form, "file")
        flash(_("File attached."), "success")
        return redirect(url_for("records.show", record_id=record.id))
    return _refuse(record, _("Choose a file to attach."), "attach_form", form, "file")


@blueprint.post("/records/<int:record_id>/attachments/<int:attachment_id>/remove")
@requires("write_record")
def remove_file(record_id: int, attachment_id: int):
    record = _record_or_404(record_id)
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.record_id != record.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        remove_attachment(record, attachment, current_user)
    except RecordError as exc:
        return _refuse(record, str(exc), "attach_form", AttachForm(), "file")
    db.session.commit()
    flash(_("File removed."), "success")
    return redirect(url_for("records.show", record_id=record.id))


@blueprint.get("/attachments/<int:attachment_id>/<path:filename>")
@requires("view")
def download(attachment_id: int, filename: str):
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.filename != filename:
        abort(404)
    blob = db.session.get(Blob, attachment.blob_sha256)
    return Response(
        blob.content,
        content_type=blob.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{attachment.filename}"',
            "X-Content-Type-Options": "nosniff",
            "ETag": blob.sha256,
        },
    )

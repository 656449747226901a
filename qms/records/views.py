from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from qms.database.retry import commit_retrying
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import OrderError, get_order
from qms.records.files import attach_file
from qms.records.forms import (
    AttachForm,
    ReviseForm,
    SignForm,
    kind_fields,
    record_form_for,
)
from qms.records.models import Attachment, Blob, Record, Signature
from qms.records.services import (
    RecordError,
    create_record,
    record_kind,
    revise_record,
    sign_record,
    update_draft,
)
from qms.web.permissions import requires

blueprint = Blueprint("records", __name__)


def _record_or_404(record_id: int) -> Record:
    record = db.session.scalars(
        select(Record)
        .where(Record.id == record_id)
        .options(
            joinedload(Record.author),
            selectinload(Record.signatures).joinedload(Signature.signer),
            selectinload(Record.attachments),
        )
    ).first()
    if record is None:
        abort(404)
    return record


def _order_of(record: Record) -> Order:
    return db.session.get(Order, record.order_id)


@blueprint.route("/orders/<number>/records/new", methods=["GET", "POST"])
@requires("write_record")
def new(number: str):
    try:
        order = get_order(number)
        kind = record_kind(order, request.args.get("kind", ""))
    except (OrderError, RecordError):
        abort(404)
    form = record_form_for(kind, current_user.language)
    if request.method == "GET":
        form.title.data = f"{kind.title.get(order.language)} — {order.number}"
    if form.validate_on_submit():
        try:
            record = create_record(
                order,
                kind.kind,
                author=current_user,
                title=form.title.data,
                body=form.body.data or "",
                fields=kind_fields(form, kind),
            )
        except RecordError as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Draft saved. Someone else must approve it."), "success")
            return redirect(url_for("records.show", record_id=record.id))
    return render_template(
        "records/edit.html", form=form, order=order, kind=kind, record=None
    ), 422 if form.errors else 200


def _record_page(record: Record, status: int = 200, **forms):
    """The record page: the record, its revisions, and the sign/revise/attach forms."""
    order = _order_of(record)
    kind = record_kind(order, record.kind)
    revisions = db.session.scalars(
        select(Record)
        .where(Record.lineage == record.lineage)
        .order_by(Record.revision)
        .options(joinedload(Record.author))
    ).all()
    forms = {
        "sign_form": SignForm(meaning=kind.approve_as),
        "revise_form": ReviseForm(),
        "attach_form": AttachForm(),
    } | forms
    return render_template(
        "records/show.html", record=record, order=order, kind=kind, revisions=revisions, **forms
    ), status


@blueprint.get("/records/<int:record_id>")
@requires("view")
def show(record_id: int):
    return _record_page(_record_or_404(record_id))


@blueprint.route("/records/<int:record_id>/edit", methods=["GET", "POST"])
@requires("write_record")
def edit(record_id: int):
    record = _record_or_404(record_id)
    order = _order_of(record)
    kind = record_kind(order, record.kind)
    if record.is_approved:
        flash(_("This record is approved; revise it (with a reason) instead."), "error")
        return redirect(url_for("records.show", record_id=record.id))
    initial = {f"field_{k}": v for k, v in (record.fields or {}).items()}
    form = record_form_for(kind, current_user.language, obj=record, **initial)
    if form.validate_on_submit():
        try:
            update_draft(
                record,
                editor=current_user,
                title=form.title.data,
                body=form.body.data or "",
                fields=kind_fields(form, kind),
            )
        except RecordError as exc:
            db.session.rollback()
            form.title.errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for("records.show", record_id=record.id))
    return render_template(
        "records/edit.html", form=form, order=order, kind=kind, record=record
    ), 422 if form.errors else 200


def _refuse(record: Record, message: str, form_name: str, form, field: str):
    """Show the record page again with `message` next to `field` of the form that failed."""
    db.session.rollback()
    target = getattr(form, field)
    target.errors = [*target.errors, message]
    return _record_page(_record_or_404(record.id), 422, **{form_name: form})


@blueprint.post("/records/<int:record_id>/sign")
@requires("sign_record")
def sign(record_id: int):
    record = _record_or_404(record_id)
    form = SignForm()
    if form.validate_on_submit():
        try:
            sign_record(
                record, signer=current_user, password=form.password.data, meaning=form.meaning.data
            )
        except RecordError as exc:
            form.password.data = ""
            return _refuse(record, str(exc), "sign_form", form, "password")
        db.session.commit()
        flash(_("Signed."), "success")
        return redirect(url_for("records.show", record_id=record.id))
    return _refuse(record, _("Enter your password to sign."), "sign_form", form, "password")


@blueprint.post("/records/<int:record_id>/revise")
@requires("write_record")
def revise(record_id: int):
    record = _record_or_404(record_id)
    form = ReviseForm()
    if form.validate_on_submit():
        try:
            revision = revise_record(record, author=current_user, reason=form.reason.data)
        except RecordError as exc:
            return _refuse(record, str(exc), "revise_form", form, "reason")
        db.session.commit()
        flash(_("Revision %(n)s opened as a draft.", n=revision.revision), "success")
        return redirect(url_for("records.edit", record_id=revision.id))
    return _refuse(record, _("Say why a new revision is needed."), "revise_form", form, "reason")


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

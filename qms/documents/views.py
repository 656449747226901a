"""The controlled documents' pages: the register with its revisions, and one document."""

from __future__ import annotations

import difflib

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.documents import acknowledgements
from qms.documents.forms import (
    AcknowledgeForm,
    ApproveForm,
    ReviewForm,
    RevisionForm,
    WithdrawForm,
)
from qms.documents.models import DocumentAcknowledgement, DocumentRevision, GoverningRevision
from qms.documents.queries import STATUS_TITLES, document_statuses
from qms.documents.services import (
    APPROVERS,
    PREPARERS,
    DocumentError,
    add_revision,
    approval_refusal,
    approve_revision,
    edit_draft,
    find_document,
)
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Blob
from qms.records.services import RecordChanged, RecordError
from qms.timeutil import utcnow
from qms.web.permissions import requires
from qms.workflow.registry import catalogue, registry

blueprint = Blueprint("documents", __name__)


@blueprint.get("/standards/documents")
@requires("view")
def index():
    today = utcnow().date()
    return render_template(
        "documents/index.html",
        statuses=document_statuses(today),
        status_titles=STATUS_TITLES,
        unread=acknowledgements.unread(today=today),
        today=today,
    )


def _document_or_404(register: str):
    try:
        return find_document(register)
    except DocumentError:
        abort(404)


def document_page(register: str, status: int = 200, **forms):
    document = _document_or_404(register)
    today = utcnow().date()
    entry = document_statuses(today, register)[register]
    revisions = entry.revisions
    ids = [r.id for r in revisions]
    readings = db.session.scalars(
        select(DocumentAcknowledgement)
        .where(DocumentAcknowledgement.revision_id.in_(ids))
        .order_by(DocumentAcknowledgement.acknowledged_at)
    ).all()
    orders = db.session.scalars(
        select(Order)
        .where(
            Order.id.in_(
                select(GoverningRevision.order_id).where(GoverningRevision.revision_id.in_(ids))
            )
        )
        .order_by(Order.number)
        .limit(100)
    ).all()
    draft = next((r for r in revisions if not r.is_approved), None)
    cat = catalogue()
    steps = [s for s in cat.steps.values() if register in s.documents]
    definition = registry().latest("customer-order")
    left, right = request.args.get("from", type=int), request.args.get("to", type=int)
    return render_template(
        "documents/show.html",
        document=document,
        entry=entry,
        status_titles=STATUS_TITLES,
        readings=readings,
        read_ids={(a.revision_id, a.user_id) for a in readings},
        orders=orders,
        steps=steps,
        definition=definition,
        draft=draft,
        approve_refusal=approval_refusal(draft, current_user) if draft else None,
        diff=_diff(revisions, left, right),
        today=today,
        may_prepare=current_user.role in PREPARERS and entry.withdrawal is None,
        may_withdraw=current_user.role in APPROVERS and entry.withdrawal is None,
        revision_form=forms.get("revision_form") or RevisionForm(formdata=None),
        approve_form=forms.get("approve_form")
        or ApproveForm(formdata=None, content_sha256=draft.content_hash() if draft else ""),
        acknowledge_form=forms.get("acknowledge_form") or AcknowledgeForm(formdata=None),
        withdraw_form=forms.get("withdraw_form") or WithdrawForm(formdata=None),
        review_form=forms.get("review_form") or ReviewForm(formdata=None),
        edit_form=forms.get("edit_form") or RevisionForm(formdata=None, obj=draft),
        may_edit=draft is not None and draft.prepared_by_id == current_user.id,
    ), status


def _diff(revisions, left: int | None, right: int | None):
    """The lines that differ between two text revisions (by revision number), or None."""
    by_number = {r.revision: r for r in revisions}
    if left not in by_number or right not in by_number:
        return None
    a, b = by_number[left], by_number[right]
    return list(
        difflib.unified_diff(
            (a.body or "").splitlines(),
            (b.body or "").splitlines(),
            fromfile=_("revision %(n)s", n=a.revision),
            tofile=_("revision %(n)s", n=b.revision),
            lineterm="",
        )
    )


@blueprint.get("/standards/documents/<register>")
@requires("view")
def show(register: str):
    return document_page(register)


def _again(register: str, form_name: str, form, field: str, message: str, status: int = 422):
    db.session.rollback()
    target = getattr(form, field)
    target.errors = [*target.errors, message]
    return document_page(register, status, **{form_name: form})


@blueprint.post("/standards/documents/<register>/revisions")
@requires("write_record")
def prepare(register: str):
    document = _document_or_404(register)
    form = RevisionForm()
    if not form.validate_on_submit():
        return document_page(register, 422, revision_form=form)
    try:
        revision = add_revision(document, author=current_user, **_revision_fields(form))
    except DocumentError as exc:
        return _again(register, "revision_form", form, "summary", str(exc))
    db.session.commit()
    flash(
        _("Revision %(n)s prepared; it takes effect once approved.", n=revision.revision), "success"
    )
    return redirect(url_for("documents.show", register=register))


def _revision_fields(form: RevisionForm) -> dict:
    """What a new revision or an edited draft takes from the form (a file, or the text)."""
    upload = form.file.data
    content = upload.read() if upload and upload.filename else None
    return {
        "summary": form.summary.data,
        "body": form.body.data or "",
        "filename": upload.filename if content else None,
        "content": content,
        "effective_from": form.effective_from.data,
        "review_months": form.review_months.data,
    }


@blueprint.post("/standards/documents/<register>/revisions/<int:revision_id>/edit")
@requires("write_record")
def edit(register: str, revision_id: int):
    revision = _revision_or_404(register, revision_id)
    form = RevisionForm()
    if not form.validate_on_submit():
        return document_page(register, 422, edit_form=form)
    try:
        edit_draft(revision, editor=current_user, **_revision_fields(form))
    except DocumentError as exc:
        if revision.prepared_by_id != current_user.id:  # no edit form on their page
            flash(str(exc), "error")
        return _again(register, "edit_form", form, "summary", str(exc))
    db.session.commit()
    flash(_("The draft was changed; whoever approves it reads it again."), "success")
    return redirect(url_for("documents.show", register=register))


def _revision_or_404(register: str, revision_id: int) -> DocumentRevision:
    revision = db.session.get(DocumentRevision, revision_id)
    if revision is None or revision.register != register:
        abort(404)
    return revision


@blueprint.post("/standards/documents/<register>/revisions/<int:revision_id>/approve")
@requires("sign_record")
def approve(register: str, revision_id: int):
    revision = _revision_or_404(register, revision_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        return _again(register, "approve_form", form, "password", _("Enter your password to sign."))
    try:
        approve_revision(
            revision,
            signer=current_user,
            password=form.password.data,
            meaning="approved",
            seen_sha256=form.content_sha256.data,
        )
    except RecordChanged as exc:
        return _again(register, "approve_form", form, "password", str(exc), status=409)
    except RecordError as exc:
        return _again(register, "approve_form", form, "password", str(exc))
    db.session.commit()
    flash(_("Signed."), "success")
    return redirect(url_for("documents.show", register=register))


@blueprint.post("/standards/documents/<register>/revisions/<int:revision_id>/acknowledge")
@requires("view")
def acknowledge(register: str, revision_id: int):
    revision = _revision_or_404(register, revision_id)
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        return _again(
            register, "acknowledge_form", form, "password", _("Enter your password to confirm.")
        )
    try:
        acknowledgements.acknowledge(revision, user=current_user, password=form.password.data)
    except acknowledgements.AcknowledgementError as exc:
        return _again(register, "acknowledge_form", form, "password", str(exc))
    db.session.commit()
    flash(_("Recorded: you have read and understood it."), "success")
    return redirect(url_for("documents.show", register=register))


@blueprint.get("/standards/documents/<register>/revisions/<int:revision_id>/file")
@requires("view")
def download(register: str, revision_id: int):
    revision = _revision_or_404(register, revision_id)
    if revision.blob_sha256 is None:
        abort(404)
    blob = db.session.get(Blob, revision.blob_sha256)
    return Response(
        blob.content,
        mimetype=blob.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{revision.filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )

"""Asking someone to sign a draft, and an approver sending one back with the reason."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.auth.models import User
from qms.extensions import db
from qms.records.forms import RequestSignatureForm, SendBackForm
from qms.records.services import RecordError
from qms.records.signing import request_signature, send_back
from qms.records.views import record_or_404, record_page
from qms.web.permissions import requires

blueprint = Blueprint("review", __name__)


def _again(record, form_name: str, form, field: str, message: str):
    db.session.rollback()
    target = getattr(form, field)
    target.errors = [*target.errors, message]
    return record_page(record_or_404(record.id), 422, **{form_name: form})


@blueprint.post("/records/<int:record_id>/request-signature")
@requires("write_record")
def ask(record_id: int):
    record = record_or_404(record_id)
    form = RequestSignatureForm()
    if not form.validate_on_submit():
        return _again(record, "request_form", form, "signer", _("Choose who should sign."))
    signer = db.session.get(User, form.signer.data) if form.signer.data else None
    if signer is None or not signer.is_active:
        return _again(record, "request_form", form, "signer", _("Choose who should sign."))
    try:
        request_signature(record, requester=current_user, signer=signer)
    except RecordError as exc:
        return _again(record, "request_form", form, "signer", str(exc))
    db.session.commit()
    flash(_("%(name)s has been asked to sign.", name=signer.full_name), "success")
    return redirect(url_for("records.show", record_id=record.id))


@blueprint.post("/records/<int:record_id>/send-back")
@requires("sign_record")
def decline(record_id: int):
    record = record_or_404(record_id)
    form = SendBackForm()
    if not form.validate_on_submit():
        return _again(record, "send_back_form", form, "reason", _("Say what must change."))
    try:
        send_back(record, approver=current_user, reason=form.reason.data)
    except RecordError as exc:
        return _again(record, "send_back_form", form, "reason", str(exc))
    db.session.commit()
    flash(_("Sent back to its authors with your reason."), "success")
    return redirect(url_for("records.show", record_id=record.id))

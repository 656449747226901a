"""Keeping the register current from the document's page: a periodic review, a withdrawal."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.documents.content import DocumentError
from qms.documents.forms import ReviewForm, WithdrawForm
from qms.documents.queries import document_statuses
from qms.documents.upkeep import confirm_review, withdraw_document
from qms.documents.views import _again, _document_or_404, document_page
from qms.extensions import db
from qms.timeutil import utcnow
from qms.web.permissions import requires

blueprint = Blueprint("upkeep", __name__)


@blueprint.post("/standards/documents/<register>/withdraw")
@requires("edit_order")
def withdraw(register: str):
    document = _document_or_404(register)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return document_page(register, 422, withdraw_form=form)
    try:
        withdraw_document(document, actor=current_user, reason=form.reason.data)
    except DocumentError as exc:
        return _again(register, "withdraw_form", form, "reason", str(exc))
    db.session.commit()
    flash(_("The document was withdrawn; its revisions are kept."), "success")
    return redirect(url_for("documents.show", register=register))


@blueprint.post("/standards/documents/<register>/review")
@requires("edit_order")
def review(register: str):
    _document_or_404(register)
    form = ReviewForm()
    if not form.validate_on_submit():
        return document_page(register, 422, review_form=form)
    in_force = document_statuses(utcnow().date(), register)[register].in_force
    if in_force is None:
        return _again(register, "review_form", form, "note", _("No revision is in force."))
    try:
        confirm_review(in_force, reviewer=current_user, note=form.note.data)
    except DocumentError as exc:
        return _again(register, "review_form", form, "note", str(exc))
    db.session.commit()
    flash(
        _("Review recorded; the next one is due in %(n)s months.", n=in_force.review_months),
        "success",
    )
    return redirect(url_for("documents.show", register=register))

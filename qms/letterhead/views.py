from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from qms.extensions import db
from qms.letterhead.forms import LetterheadForm
from qms.letterhead.services import (
    LetterheadError,
    current_letterhead,
    logo_bytes,
    set_letterhead,
)
from qms.web.permissions import requires

blueprint = Blueprint("letterhead", __name__, url_prefix="/letterhead")


@blueprint.route("", methods=["GET", "POST"])
@requires("view")
def edit():
    """The administrator's letterhead page (others may look, not change)."""
    current = current_letterhead()
    form = LetterheadForm(data={"name": current.name, "details": current.details})
    may_change = current_user.role == "admin"
    if form.is_submitted() and not may_change:
        abort(403)
    if form.validate_on_submit():
        upload = form.logo.data
        logo = (upload.filename, upload.read()) if upload and upload.filename else None
        try:
            set_letterhead(
                current_user,
                name=form.name.data,
                details=form.details.data or "",
                logo=logo,
                remove_logo=form.remove_logo.data,
            )
        except LetterheadError as exc:
            db.session.rollback()
            target = form.logo if logo is not None else form.name
            target.errors = [*target.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Letterhead saved. Packs issued from now on carry it."), "success")
            return redirect(url_for("letterhead.edit"))
    status = 422 if form.errors else 200
    return render_template(
        "letterhead/edit.html", form=form, current=current, may_change=may_change
    ), status


@blueprint.get("/logo/<sha256>")
@requires("view")
def logo(sha256: str):
    found = logo_bytes(sha256)
    if found is None:
        abort(404)
    content, content_type = found
    return Response(
        content, content_type=content_type, headers={"X-Content-Type-Options": "nosniff"}
    )

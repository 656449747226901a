from __future__ import annotations

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select

from qms.database.retry import commit_retrying
from qms.extensions import db
from qms.orders.services import OrderError, get_order
from qms.packs.models import ContractPack
from qms.web.permissions import requires

blueprint = Blueprint("packs", __name__)


def _order(number: str):
    try:
        return get_order(number)
    except OrderError:
        abort(404)


@blueprint.post("/orders/<number>/pack")
@requires("print_pack")
def print_pack(number: str):
    from qms.packs.services import issue_pack  # WeasyPrint and pyHanko: only when used

    order = _order(number)
    # Printed by someone else at the same moment, the same content takes the same revision:
    # run again, and hand out the pack they issued.
    pack, _ = commit_retrying(lambda: issue_pack(order, current_user))
    return redirect(url_for("packs.download", number=number, revision=pack.revision))


@blueprint.get("/orders/<number>/packs/<int:revision>.pdf")
@requires("view")
def download(number: str, revision: int):
    order = _order(number)
    pack = db.session.scalars(
        select(ContractPack).where(
            ContractPack.order_id == order.id, ContractPack.revision == revision
        )
    ).first()
    if pack is None:
        abort(404)
    filename = f"contract-pack-{order.number}-rev{pack.revision}.pdf"
    return Response(
        pack.pdf,
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "ETag": f'"{pack.pdf_sha256}"',
            "X-Content-SHA256": pack.pdf_sha256,
        },
    )


class VerifyForm(FlaskForm):
    file = FileField(_l("Contract pack (PDF)"), validators=[FileRequired()])


@blueprint.route("/packs/verify", methods=["GET", "POST"])
@requires("view")
def verify():
    """Check an uploaded pack as `qms pack verify` does; nothing is stored."""
    from qms.packs.verify import verify_pack  # pikepdf and pyHanko: only when used

    form = VerifyForm()
    result = None
    if form.validate_on_submit():
        result = verify_pack(form.file.data.read())
    status = 422 if form.errors else 200
    if request.method == "POST" and result is not None and not result.valid:
        status = 200  # the check ran: its answer is the page, not an error of the form
    return render_template("packs/verify.html", form=form, result=result), status

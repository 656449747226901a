from __future__ import annotations

from flask import (
    Blueprint,
    abort,
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

from qms.extensions import db
from qms.i18n import current_language
from qms.orders.models import Order
from qms.orders.services import OrderError, get_order
from qms.records.compare import compare_revisions
from qms.records.display import shown_fields
from qms.records.field_forms import add_rows, has_problems, place_problem
from qms.records.forms import (
    MEANING_TITLES,
    AttachForm,
    ConfirmForm,
    RequestSignatureForm,
    ReviseForm,
    SendBackForm,
    kind_fields,
    record_form_for,
    sign_form_for,
)
from qms.records.models import Record, RecordContribution, Signature
from qms.records.services import (
    CONTRIBUTION_TITLES,
    RecordChanged,
    RecordError,
    create_record,
    edit_refusal,
    record_kind,
    revise_record,
    update_draft,
)
from qms.records.signing import eligible_signers, sign_record, sign_refusal, signing_meanings
from qms.web.choices import options
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
            selectinload(Record.contributions).joinedload(RecordContribution.user),
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
    if request.method == "POST" and add_rows(form, request.form.get("more_rows", "")):
        return render_template("records/edit.html", form=form, order=order, kind=kind, record=None)
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
            _place(form, exc)
        else:
            db.session.commit()
            flash(_("Draft saved. Someone else must approve it."), "success")
            return redirect(url_for("records.show", record_id=record.id))
    return render_template(
        "records/edit.html", form=form, order=order, kind=kind, record=None
    ), 422 if has_problems(form) else 200


def _place(form, exc: RecordError) -> None:
    """A refusal from the services, next to the field it concerns (else the title)."""
    place_problem(form, getattr(exc, "path", ("title",)), str(exc))


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
        "sign_form": sign_form_for(signing_meanings(kind), meaning=kind.approve_as),
        "revise_form": ReviseForm(),
        "attach_form": AttachForm(),
        "confirm_form": ConfirmForm(),
        "request_form": RequestSignatureForm(),
        "send_back_form": SendBackForm(),
    } | forms
    signers = [] if record.is_approved else eligible_signers(record, kind)
    forms["request_form"].signer.choices = options({u.id: u.full_name for u in signers})
    # Whatever was posted, the form now carries the hash of the content shown with it.
    content_sha256 = record.content_hash()
    forms["sign_form"].content_sha256.data = content_sha256
    lang = current_language()
    return render_template(
        "records/show.html",
        record=record,
        fields=shown_fields(kind, record.fields, lang) if record.fields else [],
        comparison_result=_comparison(kind, record, revisions, lang),
        order=order,
        kind=kind,
        revisions=revisions,
        content_sha256=content_sha256,
        contribution_titles=CONTRIBUTION_TITLES,
        meaning_titles=MEANING_TITLES,
        sign_refusal=sign_refusal(record, current_user, kind),
        edit_refusal=edit_refusal(record, current_user),
        signers=signers,
        **forms,
    ), status


def _comparison(kind, record: Record, revisions: list[Record], lang: str):
    """Changes against the revision asked for (?compare=N), by default the one before."""
    wanted = request.args.get("compare", type=int) or record.revision - 1
    other = next((r for r in revisions if r.revision == wanted and r.id != record.id), None)
    if other is None:
        return None
    before, after = (other, record) if other.revision < record.revision else (record, other)
    return compare_revisions(kind, before, after, lang, _("Title"))


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
    if (refusal := edit_refusal(record, current_user)) is not None:
        flash(str(refusal), "error")
        return redirect(url_for("records.show", record_id=record.id))
    form = record_form_for(
        kind,
        current_user.language,
        fields=record.fields or {},
        free_text=not record.fields,
        obj=record,
    )
    if request.method == "POST" and add_rows(form, request.form.get("more_rows", "")):
        return render_template(
            "records/edit.html", form=form, order=order, kind=kind, record=record
        )
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
            _place(form, exc)
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for("records.show", record_id=record.id))
    return render_template(
        "records/edit.html", form=form, order=order, kind=kind, record=record
    ), 422 if has_problems(form) else 200


def record_page(record: Record, status: int = 200, **forms):
    """The record page (for the signing views, which show it again with their form)."""
    return _record_page(record, status, **forms)


def record_or_404(record_id: int) -> Record:
    return _record_or_404(record_id)


def _refuse(record: Record, message: str, form_name: str, form, field: str, status: int = 422):
    """Show the record page again with `message` next to `field` of the form that failed."""
    db.session.rollback()
    target = getattr(form, field)
    target.errors = [*target.errors, message]
    return _record_page(_record_or_404(record.id), status, **{form_name: form})


@blueprint.post("/records/<int:record_id>/sign")
@requires("sign_record")
def sign(record_id: int):
    record = _record_or_404(record_id)
    kind = record_kind(_order_of(record), record.kind)
    form = sign_form_for(signing_meanings(kind))
    if form.validate_on_submit():
        try:
            sign_record(
                record,
                signer=current_user,
                password=form.password.data,
                meaning=form.meaning.data,
                seen_sha256=form.content_sha256.data,
            )
        except RecordChanged as exc:
            # The page shows the record as it is now: the signer reads it again.
            flash(str(exc), "error")
            return _refuse(record, str(exc), "sign_form", form, "password", status=409)
        except RecordError as exc:
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


# The routes of a record's files live beside these, on the same blueprint.
from qms.records import file_views  # noqa: E402, F401

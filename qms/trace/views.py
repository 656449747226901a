from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from qms.audit.findings import DATA_TITLES
from qms.audit.verify import verify_trail
from qms.customers.models import Customer
from qms.documents.governing import revision_choices
from qms.documents.queries import reviews_overdue
from qms.extensions import db
from qms.orders.services import OrderError, get_order
from qms.trace.export import to_csv, to_json, to_xlsx
from qms.trace.forms import NoteForm, PeriodForm, TraceFilterForm
from qms.trace.matrix import NOT_REACHED, build_matrix
from qms.trace.report import audit_report_pdf
from qms.trace.services import NoteError, add_note, compliance
from qms.web.choices import options
from qms.web.inputs import page_number, valid_data
from qms.web.permissions import requires
from qms.web.validators import errors_in_words
from qms.workflow.registry import catalogue, registry

blueprint = Blueprint("trace", __name__)
ORDERS_PER_PAGE = 40
SHOWN = ("all", "passed", "gaps")


def _trace_form() -> tuple[TraceFilterForm, bool]:
    """The filter form, and whether it is valid: a page shows what is not (and does not
    apply it); an export refuses to leave out what the filter would have (400)."""
    form = TraceFilterForm(request.args)
    customers = db.session.scalars(select(Customer).order_by(Customer.name)).all()
    form.customer.choices = options({"": _("any customer")} | {c.id: c.name for c in customers})
    states = registry().latest("customer-order").states
    form.state.choices = options(
        {"": _("any state")} | {n: s.title.get(current_user.language) for n, s in states.items()}
    )
    form.revision.choices = options({"": _("any revision")} | revision_choices())
    return form, form.validate()


def _filters(form: TraceFilterForm) -> dict:
    return {
        "customer_id": valid_data(form.customer),
        "state": valid_data(form.state) or None,
        "date_from": valid_data(form.date_from),
        "date_to": valid_data(form.date_to),
        "revision_id": valid_data(form.revision),
    }


@blueprint.get("/standards")
@requires("view")
def standards():
    cat = catalogue()
    definition = registry().latest("customer-order")
    matrix = build_matrix()
    # The orders with complete evidence, per 2015 clause; a 2000 requirement has it when
    # every 2015 clause it maps to has it, an internal document when any of its rows has.
    done = {
        row.number: {
            o.id for o in matrix.orders if matrix.cell(row.number, o.id).status == "complete"
        }
        for row in matrix.rows
    }
    complete_2000 = {
        number: len(set.intersection(*(done[n] for n in clause.maps_to if n in done)))
        for number, clause in cat.clauses_2000.items()
        if any(n in done for n in clause.maps_to)
    }
    complete_documents = {
        register: len(
            set().union(*(done[r.number] for r in matrix.rows if document.label in r.documents))
        )
        for register, document in cat.documents.items()
    }
    reached = {
        row.number: sum(
            1 for o in matrix.orders if matrix.cell(row.number, o.id).status != NOT_REACHED
        )
        for row in matrix.rows
    }
    return render_template(
        "trace/standards.html",
        show_all=bool(request.args.get("all")),
        fully_evidenced=sum(1 for n, count in reached.items() if count and len(done[n]) == count),
        gap_clauses=len({row.number for row, _col, _cell in matrix.gaps}),
        cat=cat,
        definition=definition,
        rows={r.number: r for r in matrix.rows},
        complete={n: len(ids) for n, ids in done.items()},
        complete_2000=complete_2000,
        complete_documents=complete_documents,
        order_count=len(matrix.orders),
        overdue_reviews=reviews_overdue(),
    )


@blueprint.get("/audit/trace")
@requires("view")
def trace():
    form, valid = _trace_form()
    matrix = build_matrix(**_filters(form))
    page = page_number()
    shown = matrix.orders[(page - 1) * ORDERS_PER_PAGE : page * ORDERS_PER_PAGE]
    pages = max((len(matrix.orders) + ORDERS_PER_PAGE - 1) // ORDERS_PER_PAGE, 1)
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "trace/matrix.html",
        form=form,
        matrix=matrix,
        shown=shown,
        page=page,
        pages=pages,
        args=args,
    ), 200 if valid else 400


@blueprint.get("/audit/trace.<fmt>")
@requires("view")
def trace_export(fmt: str):
    form, valid = _trace_form()
    if not valid:
        abort(400, errors_in_words(form))
    matrix = build_matrix(**_filters(form))
    lang = current_user.language
    if fmt == "csv":
        return Response(
            to_csv(matrix, lang),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": "attachment; filename=trace.csv"},
        )
    if fmt == "json":
        return Response(to_json(matrix, lang), content_type="application/json")
    if fmt == "xlsx":
        return Response(
            to_xlsx(matrix, lang),
            headers={"Content-Disposition": "attachment; filename=trace.xlsx"},
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    abort(404)


def _order_or_404(number: str):
    try:
        return get_order(number)
    except OrderError:
        abort(404)


def _compliance_page(order, form: NoteForm, status: int = 200):
    definition, steps, events, notes = compliance(order)
    return render_template(
        "trace/compliance.html",
        order=order,
        definition=definition,
        steps=steps,
        events=events,
        notes=notes,
        form=form,
        show=request.args.get("show") if request.args.get("show") in SHOWN else "all",
    ), status


@blueprint.get("/orders/<number>/compliance")
@requires("view")
def order_compliance(number: str):
    return _compliance_page(_order_or_404(number), NoteForm())


@blueprint.post("/orders/<number>/notes")
@requires("audit_note")
def note(number: str):
    order = _order_or_404(number)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            add_note(order, current_user, form.body.data, (form.clause.data or "").strip())
        except NoteError as exc:
            db.session.rollback()
            form.clause.errors = [*form.clause.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("Note added."), "success")
            return redirect(url_for("trace.order_compliance", number=number) + "#notes")
    return _compliance_page(order, form, 422)


@blueprint.post("/audit/verify")
@requires("verify_chain")
def verify():
    result = verify_trail()
    return render_template("trace/verify.html", result=result, data_titles=DATA_TITLES)


@blueprint.get("/audit/report.pdf")
@requires("audit_report")
def report():
    form = PeriodForm(request.args)
    if not form.validate():
        abort(400, f"{_('The dates are not valid (use YYYY-MM-DD).')} {errors_in_words(form)}")
    pdf, _pages = audit_report_pdf(form.date_from.data, form.date_to.data, current_user)
    return Response(
        pdf,
        content_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="audit-report.pdf"'},
    )


# The audit trail's page and export live beside these, on the same blueprint.
from qms.trace import event_views  # noqa: E402, F401

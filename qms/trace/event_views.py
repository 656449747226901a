"""The audit trail page and its CSV export (same blueprint as the other audit pages)."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from qms.audit.changes import change_lines, changes_json
from qms.audit.models import AuditEvent
from qms.audit.titles import event_title, state_title
from qms.database.paging import keyset_page
from qms.extensions import db
from qms.spreadsheet import safe_row
from qms.trace.events import kind_choices, subjects
from qms.trace.forms import EventFilterForm
from qms.trace.services import EventFilter, events_query
from qms.trace.views import blueprint
from qms.web.choices import options
from qms.web.inputs import sequence_number, valid_data
from qms.web.permissions import requires
from qms.web.validators import errors_in_words


def _event_filter(form: EventFilterForm) -> EventFilter:
    return EventFilter(
        username=(valid_data(form.user) or "").strip(),
        order_number=(valid_data(form.order) or "").strip(),
        action=(valid_data(form.action) or "").strip(),
        date_from=valid_data(form.date_from),
        date_to=valid_data(form.date_to),
    )


@blueprint.get("/audit/events")
@requires("view")
def events():
    form = _events_form()
    valid = form.validate()
    page = keyset_page(
        events_query(_event_filter(form)),
        AuditEvent.seq,
        before=sequence_number("before"),
        after=sequence_number("after"),
    )
    return render_template(
        "trace/events.html",
        form=form,
        page=page,
        subjects=subjects(page.items),
        change_lines=change_lines,
        args={k: v for k, v in request.args.items() if k not in ("page", "before", "after")},
    ), 200 if valid else 400


def _events_form() -> EventFilterForm:
    form = EventFilterForm(request.args)
    form.action.choices = options(kind_choices())
    return form


@blueprint.get("/audit/events.csv")
@requires("view")
def events_csv():
    """The trail for a spreadsheet: headers and titles in the reader's language, orders by
    number, changes as JSON, and a byte-order mark so that Excel reads Cyrillic."""
    form = _events_form()
    if not form.validate():
        abort(400, errors_in_words(form))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [
            _("No."),
            _("When (UTC)"),
            _("Who"),
            _("What"),
            _("About"),
            _("Order"),
            _("From"),
            _("To"),
            _("Why"),
            _("Changes (JSON)"),
            _("Came from"),
            _("Event kind (code)"),
            "SHA-256",
        ]
    )
    for batch in _batches(db.session.scalars(events_query(_event_filter(form))).yield_per(1000)):
        about = subjects(batch)
        for e in batch:
            subject = about.get((e.entity_type, e.entity_id), (e.entity_type, ""))[0]
            order = about.get(("order", e.order_id), ("", ""))[0]
            writer.writerow(
                safe_row(
                    [
                        e.seq,
                        e.occurred_at.isoformat(),
                        e.actor_name,
                        event_title(e),
                        subject,
                        order,
                        state_title(e.entity_type, e.from_state),
                        state_title(e.entity_type, e.to_state),
                        e.reason,
                        changes_json(e.changes),
                        " ".join(p for p in (e.origin, e.origin_detail) if p),
                        e.action,
                        e.hash,
                    ]
                )
            )
    return Response(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": "attachment; filename=audit-events.csv"},
    )


def _batches(rows, size: int = 1000):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch

"""The customers' loyalty page: figures, charts drawn on the server, CSV and XLSX."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from qms.loyalty.chart import Bar, bar_chart
from qms.loyalty.measures import Measures, measure, periods
from qms.objections.services import counts_by_kind
from qms.objections.titles import KIND_TITLES
from qms.spreadsheet import safe_row
from qms.timeutil import utcnow
from qms.web.permissions import requires

blueprint = Blueprint("loyalty", __name__)


def _percent(share) -> str:
    return "—" if share is None else format_percent(float(share), "#,##0.0%")


def _table(found: list[Measures]) -> list[list]:
    rows = [
        [
            _("Period"),
            _("Customers"),
            _("Loyal customers"),
            _("Loyalty index"),
            _("Order value"),
            _("From existing customers"),
            _("Share from existing customers"),
            _("Orders"),
            _("Orders on a customer's recommendation"),
            _("Their value"),
        ]
    ]
    for m in found:
        rows.append(
            [
                str(m.period.label),
                m.customers,
                m.loyal,
                None if m.loyalty_index is None else round(float(m.loyalty_index), 4),
                float(m.value),
                float(m.value_existing),
                None if m.existing_share is None else round(float(m.existing_share), 4),
                m.orders,
                m.recommended,
                float(m.recommended_value),
            ]
        )
    return rows


@blueprint.get("/customers/loyalty")
@requires("view")
def index():
    by = request.args.get("by", "year")
    if by not in ("year", "quarter"):
        abort(400, _("Choose years or quarters."))
    found = measure(periods(by, 5 if by == "year" else 8, utcnow().date()))
    fmt = request.args.get("format", "html")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        for row in _table(found):
            writer.writerow(safe_row(row))
        return Response(
            out.getvalue(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="loyalty-{by}.csv"'},
        )
    if fmt == "xlsx":
        from openpyxl import Workbook  # loaded where a spreadsheet is made

        workbook = Workbook()
        for row in _table(found):
            workbook.active.append(safe_row(row))
        out = io.BytesIO()
        workbook.save(out)
        return Response(
            out.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="loyalty-{by}.xlsx"'},
        )
    charts = [
        bar_chart(
            [Bar(str(m.period.label), m.loyalty_index, _percent(m.loyalty_index)) for m in found],
            _("Loyalty index"),
        ),
        bar_chart(
            [Bar(str(m.period.label), m.existing_share, _percent(m.existing_share)) for m in found],
            _("Share of order value from existing customers"),
        ),
    ]
    return render_template(
        "loyalty/index.html",
        by=by,
        found=found,
        percent=_percent,
        charts=[Markup(c) for c in charts],
        objections=counts_by_kind(),
        objection_kinds=KIND_TITLES,
        min_orders=current_app.config["QMS_LOYALTY_MIN_ORDERS"],
        months=current_app.config["QMS_LOYALTY_MONTHS"],
    )

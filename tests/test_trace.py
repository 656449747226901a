"""For auditors: every clause traced to its evidence, gaps flagged, the record proven."""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import event, select, text

from qms.catalogue.loader import load_catalogue
from qms.config import PROJECT_ROOT
from qms.extensions import db
from qms.orders.models import Order
from qms.trace.matrix import COMPLETE, NOT_REACHED, build_matrix
from tests.conftest import USE_POSTGRES
from tests.factories import make_order, make_team
from tests.web_helpers import login

CATALOGUE = load_catalogue(PROJECT_ROOT / "standards")


@pytest.fixture
def demo(runner, app):
    app.config["WTF_CSRF_ENABLED"] = False
    assert runner.invoke(args=["demo"]).exit_code == 0


def _order_id(number: str) -> int:
    return db.session.scalar(select(Order.id).where(Order.number == number))


def test_demo_matrix_shows_every_clause_and_order_with_no_false_missing(demo):
    matrix = build_matrix()
    cited_2000 = {n for row in matrix.rows for n in row.from_2000}
    assert cited_2000 == set(CATALOGUE.clauses_2000)  # every requirement of the map
    assert {o.number for o in matrix.orders} == set(db.session.scalars(select(Order.number)))
    assert matrix.gaps == []
    closed, fresh = _order_id("2006-0001"), _order_id("2026-0009")
    process_rows = [r for r in matrix.rows if r.steps]
    assert all(matrix.cell(r.number, closed).status == COMPLETE for r in process_rows)
    # 9.1.2 and 10.2 come from complaints and corrective actions, not from the order's steps.
    assert {r.number for r in matrix.rows if not r.steps} == {"9.1.2", "10.2"}
    assert all(matrix.cell(r.number, fresh).status == NOT_REACHED for r in matrix.rows)
    assert matrix.cell("8.2.3.1", closed).evidence >= 3


def _remove_an_approved_review(insider, number: str) -> None:
    """What only direct database access could do: the triggers and guards forbid it."""
    if USE_POSTGRES:
        insider.execute(text("DROP TRIGGER records_no_delete ON records"))
        insider.execute(text("DROP TRIGGER signatures_no_delete ON signatures"))
        insider.execute(text("DROP TRIGGER record_contributions_no_delete ON record_contributions"))
    else:
        insider.execute(text("DROP TRIGGER records_no_delete"))
        insider.execute(text("DROP TRIGGER signatures_no_delete"))
        insider.execute(text("DROP TRIGGER record_contributions_no_delete"))
    review = insider.scalar(
        text(
            "SELECT r.id FROM records r JOIN orders o ON o.id = r.order_id "
            "WHERE o.number = :n AND r.kind = 'requirements_review'"
        ),
        {"n": number},
    )
    insider.execute(text("DELETE FROM signatures WHERE record_id = :id"), {"id": review})
    insider.execute(text("DELETE FROM attachments WHERE record_id = :id"), {"id": review})
    insider.execute(text("DELETE FROM record_contributions WHERE record_id = :id"), {"id": review})
    insider.execute(text("DELETE FROM records WHERE id = :id"), {"id": review})
    insider.commit()


def test_a_step_passed_without_its_evidence_is_flagged_loudly(
    demo, insider, client, runner, tmp_path
):
    _remove_an_approved_review(insider, "2026-0003")
    matrix = build_matrix()
    gaps = [(row.number, col.number, cell.missing_kinds) for row, col, cell in matrix.gaps]
    assert ("8.2.3.1", "2026-0003", ("requirements_review",)) in gaps
    assert all(number == "2026-0003" for _, number, _ in gaps)

    login(client, "auditor", "auditor-demo")
    page = client.get("/audit/trace").get_data(as_text=True)
    assert "gaps: orders that passed a step without its approved evidence" in page
    assert "MISSING" in page
    gaps = client.get("/orders/2026-0003/compliance?show=gaps").get_data(as_text=True)
    assert 'id="step-1.1.4"' in gaps  # the review's step, passed without it

    out = tmp_path / "report.pdf"
    result = runner.invoke(args=["audit", "report", "-o", str(out), "--as", "auditor"])
    assert result.exit_code == 0, result.output
    report = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(out).pages)
    assert "2026-0003" in report and "Requirements and contract review record" in report
    assert "Gaps (steps passed without approved evidence)" in report
    assert "requirements_review" not in report and "design_review" not in report
    assert "Audit report: all orders" in report  # the running header, not "… – …"

    russian = tmp_path / "report-ru.pdf"
    result = runner.invoke(args=["--lang", "ru", "audit", "report", "-o", str(russian)])
    assert result.exit_code == 0, result.output
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(russian).pages)
    assert "Отчёт аудита: все заказы" in text and "Протокол анализа требований" in text
    assert "Пробелы (шаги, пройденные без утверждённых свидетельств)" in text
    assert "Закрыт" in text and "closed" not in text and "Audit report" not in text


def test_trace_exports_csv_xlsx_json(demo, runner, tmp_path):
    exported = runner.invoke(args=["trace", "--format", "csv"]).output
    assert exported.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert rows[0][:4] == ["ISO 9001:2015", "Title", "ISO 9001:2000", "Internal documents"]
    assert "2006-0001" in rows[0]
    statuses = {cell for row in rows[1:] for cell in row[4:]}
    assert statuses <= {"complete", "not reached"} and "complete" in statuses
    russian = runner.invoke(args=["--lang", "ru", "trace", "--format", "csv"]).output
    ru_rows = list(csv.reader(io.StringIO(russian.removeprefix("\ufeff"))))
    assert ru_rows[0][1] == "Название" and {c for r in ru_rows[1:] for c in r[4:]} <= {
        "есть",
        "не достигнуто",
    }

    data = json.loads(runner.invoke(args=["trace", "--format", "json"]).output)
    assert data["gaps"] == 0
    row = next(c for c in data["clauses"] if c["number"] == "8.2.3.2")
    assert row["iso_2000"] == ["7.2.2.5"] and row["documents"] == ["2.2.1.2.5 СТП-5-01"]

    out = tmp_path / "trace.xlsx"
    result = runner.invoke(
        args=["trace", "--format", "xlsx", "-o", str(out), "--customer", "АО «Энергосистемы»"]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    header = [c.value for c in sheet[1]]
    assert header[4:] == ["2026-0001", "2026-0003", "2026-0005"]
    assert {c.value for row in sheet.iter_rows(min_row=2) for c in row[4:]} <= {
        "complete",
        "not reached",
    }
    assert {c["status"] for r in data["clauses"] for c in r["cells"].values()} <= {
        COMPLETE,
        NOT_REACHED,
    }  # JSON keeps the codes
    assert sheet.max_row == len(rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trace", "--format", "xlsx"], "XLSX is binary"),
        (["trace", "--customer", "Никто"], "no customer named 'Никто'"),
        (["trace", "--state", "limbo"], "unknown state 'limbo'"),
        (["trace", "--from", "yesterday"], "'yesterday' does not match the format"),
        (
            ["audit", "report", "-o", "/tmp/x.pdf", "--from", "2026-05-01", "--to", "2026-01-01"],
            "--to is before --from",
        ),
        (["audit", "report", "-o", "/nonexistent/r.pdf"], "cannot write"),
    ],
)
def test_trace_and_report_refuse_bad_input(demo, runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output


def test_matrix_runs_a_fixed_number_of_queries(app):
    team = make_team()
    make_order(team)
    db.session.commit()
    counts = []
    for extra in (0, 25):
        for _ in range(extra):
            make_order(team)
        db.session.commit()
        statements: list[str] = []

        def listener(conn, cursor, statement, *args, seen=statements):
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", listener)
        build_matrix()
        event.remove(db.engine, "before_cursor_execute", listener)
        counts.append(len(statements))
    assert counts[0] == counts[1] <= 5


def test_an_altered_event_shows_up_broken_in_the_ui(demo, client, insider):
    db.session.rollback()  # no lock held by the test's own session
    if USE_POSTGRES:
        insider.execute(text("DROP TRIGGER audit_events_no_update ON audit_events"))
    else:
        insider.execute(text("DROP TRIGGER audit_events_no_update"))
    insider.execute(text("UPDATE audit_events SET reason = 'rewritten' WHERE seq = 40"))
    insider.commit()
    login(client, "auditor", "auditor-demo")
    page = html_lib.unescape(client.post("/audit/verify").get_data(as_text=True))
    assert "The trail does not verify: 1 finding(s)." in page
    assert "event #40" in page and "its content does not match its hash" in page


def test_audit_events_filter_and_export(demo, client):
    login(client, "auditor", "auditor-demo")
    response = client.get("/audit/events?user=admin&action=record.approved")
    page = html_lib.unescape(response.get_data(as_text=True))
    table = page.split("<tbody>")[1]
    assert "Record approved" in table and "Order opened" not in table
    assert "record.approved" not in table  # titles, not codes
    assert '<option selected value="record.approved">— Record approved</option>' in page
    assert re.search(r'<a href="/records/\d+">“.+”, revision \d+</a>', table)  # links, not ids
    assert '<a href="/orders/2026-' in table or '<a href="/orders/2006-' in table
    exported = client.get("/audit/events.csv?order=2006-0001").get_data(as_text=True)
    assert exported.startswith("\ufeff")  # so that Excel reads Cyrillic
    rows = list(csv.reader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert rows[0][:6] == ["No.", "When (UTC)", "Who", "What", "About", "Order"]
    assert len(rows) > 20 and all(r[5] == "2006-0001" for r in rows[1:])  # numbers, not ids
    changes = [json.loads(r[9]) for r in rows[1:]]  # JSON, not Python's repr
    assert any(c.get("title") for c in changes)
    edited = client.get("/audit/events?action=order.").get_data(as_text=True)
    assert "Order opened" in html_lib.unescape(edited)
    assert client.get("/audit/events?action=nonsense").status_code == 400
    verified = client.post("/audit/verify").get_data(as_text=True)
    assert "Intact:" in verified and "Head of the trail" in verified


def test_auditors_write_notes_and_nothing_else(demo, client):
    login(client, "auditor", "auditor-demo")
    assert client.post("/orders/2006-0001/notes", data={"body": ""}).status_code == 422
    bad = client.post("/orders/2006-0001/notes", data={"body": "x", "clause": "9.9.9"})
    assert bad.status_code == 422 and "not an ISO 9001:2015 clause" in bad.get_data(as_text=True)
    ok = client.post(
        "/orders/2006-0001/notes", data={"body": "Протокол анализа проверен", "clause": "8.2.3"}
    )
    assert ok.status_code == 302
    page = client.get("/orders/2006-0001/compliance").get_data(as_text=True)
    assert "Протокол анализа проверен" in page and "passed" in page
    client.post("/logout")
    login(client, "engineer", "engineer-demo")
    assert client.post("/orders/2006-0001/notes", data={"body": "x"}).status_code == 403


def test_standards_browser_links_clauses_documents_steps_and_states(demo, client):
    login(client, "auditor", "auditor-demo")
    page = client.get("/standards").get_data(as_text=True)
    for text_ in (
        "8.2.3.2 Retaining documented information on the review",
        "Подтверждение требований потребителя до их принятия",
        "СТП-7-01",
        "Enterprise standards (СТП)",
        "Programmes and action plans",
        "1.3.4 Review and approval of design results",
        "Design review",
    ):
        assert text_ in page, text_


def test_compliance_and_standards_pages_open_with_a_summary_and_a_filter(demo, client):
    login(client, "auditor", "auditor-demo")
    page = html_lib.unescape(client.get("/orders/2026-0003/compliance").get_data(as_text=True))
    assert "steps:" in page and "passed without approved records" in page
    every = page.count('<section class="card" id="step-')
    gaps_only = client.get("/orders/2026-0003/compliance?show=gaps").get_data(as_text=True)
    passed = client.get("/orders/2026-0003/compliance?show=passed").get_data(as_text=True)
    assert gaps_only.count('id="step-') == 0  # the guards let no step pass without evidence
    assert 0 < passed.count('<section class="card" id="step-') < every

    standards = html_lib.unescape(client.get("/standards").get_data(as_text=True))
    assert "The process carries out" in standards and "show a gap" in standards
    covered = standards.count('<tr id="c')
    everything = client.get("/standards?all=1").get_data(as_text=True).count('<tr id="c')
    assert 0 < covered < everything

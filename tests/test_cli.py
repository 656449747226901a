"""The `qms` command line: demo data, listings, scripted advances, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.config import PROJECT_ROOT
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record, Signature


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return result


def test_demo_prints_the_users_with_a_warning(demo):
    assert "for trying qms out only" in demo.output
    for name in ("admin", "manager", "engineer", "auditor"):
        assert f"password {name}-demo" in demo.output


def test_demo_spreads_orders_over_every_stage_with_evidence(demo, runner):
    orders = json.loads(runner.invoke(args=["orders", "--format", "json"]).output)
    assert 6 <= len(orders) <= 10
    states = {o["state"] for o in orders}
    assert {
        "enquiry",
        "pre_contract",
        "specification",
        "contract_review",
        "design",
        "design_review",
        "acceptance",
        "closed",
        "declined",
    } <= states
    assert all(set(o) >= {"number", "title", "customer", "state"} for o in orders)
    library = next(o for o in orders if o["number"] == "2006-0001")
    assert library["title"].startswith("Распределение запросов к электронному каталогу")
    assert library["customer"] == "Научная библиотека университета"
    assert library["state"] == "closed"
    assert db.session.scalar(select(func.count()).where(Record.status == "approved")) > 40
    assert db.session.scalar(select(func.count()).select_from(Signature)) > 40
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_demo_is_idempotent(demo, runner):
    counts = [db.session.scalar(select(func.count()).select_from(m)) for m in (Order, AuditEvent)]
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert "0 order(s) added" in again.output
    assert [
        db.session.scalar(select(func.count()).select_from(m)) for m in (Order, AuditEvent)
    ] == counts
    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert "already has orders" in skipped.output


def test_orders_table_lists_number_state_customer_title(demo, runner):
    result = runner.invoke(args=["orders"])
    header, *rows = result.output.splitlines()
    assert header.split() == ["NUMBER", "STATE", "CUSTOMER", "TITLE"]
    assert any(row.startswith("2026-0008") and "declined" in row for row in rows)


def test_advance_moves_an_order_and_reports_the_event(demo, runner):
    result = runner.invoke(args=["advance", "2026-0009", "accept_enquiry", "--as", "manager"])
    assert result.exit_code != 0  # the enquiry record is missing
    assert "Enquiry: missing" in result.output

    result = runner.invoke(
        args=["advance", "2026-0007", "cancel", "--as", "manager", "--reason", "заказчик отказался"]
    )
    assert result.exit_code == 0, result.output
    assert "2026-0007: Pre-contract work -> Cancelled (audit event #" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["advance", "2099-0001", "close", "--as", "manager"], "no order numbered '2099-0001'"),
        (["advance", "2026-0005", "sign_contract", "--as", "ghost"], "no active user 'ghost'"),
        (
            ["advance", "2026-0005", "sign_contract", "--as", "engineer"],
            "only a Project manager may do this (you are: Engineer)",
        ),
        (["advance", "2026-0005", "fly", "--as", "manager"], "there is no action 'fly'"),
        (["advance", "2026-0001", "cancel", "--as", "manager"], "a reason is required"),
        (["orders", "--format", "xml"], "'xml' is not one of 'table', 'json'"),
        (["workflow", "show", "customer-order", "--version", "7"], "has no version 7"),
        (["workflow", "check", "--dir", "/nonexistent"], "workflows folder not found"),
    ],
)
def test_bad_input_gives_one_line_and_a_non_zero_exit(demo, runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_database_without_schema_gets_a_clear_message(tmp_path):
    """As a new user would meet it: the real `qms` executable on an empty database."""
    env = {
        "QMS_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite'}",
        "QMS_INSTANCE_PATH": str(tmp_path),
        "PATH": "",
    }
    qms = PROJECT_ROOT / ".venv" / "bin" / "qms"
    command = [str(qms)] if qms.exists() else [sys.executable, "-m", "qms.cli"]
    result = subprocess.run(
        [*command, "orders"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode != 0
    assert "run `qms db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_demo_has_changes_complaints_and_an_overdue_corrective_action(demo, runner):
    overdue = runner.invoke(args=["overdue", "--format", "json"])
    rows = json.loads(overdue.output)
    assert any(r["kind"] == "corrective-action" and r["owner"] == "engineer" for r in rows)
    from qms.workitems.models import WorkItem

    states = dict(
        db.session.execute(
            select(WorkItem.workflow, WorkItem.state).where(
                WorkItem.state.in_(("incorporated", "closed"))
            )
        ).all()
    )
    assert states == {
        "contract-change": "incorporated",
        "complaint": "closed",
        "support-request": "closed",
    }
    assert any(r["kind"] == "support-request" and r["clock"] == "response" for r in rows)


def test_the_command_line_speaks_the_language_asked_for(runner, app):
    from tests.factories import make_order, make_team

    team = make_team()
    order = make_order(team)
    db.session.commit()
    args = ["advance", order.number, "accept_enquiry", "--as", "engineer"]
    english = runner.invoke(args=args)
    russian = runner.invoke(args=["--lang", "ru", *args])
    assert english.output == (
        "Error: cannot accept the enquiry: only a Project manager may do this (you are: "
        "Engineer); Enquiry: missing (create it and have it approved)\n"
    )
    assert russian.output == (
        "Error: нельзя принять запрос в работу: это может сделать только Руководитель проекта "
        "(вы: Инженер); Запрос заказчика: отсутствует (создайте и утвердите)\n"
    )
    app.config["QMS_LANGUAGE"] = "ru"  # what QMS_LANGUAGE sets
    assert "Руководитель проекта" in runner.invoke(args=args).output
    app.config["QMS_LANGUAGE"] = "en"
    assert "Project manager" in runner.invoke(args=args).output

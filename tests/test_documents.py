"""Controlled documents: revisions approved by e-signature, the revision in force captured
with every step, read-and-understood acknowledgements, review dates."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from qms.config import PROJECT_ROOT
from qms.documents import acknowledgements, governing
from qms.documents.models import DocumentRevision, GoverningRevision
from qms.documents.queries import document_statuses
from qms.documents.services import (
    DocumentError,
    add_revision,
    approve_revision,
    find_document,
)
from qms.documents.upkeep import withdraw_document
from qms.extensions import db
from qms.orders.services import advance_order
from qms.records.services import RecordChanged, RecordError
from qms.timeutil import utcnow
from qms.workflow.engine import TransitionRefused
from tests.factories import approved_record, make_order, make_team

STP_1 = "2.2.1.2.1"  # СТП-1-01 governs 1.1.2, the work of the pre-contract state


@pytest.fixture
def team(app):
    return make_team()


def _revision(team, register=STP_1, effective=None, text="Текст", author="manager", **kw):
    return add_revision(
        find_document(register),
        author=team[author],
        summary="Первая редакция",
        body=text,
        effective_from=effective or utcnow().date(),
        **kw,
    )


def _approve(revision, user, password=None, seen=None):
    return approve_revision(
        revision,
        signer=user,
        password=password or f"{user.username}-pw",
        meaning="approved",
        seen_sha256=seen or revision.content_hash(),
    )


def _to_specification(order, team):
    approved_record(order, "enquiry", team)
    advance_order(order, "accept_enquiry", team["manager"])
    approved_record(order, "customer_requirements", team)
    return advance_order(order, "draft_specification", team["manager"])


def _captured(event_id):
    return [
        (r.register, r.revision)
        for r in db.session.scalars(
            select(DocumentRevision)
            .join(GoverningRevision, GoverningRevision.revision_id == DocumentRevision.id)
            .where(GoverningRevision.event_id == event_id)
        )
    ]


def test_a_step_before_and_after_a_new_revision_took_effect_records_different_revisions(team):
    first = _revision(team, effective=utcnow().date() - timedelta(days=30))
    _approve(first, team["admin"])
    before = _to_specification(make_order(team, title="до"), team)

    second = add_revision(
        find_document(STP_1),
        author=team["engineer"],
        summary="Вторая редакция",
        body="Новый текст",
        effective_from=utcnow().date(),
    )
    assert second.supersedes_id == first.id
    after_prepared = _to_specification(make_order(team, title="черновик"), team)
    _approve(second, team["manager"])  # in force from today, from its approval on
    after = _to_specification(make_order(team, title="после"), team)

    assert _captured(before.id) == [(STP_1, 1)]
    assert _captured(after_prepared.id) == [(STP_1, 1)]  # a draft governs nothing
    assert _captured(after.id) == [(STP_1, 2)]
    statuses = document_statuses()[STP_1].statuses
    assert (statuses[first.id], statuses[second.id]) == ("obsolete", "in_force")


def test_an_order_run_before_any_revision_was_loaded_captures_none(team):
    event = _to_specification(make_order(team), team)
    assert _captured(event.id) == []
    assert governing.captured_for_order(event.order_id) == {}


def test_an_approved_record_captures_the_revisions_governing_its_steps(team):
    _approve(_revision(team, effective=date(2026, 1, 1)), team["admin"])
    order = make_order(team)
    record = approved_record(order, "customer_requirements", team)  # steps 1.1.2
    captured = governing.captured_for_order(order.id)
    assert [(c.register, c.revision) for rows in captured.values() for c in rows] == [(STP_1, 1)]
    assert record.is_approved


@pytest.mark.parametrize(
    ("signer", "password", "stale", "error", "message"),
    [
        ("manager", None, False, RecordError, "you prepared this revision"),
        ("engineer", None, False, RecordError, "only a"),
        ("admin", "wrong", False, RecordError, "the password is not correct"),
        ("admin", None, True, RecordChanged, "changed since you opened it"),
    ],
)
def test_approving_a_revision_follows_the_signature_rules(
    team, signer, password, stale, error, message
):
    revision = _revision(team)
    seen = "0" * 64 if stale else None
    with pytest.raises(error, match=message):
        _approve(revision, team[signer], password=password, seen=seen)
    assert revision.status == "draft"
    _approve(revision, team["admin"])
    assert revision.is_approved and revision.signatures[0].signer == team["admin"]
    with pytest.raises(RecordError, match="already approved"):
        _approve(revision, team["manager2"])


def test_a_revision_needs_a_summary_and_text_or_a_file_of_a_document_type(team):
    document = find_document("СТП-1-01")
    today = utcnow().date()
    with pytest.raises(DocumentError, match="say what this revision changes"):
        add_revision(document, author=team["manager"], summary=" ", body="x", effective_from=today)
    with pytest.raises(DocumentError, match="either a text or a file"):
        add_revision(document, author=team["manager"], summary="s", effective_from=today)
    with pytest.raises(DocumentError, match="PDF, DOCX or ODT"):
        add_revision(
            document,
            author=team["manager"],
            summary="s",
            filename="x.png",
            content=b"\x89PNG\r\n\x1a\n",
            effective_from=today,
        )
    with pytest.raises(DocumentError, match="content is not PDF"):
        add_revision(
            document,
            author=team["manager"],
            summary="s",
            filename="x.pdf",
            content=b"not a pdf",
            effective_from=today,
        )
    revision = add_revision(
        document,
        author=team["manager"],
        summary="s",
        filename="СТП-1-01.pdf",
        content=b"%PDF-1.4 ...",
        effective_from=today,
    )
    assert revision.filename.endswith(".pdf") and revision.blob_sha256


def test_a_withdrawn_document_keeps_its_revisions_and_governs_nothing(team):
    _approve(_revision(team, effective=date(2026, 1, 1)), team["admin"])
    with pytest.raises(DocumentError, match="reason"):
        withdraw_document(find_document(STP_1), actor=team["admin"], reason="")
    withdraw_document(find_document(STP_1), actor=team["admin"], reason="заменён СТП-2-01")
    event = _to_specification(make_order(team), team)
    assert _captured(event.id) == []
    status = document_statuses()[STP_1]
    assert status.status == "withdrawn" and len(status.revisions) == 1
    with pytest.raises(DocumentError, match="withdrawn"):
        _revision(team)


def _workflow_requiring_acknowledgement(app, tmp_path):
    folder = tmp_path / "workflows"
    shutil.copytree(PROJECT_ROOT / "workflows", folder)
    path = folder / "customer-order.yaml"
    text = path.read_text(encoding="utf-8").replace("version: 2", "version: 3")
    text = text.replace(
        "requires: [customer_requirements]\n",
        "requires: [customer_requirements]\n    requires_acknowledgement: true\n",
        1,
    )
    path.write_text(text, encoding="utf-8")
    app.config["QMS_WORKFLOWS_DIR"] = str(folder)
    app.extensions.pop("qms.workflows", None)


def test_an_acknowledgement_required_transition_refuses_in_words_until_acknowledged(
    app, team, tmp_path
):
    _workflow_requiring_acknowledgement(app, tmp_path)
    revision = _revision(team, effective=date(2026, 1, 1))
    _approve(revision, team["admin"])
    order = make_order(team)
    approved_record(order, "enquiry", team)
    advance_order(order, "accept_enquiry", team["manager"])
    approved_record(order, "customer_requirements", team)
    with pytest.raises(
        TransitionRefused, match=re.escape("you have not acknowledged 2.2.1.2.1 СТП-1-01 rev. 1")
    ):
        advance_order(order, "draft_specification", team["manager"])
    assert order.state == "pre_contract"

    with pytest.raises(acknowledgements.AcknowledgementError, match="password"):
        acknowledgements.acknowledge(revision, user=team["manager"], password="wrong")
    acknowledgements.acknowledge(revision, user=team["manager"], password="manager-pw")
    advance_order(order, "draft_specification", team["manager"])
    assert order.state == "specification"


def test_whoever_performs_the_governed_steps_must_read_the_revision_in_force(team):
    revision = _revision(team, effective=date(2026, 1, 1))
    _approve(revision, team["admin"])
    must_read = {(u.user.username, u.revision.id) for u in acknowledgements.unread()}
    assert ("manager", revision.id) in must_read
    assert ("auditor", revision.id) not in must_read  # auditors take no steps
    acknowledgements.acknowledge(revision, user=team["manager"], password="manager-pw")
    assert not acknowledgements.unread(team["manager"])


def test_an_overdue_review_appears_in_qms_overdue_json(team, runner):
    revision = _revision(team, effective=date(2024, 1, 15), review_months=12)
    _approve(revision, team["admin"])
    db.session.commit()
    result = runner.invoke(["overdue", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.output) if r["kind"] == "document_review"]
    assert rows == [
        {
            "number": "2.2.1.2.1 СТП-1-01",
            "kind": "document_review",
            "title": "Pre-contract work with the customer",
            "state": "in_force",
            "due_on": "2025-01-15",
            "owner": None,
        }
    ]


def test_the_readers_hear_of_an_approved_revision_and_approvers_of_an_overdue_review(team):
    from qms.notify.models import Notification
    from qms.notify.schedule import scan

    revision = _revision(team, effective=date(2024, 1, 15), review_months=12)
    _approve(revision, team["admin"])
    told = {
        (n.user_id, n.kind)
        for n in db.session.scalars(
            select(Notification).where(Notification.subject_type == "document")
        )
    }
    assert (team["engineer"].id, "document_to_read") not in told  # 1.1.2 is the manager's
    assert (team["manager"].id, "document_to_read") in told
    from qms.notify.services import link_for, render

    notice = db.session.scalars(
        select(Notification).where(Notification.kind == "document_to_read")
    ).first()
    assert link_for(notice) == "/standards/documents/2.2.1.2.1"
    assert "2.2.1.2.1 СТП-1-01 rev. 1" in render(notice, "en")[1]
    assert scan() >= 1 and scan() == 0  # once per review date
    overdue = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "review_overdue")
    ).all()
    assert set(overdue) == {team["admin"].id, team["manager"].id, team["manager2"].id}


def test_the_dashboard_and_the_inbox_show_reviews_due_and_what_to_read(app, team, client):
    from tests.web_helpers import login

    app.config["WTF_CSRF_ENABLED"] = False
    _approve(_revision(team, effective=date(2024, 1, 15)), team["admin"])
    db.session.commit()
    login(client, "manager")
    dashboard = client.get("/").get_data(as_text=True)
    assert "2.2.1.2.1 СТП-1-01" in dashboard and "review overdue" in dashboard
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "To read and acknowledge" in inbox and "2.2.1.2.1 СТП-1-01" in inbox


def test_the_demo_holds_revisions_a_second_one_part_way_an_overdue_review_and_an_unread(
    runner,
):
    from qms.orders.services import get_order

    assert runner.invoke(["demo"]).exit_code == 0

    def under(number):
        captured = governing.labelled_for_order(get_order(number).id).values()
        return {(c.register, c.revision) for rows in captured for c in rows}

    assert ("2.2.1.2.2", 1) in under("2026-0002") and ("2.2.1.2.2", 2) not in under("2026-0002")
    assert ("2.2.1.2.2", 2) in under("2026-0003") and ("2.2.1.2.2", 1) not in under("2026-0003")
    listed = json.loads(runner.invoke(["documents", "list", "--format", "json"]).output)
    assert sum(1 for r in listed if r["revision"]) == 11
    overdue = json.loads(runner.invoke(["overdue", "--format", "json"]).output)
    assert [r["number"] for r in overdue if r["kind"] == "document_review"] == [
        "2.2.1.2.4 СТП-4-01"
    ]
    unread = json.loads(runner.invoke(["documents", "unread", "--format", "json"]).output)
    assert [(r["user"], r["code"], r["revision"]) for r in unread] == [("engineer", "СТП-2-01", 2)]


def test_the_pack_and_the_audit_report_print_the_revisions_in_force(team):
    from qms.packs.services import issue_pack
    from qms.trace.report import audit_report_pdf
    from tests.test_packs import pages_text

    _approve(_revision(team, effective=date(2026, 1, 1)), team["admin"])
    order = make_order(team, language="en")
    _to_specification(order, team)
    pack, _issued = issue_pack(order, team["manager"])
    whole = " ".join(pages_text(pack.pdf))
    assert "СТП-1-01 «Pre-contract work with the customer», rev. 1, in force from 2026-01-01" in (
        whole
    )
    report, _pages = audit_report_pdf(None, None, team["auditor"])
    text = " ".join(pages_text(report))
    assert "Governing documents" in text and "2.2.1.2.1 СТП-1-01" in text


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE document_revisions SET body = 'rewritten' WHERE status = 'approved'",
        "DELETE FROM document_revisions",
        "UPDATE document_signatures SET meaning = 'reviewed'",
        "DELETE FROM document_signatures",
        "DELETE FROM document_acknowledgements",
        "DELETE FROM governing_revisions",
        "UPDATE governing_revisions SET revision_id = revision_id",
        "DELETE FROM document_withdrawals",
    ],
)
def test_the_database_refuses_to_change_or_remove_document_evidence(team, insider, statement):
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    revision = _revision(team, effective=date(2026, 1, 1))
    _approve(revision, team["admin"])
    acknowledgements.acknowledge(revision, user=team["manager"], password="manager-pw")
    _to_specification(make_order(team), team)
    withdraw_document(find_document("СТП-2-01"), actor=team["admin"], reason="заменён")
    db.session.commit()
    with pytest.raises(DatabaseError, match=r"never removed|cannot change|cannot be|kept"):
        insider.execute(text(statement))
    insider.rollback()


def test_an_approved_revision_changed_beside_the_trail_is_caught_by_audit_verify(
    team, insider, runner
):
    from sqlalchemy import text

    from tests.conftest import USE_POSTGRES

    revision = _approve_then(team)
    clean = runner.invoke(["audit", "verify"])
    assert clean.exit_code == 0 and "1 approved document revisions" in clean.output
    db.session.rollback()
    drop = "DROP TRIGGER document_revisions_no_update"
    insider.execute(text(drop + (" ON document_revisions" if USE_POSTGRES else "")))
    insider.execute(
        text("UPDATE document_revisions SET body = 'переписано' WHERE id = :i"), {"i": revision}
    )
    insider.commit()
    result = runner.invoke(["audit", "verify"])
    assert result.exit_code != 0
    assert "document 2.2.1.2.1 rev. 1 now hashes" in result.output


def _approve_then(team) -> int:
    revision = _revision(team, effective=date(2026, 1, 1))
    _approve(revision, team["admin"])
    db.session.commit()
    return revision.id

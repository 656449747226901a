"""The controlled documents' pages and commands: prepare, approve (sign what you read),
acknowledge, compare, withdraw; `qms documents list` and `add-revision`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from qms.documents.models import DocumentAcknowledgement, DocumentRevision
from qms.extensions import db
from tests.test_signing_web import client_for, shown_hash

STP_3 = "2.2.1.2.3"


@pytest.fixture
def team(app):
    from tests.factories import make_team

    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    db.session.commit()
    return team


def _prepare(client, text, effective="2026-01-01", summary="Редакция"):
    return client.post(
        f"/standards/documents/{STP_3}/revisions",
        data={"summary": summary, "body": text, "effective_from": effective, "review_months": 12},
    )


def test_a_revision_is_prepared_approved_read_and_compared_through_the_pages(app, team):
    engineer, admin = client_for(app, "engineer"), client_for(app, "admin")
    manager = client_for(app, "manager")
    assert _prepare(manager, "Первая строка\nВторая строка").status_code == 302
    page = admin.get(f"/standards/documents/{STP_3}").get_data(as_text=True)
    seen = shown_hash(page)
    # The manager who prepared it cannot approve it; the page says why.
    refused = manager.get(f"/standards/documents/{STP_3}").get_data(as_text=True)
    assert "you prepared this revision" in refused
    revision = db.session.scalars(select(DocumentRevision)).one()
    wrong = admin.post(
        f"/standards/documents/{STP_3}/revisions/{revision.id}/approve",
        data={"password": "admin-pw", "content_sha256": "0" * 64},
    )
    assert wrong.status_code == 409
    approved = admin.post(
        f"/standards/documents/{STP_3}/revisions/{revision.id}/approve",
        data={"password": "admin-pw", "content_sha256": seen},
    )
    assert approved.status_code == 302
    db.session.expire_all()
    assert db.session.get(DocumentRevision, revision.id).is_approved

    listing = engineer.get("/standards/documents").get_data(as_text=True)
    assert "rev. 1, in force from" in listing and "Engineer" in listing  # must read it
    read = engineer.post(
        f"/standards/documents/{STP_3}/revisions/{revision.id}/acknowledge",
        data={"password": "engineer-pw"},
    )
    assert read.status_code == 302
    assert db.session.scalar(select(DocumentAcknowledgement.user_id)) == team["engineer"].id

    _prepare(engineer, "Первая строка\nНовая вторая строка", effective="2026-02-01")
    diff = admin.get(f"/standards/documents/{STP_3}?from=1&to=2").get_data(as_text=True)
    assert "-Вторая строка" in diff and "+Новая вторая строка" in diff


def test_a_withdrawal_needs_a_reason_and_keeps_the_revisions(app, team):
    manager = client_for(app, "manager")
    _prepare(manager, "Текст")
    refused = manager.post(f"/standards/documents/{STP_3}/withdraw", data={"reason": ""})
    assert refused.status_code == 422
    done = manager.post(f"/standards/documents/{STP_3}/withdraw", data={"reason": "устарел"})
    assert done.status_code == 302
    page = manager.get(f"/standards/documents/{STP_3}").get_data(as_text=True)
    assert "устарел" in page and "Редакция" in page


def test_documents_list_and_add_revision_from_the_command_line(app, team, runner, tmp_path):
    text = tmp_path / "stp-3.txt"
    text.write_text("Положение о договорной работе", encoding="utf-8")
    added = runner.invoke(
        [
            "documents",
            "add-revision",
            "СТП-3-01",
            str(text),
            "--summary",
            "Загружено",
            "--as",
            "manager",
            "--effective-from",
            "2026-01-01",
        ]
    )
    assert added.exit_code == 0, added.output
    approved = runner.invoke(
        ["documents", "approve", "СТП-3-01", "--as", "admin", "--password", "admin-pw"]
    )
    assert approved.exit_code == 0, approved.output
    listed = json.loads(runner.invoke(["documents", "list", "--format", "json"]).output)
    row = next(r for r in listed if r["register"] == STP_3)
    assert row == {
        "register": STP_3,
        "code": "СТП-3-01",
        "revision": 1,
        "effective_from": "2026-01-01",
        "review_due": "2027-01-01",
        "status": "in_force",
    }
    table = runner.invoke(["documents", "list"]).output
    assert "СТП-3-01" in table and "In force" in table
    bad = runner.invoke(
        ["documents", "add-revision", "СТП-9-99", str(text), "--summary", "x", "--as", "manager"]
    )
    assert bad.exit_code != 0 and "no document 'СТП-9-99'" in bad.output


def test_order_compliance_and_matrix_show_the_revision_each_order_ran_under(app, team):
    from datetime import date

    from qms.documents.services import add_revision, approve_revision, find_document
    from qms.timeutil import utcnow
    from tests.factories import make_order
    from tests.test_documents import _to_specification

    def load(text, effective):
        revision = add_revision(
            find_document("СТП-1-01"),
            author=team["manager"],
            summary=text,
            body=text,
            effective_from=effective,
        )
        approve_revision(
            revision,
            signer=team["admin"],
            password="admin-pw",
            meaning="approved",
            seen_sha256=revision.content_hash(),
        )
        return revision

    untied = make_order(team, title="до загрузки")
    _to_specification(untied, team)
    first = load("Первая", date(2026, 1, 1))
    old = make_order(team, title="по первой")
    _to_specification(old, team)
    second = load("Вторая", utcnow().date())
    new = make_order(team, title="по второй")
    _to_specification(new, team)
    db.session.commit()

    auditor = client_for(app, "auditor")
    old_page = auditor.get(f"/orders/{old.number}").get_data(as_text=True)
    new_page = auditor.get(f"/orders/{new.number}").get_data(as_text=True)
    assert "2.2.1.2.1 СТП-1-01 rev. 1, in force from" in old_page
    assert "2.2.1.2.1 СТП-1-01 rev. 2, in force from" in new_page
    untied_page = auditor.get(f"/orders/{untied.number}").get_data(as_text=True)
    assert "not tied to any revision" in untied_page

    compliance = auditor.get(f"/orders/{old.number}/compliance").get_data(as_text=True)
    assert "2.2.1.2.1 СТП-1-01 rev. 1, in force from" in compliance
    untied_compliance = auditor.get(f"/orders/{untied.number}/compliance").get_data(as_text=True)
    assert "no revision was loaded when it was carried out" in untied_compliance

    matrix = auditor.get(f"/audit/trace?revision={second.id}").get_data(as_text=True)
    assert new.number in matrix and old.number not in matrix and untied.number not in matrix
    assert first.id != second.id


def test_only_the_preparer_edits_a_draft_and_an_approval_of_what_was_read_before_is_refused(
    app, team
):
    manager, admin, engineer = (client_for(app, u) for u in ("manager", "admin", "engineer"))
    _prepare(manager, "Первый текст")
    revision_id = db.session.scalar(select(DocumentRevision.id))
    seen = shown_hash(admin.get(f"/standards/documents/{STP_3}").get_data(as_text=True))
    edit = {
        "summary": "Уточнено",
        "body": "Исправленный текст",
        "effective_from": "2026-01-01",
        "review_months": 12,
    }
    url = f"/standards/documents/{STP_3}/revisions/{revision_id}/edit"
    refused = engineer.post(url, data=edit)
    assert refused.status_code == 422
    assert "only the person who prepared a draft may edit it" in refused.get_data(as_text=True)
    assert manager.post(url, data=edit).status_code == 302
    stale = admin.post(
        f"/standards/documents/{STP_3}/revisions/{revision_id}/approve",
        data={"password": "admin-pw", "content_sha256": seen},
    )
    assert stale.status_code == 409
    db.session.expire_all()
    revision = db.session.get(DocumentRevision, revision_id)
    assert revision.status == "draft" and revision.body == "Исправленный текст"


def test_a_review_that_keeps_the_revision_moves_its_next_review_and_clears_the_flag(
    app, team, runner
):
    from datetime import date

    from qms.documents.content import add_months
    from qms.documents.services import add_revision, approve_revision, find_document
    from qms.documents.upkeep import confirm_review
    from qms.timeutil import utcnow

    revision = add_revision(
        find_document(STP_3),
        author=team["manager"],
        summary="Первая",
        body="Текст",
        effective_from=date(2024, 1, 10),
        review_months=12,
    )
    approve_revision(
        revision,
        signer=team["admin"],
        password="admin-pw",
        meaning="approved",
        seen_sha256=revision.content_hash(),
    )
    db.session.commit()
    overdue = json.loads(runner.invoke(["overdue", "--format", "json"]).output)
    assert [r["number"] for r in overdue] == ["2.2.1.2.3 СТП-3-01"]

    engineer, admin = client_for(app, "engineer"), client_for(app, "admin")
    assert (
        engineer.post(f"/standards/documents/{STP_3}/review", data={"note": "x"}).status_code == 403
    )
    assert admin.post(f"/standards/documents/{STP_3}/review", data={"note": " "}).status_code == 422
    done = admin.post(f"/standards/documents/{STP_3}/review", data={"note": "Актуален"})
    assert done.status_code == 302
    assert json.loads(runner.invoke(["overdue", "--format", "json"]).output) == []
    listed = json.loads(runner.invoke(["documents", "list", "--format", "json"]).output)
    row = next(r for r in listed if r["register"] == STP_3)
    today = utcnow().date()
    assert row["revision"] == 1 and row["review_due"] == add_months(today, 12).isoformat()
    db.session.rollback()
    with pytest.raises(ValueError, match="only the revision in force"):
        confirm_review(
            add_revision(
                find_document(STP_3),
                author=team["manager"],
                summary="Вторая",
                body="Новый",
                effective_from=today,
            ),
            reviewer=team["admin"],
            note="x",
        )

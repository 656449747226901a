"""Records as evidence: signatures with re-entered passwords, no self-approval, revisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qms.extensions import db
from qms.records.models import Record
from qms.records.services import (
    RecordError,
    create_record,
    revise_record,
    sign_record,
    update_draft,
)
from tests.factories import make_order, make_team


@pytest.fixture
def team(app):
    return make_team()


@pytest.fixture
def draft(team):
    order = make_order(team)
    return create_record(order, "enquiry", author=team["manager"], title="Запрос", body="текст")


def test_the_author_cannot_approve_their_own_record(team, draft):
    with pytest.raises(RecordError, match="author of a record cannot sign it"):
        sign_record(draft, signer=team["manager"], password="manager-pw", meaning="approved")
    assert draft.status == "draft"


def test_a_wrong_password_signs_nothing(team, draft):
    with pytest.raises(RecordError, match="password is not correct"):
        sign_record(draft, signer=team["admin"], password="guess", meaning="approved")
    assert draft.signatures == [] and draft.status == "draft"


def test_only_the_kinds_approvers_may_approve(team, draft):
    with pytest.raises(RecordError, match="only a manager or admin may sign Enquiry as approved"):
        sign_record(draft, signer=team["engineer"], password="engineer-pw", meaning="approved")


def test_a_reviewed_signature_does_not_approve(team, draft):
    sign_record(draft, signer=team["engineer"], password="engineer-pw", meaning="reviewed")
    assert draft.status == "draft"


def test_an_unknown_meaning_is_refused(team, draft):
    with pytest.raises(RecordError, match="reviewed, approved, verified, validated"):
        sign_record(draft, signer=team["admin"], password="admin-pw", meaning="liked")


def test_an_approved_record_is_revised_never_edited(team, draft):
    sign_record(draft, signer=team["admin"], password="admin-pw", meaning="approved")
    with pytest.raises(RecordError, match="revise it"):
        update_draft(draft, editor=team["manager"], body="new text")
    with pytest.raises(RecordError, match="needs a reason"):
        revise_record(draft, author=team["manager"], reason=" ")

    revision = revise_record(draft, author=team["manager"], reason="заказчик уточнил сроки")
    update_draft(revision, editor=team["manager"], body="новый текст")
    db.session.commit()

    rows = db.session.scalars(
        select(Record).where(Record.lineage == draft.lineage).order_by(Record.revision)
    ).all()
    assert [(r.revision, r.status, r.body) for r in rows] == [
        (1, "approved", "текст"),
        (2, "draft", "новый текст"),
    ]
    assert rows[1].revision_reason == "заказчик уточнил сроки"
    with pytest.raises(RecordError, match="revision 2 is the current one"):
        revise_record(rows[0], author=team["manager"], reason="again")


def test_auditors_do_not_write_records(team):
    order = make_order(team)
    with pytest.raises(RecordError, match="auditors read records"):
        create_record(order, "enquiry", author=team["auditor"], title="x")


@pytest.mark.parametrize(
    ("kind", "fields", "message"),
    [
        ("contrakt", {}, "'contrakt' is not a record kind"),
        ("refusal", {"reason": "outside_field"}, "'Client's importance' is required"),
        (
            "refusal",
            {"reason": "bored", "importance": "low", "heard_from": "x", "alternative": "none"},
            "'Reason' must be one of outside_field, other_specialisation, cannot_fulfil_now",
        ),
        (
            "refusal",
            {
                "reason": "outside_field",
                "importance": "low",
                "heard_from": "x",
                "alternative": "none",
                "mood": "sad",
            },
            "unknown field(s) for Refusal",
        ),
    ],
)
def test_bad_record_input_is_refused_in_words(team, kind, fields, message):
    order = make_order(team)
    with pytest.raises(RecordError) as error:
        create_record(order, kind, author=team["manager"], title="x", fields=fields)
    assert message in str(error.value)

"""Records as evidence: signatures with re-entered passwords, no self-approval, revisions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from qms.extensions import db
from qms.records.models import Record
from qms.records.services import (
    RecordChanged,
    RecordError,
    create_record,
    revise_record,
    update_draft,
)
from qms.records.signing import sign_record
from tests.factories import make_order, make_team, make_user


@pytest.fixture
def team(app):
    return make_team()


@pytest.fixture
def draft(team):
    order = make_order(team)
    return create_record(order, "enquiry", author=team["manager"], title="Запрос", body="текст")


def _sign(record, user, meaning="approved", password=None, seen=None):
    return sign_record(
        record,
        signer=user,
        password=password or f"{user.username}-pw",
        meaning=meaning,
        seen_sha256=seen or record.content_hash(),
    )


def test_the_author_cannot_approve_their_own_record(team, draft):
    with pytest.raises(RecordError, match=r"you shaped this revision \(created it\)"):
        _sign(draft, team["manager"])
    assert draft.status == "draft"


def test_a_wrong_password_signs_nothing(team, draft):
    with pytest.raises(RecordError, match="password is not correct"):
        _sign(draft, team["admin"], password="guess")
    assert draft.signatures == [] and draft.status == "draft"


def test_only_the_kinds_approvers_may_sign_at_all(team, draft):
    for meaning in ("approved", "reviewed"):
        with pytest.raises(RecordError, match="only a Project manager or Administrator may sign"):
            _sign(draft, team["engineer"], meaning)
    assert draft.signatures == []


def test_a_reviewed_signature_does_not_approve(team, draft):
    _sign(draft, team["admin"], "reviewed")
    assert draft.status == "draft"
    _sign(draft, team["admin"], "approved")
    assert draft.status == "approved"


def test_a_meaning_the_kind_does_not_take_is_refused(team, draft):
    for meaning in ("liked", "validated"):
        with pytest.raises(RecordError, match="means one of: approved, reviewed"):
            _sign(draft, team["admin"], meaning)


def test_signing_content_other_than_what_was_read_signs_nothing(team, draft):
    """Finding 1: the signer read one text; the author changed it; nothing is signed."""
    seen = draft.content_hash()
    update_draft(draft, editor=team["manager"], body="1 RUB")
    with pytest.raises(RecordChanged, match="changed since you opened it"):
        _sign(draft, team["admin"], seen=seen)
    assert draft.signatures == [] and draft.status == "draft"


def test_whoever_edited_a_draft_cannot_approve_it(team):
    """Finding 2: the manager rewrites the engineer's draft and then signs it himself."""
    order = make_order(team)
    spec = create_record(order, "technical_specification", author=team["engineer"], title="ТЗ")
    update_draft(spec, editor=team["manager"], body="переписано руководителем")
    with pytest.raises(RecordError, match=r"you shaped this revision \(edited it\)"):
        _sign(spec, team["manager"])
    _sign(spec, team["admin"])
    assert spec.is_approved


def test_whoever_shaped_an_earlier_revision_cannot_approve_the_next(team):
    """Finding 2: the engineer writes rev. 1, the manager revises it, the engineer verifies
    rev. 2: the content the engineer wrote carries over, so the engineer may not."""
    order = make_order(team)
    check = create_record(order, "design_verification", author=team["engineer"], title="Проверка")
    _sign(check, team["admin"], "verified")
    revision = revise_record(check, author=team["manager"], reason="уточнение")
    assert {(c.user.username, c.contribution) for c in revision.contributions} == {
        ("manager", "revised"),
        ("engineer", "earlier_revision"),
    }
    with pytest.raises(RecordError, match="shaped the revision it came from"):
        _sign(revision, team["engineer"], "verified")
    with pytest.raises(RecordError, match="opened this revision"):
        _sign(revision, team["manager"], "verified")
    _sign(revision, team["admin"], "verified")
    assert revision.is_approved


def test_an_approved_revision_takes_no_more_signatures(team, draft):
    _sign(draft, team["admin"])
    with pytest.raises(RecordError, match="already approved"):
        _sign(draft, make_user("admin2", "admin"), "reviewed")


def test_an_approved_record_is_revised_never_edited(team, draft):
    _sign(draft, team["admin"])
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
            "'Reason' must be one of: We do something else entirely; Same field, another",
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

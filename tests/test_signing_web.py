"""Signatures through the pages, as the attacker and the insider of the evidence issue tried
them: a signature binds exactly the content the signer was shown; no one who shaped a
revision approves it; only the kind's approvers sign; attaching follows editing."""

from __future__ import annotations

import html as html_lib
import io
import re

import pytest
from sqlalchemy import func, select

from qms.extensions import db
from qms.records.models import Attachment, Record, Signature
from qms.records.services import create_record
from tests.conftest import FreshContextClient
from tests.factories import make_order, make_team


@pytest.fixture
def team(app):
    app.config["WTF_CSRF_ENABLED"] = False
    team = make_team()
    db.session.commit()
    return team


def client_for(app, username: str):
    app.test_client_class = FreshContextClient
    client = app.test_client()
    client.post("/login", data={"username": username, "password": f"{username}-pw"})
    return client


def shown_hash(html: str) -> str:
    match = re.search(r'name="content_sha256" type="hidden" value="([0-9a-f]{64})"', html)
    assert match, "the sign form carries no content hash"
    return match.group(1)


def sign(client, record_id: int, content_sha256: str, meaning="approved", username="manager"):
    return client.post(
        f"/records/{record_id}/sign",
        data={
            "meaning": meaning,
            "password": f"{username}-pw",
            "content_sha256": content_sha256,
        },
    )


def fresh(record_id: int) -> Record:
    """The record as the database holds it now (the requests ran in their own sessions)."""
    db.session.expire_all()
    return db.session.get(Record, record_id)


def signatures(record_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Signature).where(Signature.record_id == record_id)
    )


def test_signing_from_a_page_opened_before_an_edit_signs_nothing(app, team):
    """Finding 1: the manager opens the record showing 100 000 RUB, the author edits it to
    1 RUB, the manager posts the sign form of the old page."""
    order = make_order(team)
    spec = create_record(
        order, "technical_specification", author=team["engineer"], title="ТЗ", body="100 000 RUB"
    )
    db.session.commit()
    manager, engineer = client_for(app, "manager"), client_for(app, "engineer")

    page = manager.get(f"/records/{spec.id}").get_data(as_text=True)
    assert "100 000 RUB" in page
    old_hash = shown_hash(page)
    edited = engineer.post(f"/records/{spec.id}/edit", data={"title": "ТЗ", "body": "1 RUB"})
    assert edited.status_code == 302

    refused = sign(manager, spec.id, old_hash)
    html = html_lib.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 409
    assert "the record changed since you opened it" in html
    assert "1 RUB" in html  # the page shows what it says now, to be read again
    assert signatures(spec.id) == 0
    assert fresh(spec.id).status == "draft"

    new_hash = shown_hash(html)
    assert new_hash != old_hash
    assert sign(manager, spec.id, new_hash).status_code == 302
    signature = db.session.scalars(select(Signature).where(Signature.record_id == spec.id)).one()
    assert signature.content_sha256 == new_hash == fresh(spec.id).content_sha256
    page = manager.get(f"/records/{spec.id}").get_data(as_text=True)
    assert new_hash in page  # the signature shows the content hash it signed


def test_the_manager_who_rewrote_a_draft_cannot_sign_it(app, team):
    """Finding 2: the manager rewrites the engineer's draft, then signs it himself."""
    order = make_order(team)
    spec = create_record(order, "technical_specification", author=team["engineer"], title="ТЗ")
    db.session.commit()
    manager = client_for(app, "manager")
    manager.post(f"/records/{spec.id}/edit", data={"title": "ТЗ", "body": "переписано"})

    page = html_lib.unescape(manager.get(f"/records/{spec.id}").get_data(as_text=True))
    assert f'action="/records/{spec.id}/sign"' not in page
    assert "You cannot sign this revision: you shaped this revision (edited it)" in page
    assert "Engineer (created it)" in page  # contributors are shown

    refused = sign(manager, spec.id, fresh(spec.id).content_hash())
    assert refused.status_code == 422
    assert signatures(spec.id) == 0


def test_an_engineer_cannot_sign_a_kind_only_managers_approve(app, team):
    """Finding 3: the engineer signs a design validation record with meaning "approved"."""
    order = make_order(team)
    record = create_record(order, "design_validation", author=team["manager"], title="Валидация")
    db.session.commit()
    engineer = client_for(app, "engineer")
    page = html_lib.unescape(engineer.get(f"/records/{record.id}").get_data(as_text=True))
    assert "You cannot sign this revision: only a Project manager or Administrator" in page

    for meaning in ("approved", "validated", "reviewed"):
        response = sign(engineer, record.id, record.content_hash(), meaning, "engineer")
        assert response.status_code == 422
    assert signatures(record.id) == 0


def test_an_engineer_cannot_attach_to_a_managers_draft(app, team):
    """Finding 4: attaching follows the same rule as editing."""
    order = make_order(team)
    draft = create_record(order, "contract", author=team["manager"], title="Договор")
    db.session.commit()
    engineer = client_for(app, "engineer")
    assert engineer.get(f"/records/{draft.id}/edit").status_code == 302  # refused, as before

    response = engineer.post(
        f"/records/{draft.id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 x"), "scan.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "only the author of this draft or a manager may change it" in response.get_data(
        as_text=True
    )
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_attaching_and_removing_a_file_make_a_contributor(app, team):
    order = make_order(team)
    draft = create_record(order, "contract", author=team["manager"], title="Договор")
    db.session.commit()
    admin = client_for(app, "admin")
    admin.post(
        f"/records/{draft.id}/attachments",
        data={"file": (io.BytesIO(b"%PDF-1.4 x"), "scan.pdf")},
        content_type="multipart/form-data",
    )
    attachment = db.session.scalars(select(Attachment)).one()
    removed = admin.post(f"/records/{draft.id}/attachments/{attachment.id}/remove")
    assert removed.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0
    record = fresh(draft.id)
    assert {(c.user.username, c.contribution) for c in record.contributions} == {
        ("manager", "created"),
        ("admin", "attached"),
        ("admin", "removed_file"),
    }
    response = sign(admin, draft.id, record.content_hash(), username="admin")
    assert response.status_code == 422 and signatures(draft.id) == 0

"""Finding 6: state changed beside the trail is caught, because `qms audit verify` compares
the data with what the signed events say, and names each disagreement."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qms.extensions import db
from qms.records.files import attach_file
from qms.records.services import create_record
from qms.timeutil import utcnow
from qms.trace.services import add_note
from tests.conftest import USE_POSTGRES
from tests.factories import approved_record, make_order, make_team


@pytest.fixture
def world(app):
    team = make_team()
    order = make_order(team)
    draft = create_record(order, "customer_requirements", author=team["manager"], title="ТТ")
    attach_file(draft, "scan.pdf", b"%PDF-1.4 original", team["manager"], 10**6)
    approved = approved_record(order, "enquiry", team)
    add_note(order, team["auditor"], "Проверено на месте", "8.2.3")
    db.session.commit()
    return {"team": team, "order": order, "draft": draft, "approved": approved}


def run(insider, statement: str, **params) -> None:
    # The test's own session must hold no transaction (and so no lock) meanwhile, as a
    # separate process would not: on PostgreSQL, DDL would wait for it.
    db.session.rollback()
    insider.execute(text(statement), params)
    insider.commit()


def drop_guard(insider, table: str, operation: str) -> None:
    name = f"{table}_no_{operation}"
    run(insider, f"DROP TRIGGER {name} ON {table}" if USE_POSTGRES else f"DROP TRIGGER {name}")


def test_untouched_data_agrees_with_the_trail(world, runner):
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert (
        "data against the trail: 1 orders, 0 work items, 1 approved records, 1 signatures, "
        "1 stored files, 5 users, 1 audit notes" in result.output
    )


def _approve_by_hand(insider, world):
    draft = world["draft"]
    run(insider, "UPDATE records SET status = 'approved' WHERE id = :id", id=draft.id)
    run(
        insider,
        "INSERT INTO signatures (record_id, signer_id, meaning, signed_at, content_sha256) "
        "VALUES (:r, :s, 'approved', :t, :h)",
        r=draft.id,
        s=world["team"]["admin"].id,
        t=utcnow().replace(tzinfo=None),
        h=draft.content_hash(),
    )
    return [
        f"record {draft.id} (Customer requirements (pre-contract), rev. 1) is approved but the "
        "trail holds no approval of it",
        f"admin's 'Approved' signature on record {draft.id}",
        "has no event in the trail: it was added by hand",
    ]


def _rewrite_a_stored_file(insider, world):
    drop_guard(insider, "blobs", "update")
    run(insider, "UPDATE blobs SET content = :c", c=b"%PDF-1.4 forged")
    return ["no longer holds what was uploaded"]


def _attach_to_an_approved_record(insider, world):
    drop_guard(insider, "attachments", "insert")
    sha = insider.execute(text("SELECT sha256 FROM blobs")).scalar_one()
    run(
        insider,
        "INSERT INTO attachments (record_id, blob_sha256, filename, uploaded_by_id, uploaded_at) "
        "VALUES (:r, :b, 'added.pdf', :u, :t)",
        r=world["approved"].id,
        b=sha,
        u=world["team"]["manager"].id,
        t=utcnow().replace(tzinfo=None),
    )
    return [f"record {world['approved'].id} (Enquiry, rev. 1) now hashes", "changed after approval"]


def _grant_a_role_in_sql(insider, world):
    run(insider, "UPDATE users SET role = 'admin' WHERE username = 'engineer'")
    return [
        "user engineer",
        "has role 'Administrator', but the trail's last word",
        "was 'Engineer'",
    ]


def _jump_an_order(insider, world):
    run(insider, "UPDATE orders SET state = 'closed' WHERE id = :id", id=world["order"].id)
    return [
        f"order {world['order'].number} (id {world['order'].id}) is at 'Closed', but the trail's "
        "last transition",
        "took it to 'Enquiry'",
    ]


def _delete_a_note(insider, world):
    run(insider, "DELETE FROM audit_notes")
    return ["the trail's audit note on order id", "('Проверено на месте') was deleted"]


def _add_a_user_by_hand(insider, world):
    run(
        insider,
        "INSERT INTO users (username, full_name, role, language, password_hash, is_active, "
        "created_at) VALUES ('ghost', 'Ghost', 'admin', 'en', 'x', :yes, :t)",
        yes=True,
        t=utcnow().replace(tzinfo=None),
    )
    return ["user ghost", "which the trail never gave: the user was written into the database"]


@pytest.mark.parametrize(
    "tamper",
    [
        _approve_by_hand,
        _rewrite_a_stored_file,
        _attach_to_an_approved_record,
        _grant_a_role_in_sql,
        _jump_an_order,
        _delete_a_note,
        _add_a_user_by_hand,
    ],
)
def test_state_changed_beside_the_trail_is_named(world, insider, runner, tamper):
    expected = tamper(insider, world)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "chain: " in result.output  # the chain itself is whole ...
    for words in expected:  # ... but the data disagrees with it, and says where
        assert words in result.output, result.output


def test_a_kind_of_data_that_is_empty_reads_nothing_of_the_trail_for_it(world):
    """The world has one order and no work items: the trail's last states are read once
    (for the order), not a second time for work items there are none of. On a trail of a
    million transitions each reading is a pass over all of them."""
    from qms.audit.consistency import check_data_against_trail
    from tests.test_query_counts import count_queries

    with count_queries() as statements:
        findings, checked = check_data_against_trail()
    assert findings == [] and checked["work items"] == 0 and checked["orders"] == 1
    grouped = [s for s in statements if "GROUP BY audit_events.entity_type" in s]
    assert len(grouped) == 1, grouped

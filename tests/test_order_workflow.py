"""Advancing orders: guards, refusals that say what is missing, and version pinning."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.auth.roles import ROLE_TITLES
from qms.config import PROJECT_ROOT
from qms.demo import HAPPY_PATH
from qms.extensions import db
from qms.orders.models import Order
from qms.orders.services import advance_order, create_order, order_definition
from qms.records.services import create_record, revise_record
from qms.records.signing import sign_record
from qms.workflow.definition import WorkflowError
from qms.workflow.engine import ConcurrentChange, TransitionRefused
from tests.factories import approved_record, make_customer, make_order, make_team


@pytest.fixture
def team(app):
    return make_team()


def walk_to(order, state, team):
    definition = order_definition(order)
    for trigger in HAPPY_PATH:
        if order.state == state:
            return
        for kind in definition.transition(trigger).requires:
            approved_record(order, kind, team)
        advance_order(order, trigger, team["manager"])
    assert order.state == state


def snapshot(order_id):
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    return order.state, order.version, events


def test_an_order_walks_from_enquiry_to_closed_leaving_an_event_per_step(team):
    order = make_order(team)
    walk_to(order, "closed", team)
    db.session.commit()
    moves = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.order_id == order.id, AuditEvent.to_state.is_not(None))
        .order_by(AuditEvent.seq)
    ).all()
    assert [e.to_state for e in moves] == [
        "enquiry",
        "pre_contract",
        "specification",
        "contract_review",
        "scope_definition",
        "quality_planning",
        "work_planning",
        "design",
        "design_review",
        "acceptance",
        "closed",
    ]
    assert all(e.actor_name == "manager" for e in moves)


def test_signing_without_a_requirements_review_says_what_is_missing(team):
    order = make_order(team)
    walk_to(order, "contract_review", team)
    approved_record(order, "contract", team)
    db.session.commit()
    before = snapshot(order.id)

    with pytest.raises(TransitionRefused) as refused:
        advance_order(order, "sign_contract", team["manager"])
    assert order.state == "contract_review"  # untouched even before the request rolls back

    assert str(refused.value) == (
        "cannot sign the contract: Requirements and contract review record: missing "
        "(create it and have it approved)"
    )
    db.session.rollback()
    assert snapshot(order.id) == before


def test_a_draft_record_does_not_satisfy_a_guard(team):
    order = make_order(team)
    walk_to(order, "contract_review", team)
    approved_record(order, "contract", team)
    create_record(order, "requirements_review", author=team["manager"], title="Анализ №1")
    with pytest.raises(
        TransitionRefused, match=r"'Анализ №1' rev. 1 is a draft \(approve it first\)"
    ):
        advance_order(order, "sign_contract", team["manager"])


def test_a_revised_record_blocks_the_next_step_until_approved_again(team):
    order = make_order(team)
    walk_to(order, "work_planning", team)
    plan = approved_record(order, "work_plan", team)
    approved_record(order, "component_specification", team)
    revise_record(plan, author=team["manager"], reason="сроки сдвинуты заказчиком")
    with pytest.raises(TransitionRefused, match=r"rev\. 2 is a draft"):
        advance_order(order, "start_design", team["manager"])


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("manager", True), ("engineer", False), ("auditor", False), ("admin", False)],
)
def test_only_a_manager_may_sign_the_contract(team, role, allowed):
    order = make_order(team)
    walk_to(order, "contract_review", team)
    approved_record(order, "requirements_review", team)
    approved_record(order, "contract", team)
    if allowed:
        advance_order(order, "sign_contract", team[role])
        assert order.state == "scope_definition"
    else:
        with pytest.raises(
            TransitionRefused,
            match=f"only a Project manager may do this \\(you are: {ROLE_TITLES[role]['en']}",
        ):
            advance_order(order, "sign_contract", team[role])


def test_engineer_may_submit_the_design_for_review(team):
    order = make_order(team)
    walk_to(order, "design", team)
    approved_record(order, "hardware_documentation", team)
    approved_record(order, "software_documentation", team)
    advance_order(order, "submit_design", team["engineer"])
    assert order.state == "design_review"


def test_cancelling_needs_a_reason_and_records_it(team):
    order = make_order(team)
    walk_to(order, "pre_contract", team)
    with pytest.raises(TransitionRefused, match="a reason is required"):
        advance_order(order, "cancel", team["manager"], reason="  ")
    event = advance_order(order, "cancel", team["manager"], reason="заказчик отозвал запрос")
    assert (event.from_state, event.to_state, event.reason) == (
        "pre_contract",
        "cancelled",
        "заказчик отозвал запрос",
    )


def test_nothing_moves_a_closed_or_declined_order(team):
    order = make_order(team)
    approved_record(
        order,
        "refusal",
        team,
        fields={
            "reason": "outside_field",
            "importance": "low",
            "heard_from": "сайт",
            "alternative": "none",
        },
    )
    advance_order(order, "decline", team["manager"])
    with pytest.raises(
        TransitionRefused, match="the Customer order is at 'Declined'; nothing can move it on"
    ):
        advance_order(order, "accept_enquiry", team["manager"])


def test_an_action_from_the_wrong_state_is_explained(team):
    order = make_order(team)
    with pytest.raises(TransitionRefused, match="possible only from 'Contract review"):
        advance_order(order, "sign_contract", team["manager"])
    with pytest.raises(TransitionRefused, match="there is no action 'sign'"):
        advance_order(order, "sign", team["manager"])


def test_a_stale_version_from_a_form_is_a_conflict_naming_who_changed_it(team):
    order = make_order(team)
    approved_record(order, "enquiry", team)
    seen_version = order.version
    advance_order(order, "accept_enquiry", team["manager"])
    db.session.commit()
    with pytest.raises(ConcurrentChange, match=r"changed by manager at .* reload"):
        advance_order(order, "cancel", team["manager"], reason="x", expected_version=seen_version)


def _workflow_copy(tmp_path, version: int, extra_requirement: bool):
    folder = tmp_path / f"workflows-v{version}"
    shutil.copytree(PROJECT_ROOT / "workflows", folder)
    path = folder / "customer-order.yaml"
    text = path.read_text(encoding="utf-8").replace("version: 2", f"version: {version}")
    if extra_requirement:
        text = text.replace("requires: [enquiry]", "requires: [enquiry, customer_requirements]")
    path.write_text(text, encoding="utf-8")
    return folder


def _use_workflows(app, folder):
    app.config["QMS_WORKFLOWS_DIR"] = str(folder)
    app.extensions.pop("qms.workflows", None)


def test_orders_keep_the_workflow_version_they_started_under(app, team, tmp_path):
    old = make_order(team, title="started under v1")
    approved_record(old, "enquiry", team)
    db.session.commit()

    _use_workflows(app, _workflow_copy(tmp_path, 3, extra_requirement=True))
    new = make_order(team, title="started under v3")
    approved_record(new, "enquiry", team)

    assert (old.workflow_version.version, new.workflow_version.version) == (2, 3)
    advance_order(old, "accept_enquiry", team["manager"])  # v2 asks only for the enquiry
    with pytest.raises(TransitionRefused, match="Customer requirements"):
        advance_order(new, "accept_enquiry", team["manager"])

    # The v2 file may even disappear: v2 orders run on the copy stored with them.
    v2_order = db.session.get(Order, old.id)
    assert order_definition(v2_order).version == 2


def test_a_workflow_changed_without_a_version_bump_is_refused(app, team, tmp_path):
    make_order(team)
    db.session.commit()
    _use_workflows(app, _workflow_copy(tmp_path, 2, extra_requirement=True))
    with pytest.raises(WorkflowError, match="give the change a new version number"):
        create_order(
            actor=team["manager"], title="x", customer=make_customer(), manager=team["manager"]
        )


def test_only_managers_open_orders(team):
    with pytest.raises(ValueError, match="only a manager or an administrator"):
        create_order(
            actor=team["engineer"], title="x", customer=make_customer(), manager=team["manager"]
        )


def test_signing_twice_is_refused(team):
    order = make_order(team)
    record = create_record(order, "enquiry", author=team["manager"], title="Запрос")
    sign_record(
        record,
        signer=team["admin"],
        password="admin-pw",
        meaning="reviewed",
        seen_sha256=record.content_hash(),
    )
    with pytest.raises(ValueError, match="already signed this revision as reviewed"):
        sign_record(
            record,
            signer=team["admin"],
            password="admin-pw",
            meaning="reviewed",
            seen_sha256=record.content_hash(),
        )

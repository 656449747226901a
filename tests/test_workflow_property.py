"""Property: no sequence of actions reaches a state without its required, approved records.

Hypothesis drives an order with random actions: write drafts, approve them (or write and
approve), revise approved records, and fire triggers (mostly ones that move the order on,
any of them at times) as random roles, with or without a reason. After every fire, the
success or refusal is checked against the records in the database, read independently of
the engine. The run is derandomised, so it is repeatable, and it must reach the far
states of the workflow (closed, declined, cancelled) or it proves too little.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from qms.audit.models import AuditEvent
from qms.audit.verify import verify_trail
from qms.extensions import db
from qms.orders.services import advance_order, order_definition
from qms.records.models import Record
from qms.records.services import RecordError, create_record, revise_record
from qms.records.signing import sign_record
from qms.workflow.engine import TransitionRefused
from tests.factories import make_order, make_team

ROLES = ["manager", "engineer", "admin", "auditor"]
REFUSAL_FIELDS = {
    "reason": "outside_field",
    "importance": "low",
    "heard_from": "сайт",
    "alternative": "none",
}


def evidence_complete(order_id: int, kinds: tuple[str, ...]) -> bool:
    """Every kind has a record, and the latest revision of each lineage is approved."""
    for kind in kinds:
        rows = db.session.execute(
            select(Record.lineage, Record.revision, Record.status)
            .where(Record.order_id == order_id, Record.kind == kind)
            .order_by(Record.lineage, Record.revision)
        ).all()
        latest = {lineage: status for lineage, _, status in rows}
        if not latest or any(status != "approved" for status in latest.values()):
            return False
    return True


def event_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def test_no_sequence_of_actions_reaches_a_state_without_its_evidence(app):
    team = make_team()
    definition_kinds: list[str] = []
    reached: set[str] = set()

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(data=st.data())
    def run(data):
        order = make_order(team)
        definition = order_definition(order)
        definition_kinds[:] = list(definition.records)
        for _ in range(150):  # or until a final state
            if definition.states[order.state].final:
                break
            possible = definition.transitions_from(order.state)
            # Lean towards moving on, so that runs get deep into the workflow; every
            # trigger and role stays possible at every step.
            forward = [
                t
                for t in possible
                if not t.reason_required and t.dest not in ("declined", "cancelled")
            ]
            needed = sorted({k for t in possible for k in t.requires}) or definition_kinds
            action = data.draw(
                st.sampled_from(["provide"] * 4 + ["draft", "revise"] + ["fire"] * 4)
            )
            if action in ("provide", "draft", "revise"):
                kind = data.draw(st.sampled_from(needed * 4 + definition_kinds))
                _change_records(order, kind, action, team)
                continue
            trigger = data.draw(
                st.sampled_from(
                    [t.trigger for t in forward] * 30 + [t.trigger for t in definition.transitions]
                )
            )
            role = data.draw(st.sampled_from(["manager"] * 4 + ROLES))
            give_reason = data.draw(st.booleans())
            _fire_and_check(order, definition, trigger, role, team, give_reason)
            reached.add(order.state)
        db.session.commit()

    run()
    assert verify_trail().intact
    # The run must actually explore the workflow, or it proves nothing.
    assert {"contract_review", "design", "closed", "declined", "cancelled"} <= reached, reached


def _change_records(order, kind, action, team) -> None:
    fields = REFUSAL_FIELDS if kind == "refusal" else None
    if action == "revise":
        approved = db.session.scalars(
            select(Record)
            .where(Record.order_id == order.id, Record.kind == kind, Record.status == "approved")
            .order_by(Record.revision.desc())
        ).first()
        if approved is not None:
            # An older revision: the service refuses, as it should.
            with contextlib.suppress(RecordError):
                revise_record(approved, author=team["engineer"], reason="уточнение")
        return
    draft = db.session.scalars(
        select(Record).where(
            Record.order_id == order.id, Record.kind == kind, Record.status == "draft"
        )
    ).first()
    if action == "draft" or draft is None:
        record = create_record(order, kind, author=team["engineer"], title=kind, fields=fields)
    else:
        record = draft  # "provide" approves an open draft before writing a new record
    if action == "provide":
        meaning = order_definition(order).records[kind].approve_as
        sign_record(
            record,
            signer=team["manager"],
            password="manager-pw",
            meaning=meaning,
            seen_sha256=record.content_hash(),
        )


def _fire_and_check(order, definition, trigger, role, team, give_reason) -> None:
    transition = definition.transition(trigger)
    state, version, events = order.state, order.version, event_count()
    reason = "причина" if give_reason else None
    try:
        advance_order(order, trigger, team[role], reason=reason)
    except TransitionRefused:
        assert (order.state, order.version, event_count()) == (state, version, events)
        allowed = (
            state in transition.sources
            and role in transition.roles
            and (give_reason or not transition.reason_required)
            and evidence_complete(order.id, transition.requires)
        )
        assert not allowed, f"{trigger} by {role} from {state} was refused though allowed"
        return
    assert state in transition.sources
    assert role in transition.roles
    assert give_reason or not transition.reason_required
    assert evidence_complete(order.id, transition.requires), (
        f"{trigger} reached {order.state} without approved {transition.requires}"
    )
    assert order.state == transition.dest
    assert event_count() == events + 1

"""Auditor operations and the read models of the audit pages. The caller commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload

from qms.audit.models import AuditEvent
from qms.audit.trail import record_event
from qms.auth.models import User
from qms.database.limits import check_date
from qms.documents import governing
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record, Signature
from qms.timeutil import UTC
from qms.trace.models import AuditNote
from qms.workflow.registry import catalogue, definition_of


class NoteError(ValueError):
    pass


def add_note(order: Order, author: User, body: str, clause: str | None) -> AuditNote:
    if author.role not in ("auditor", "admin"):
        raise NoteError(_l("audit notes are written by auditors"))
    if not body or not body.strip():
        raise NoteError(_l("a note needs some text"))
    if clause and clause not in catalogue().clauses_2015:
        raise NoteError(_l("'%(clause)s' is not an ISO 9001:2015 clause", clause=clause))
    note = AuditNote(
        order_id=order.id, author_id=author.id, body=body.strip(), clause=clause or None
    )
    db.session.add(note)
    db.session.flush()
    record_event(
        actor=author,
        action="audit.note",
        entity_type="order",
        entity_id=order.id,
        order_id=order.id,
        changes={"note_id": note.id, "clause": note.clause, "note": note.body},
    )
    return note


@dataclass
class EventFilter:
    username: str = ""
    order_number: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None


def events_query(f: EventFilter) -> Select:
    check_date(f.date_from, _l("From"))
    check_date(f.date_to, _l("To"))  # the day after it must exist
    query = select(AuditEvent).order_by(AuditEvent.seq.desc())
    if f.username:
        query = query.where(AuditEvent.actor_name == f.username)
    if f.order_number:
        query = query.join(Order, Order.id == AuditEvent.order_id).where(
            Order.number == f.order_number
        )
    if f.action:
        query = query.where(AuditEvent.action.startswith(f.action))
    if f.date_from:
        query = query.where(
            AuditEvent.occurred_at >= datetime.combine(f.date_from, time(), tzinfo=UTC)
        )
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), tzinfo=UTC)
        query = query.where(AuditEvent.occurred_at < end)
    return query


@dataclass
class StepEvidence:
    step: object
    states: list[str]
    passed: bool
    clauses_2000: list
    clauses_2015: list
    records: list[Record]
    missing_kinds: tuple[str, ...] = ()  # required by steps taken, with no approved record
    # The revisions of its governing documents in force when it was carried out.
    revisions: list = field(default_factory=list)

    @property
    def evidenced(self) -> bool:
        return any(r.is_approved for r in self.records)

    # A gap: the step passed, yet a record kind its taken transitions required has no
    # approved record (the guards forbid it, so it is a loud finding).

    @property
    def gap(self) -> bool:
        """Passed without any approved record: what an auditor looks at first."""
        return self.passed and bool(self.missing_kinds)


def compliance(order: Order):
    """For one order: each step, whether it was passed, its clauses and its evidence."""
    definition = definition_of(order.workflow_version)
    cat = catalogue()
    records = db.session.scalars(
        select(Record)
        .where(Record.order_id == order.id)
        .options(
            joinedload(Record.author), selectinload(Record.signatures).joinedload(Signature.signer)
        )
        .order_by(Record.kind, Record.revision)
    ).all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.order_id == order.id).order_by(AuditEvent.seq)
    ).all()
    visited = {e.to_state for e in events if e.to_state}
    # The records the guards of the steps actually taken required: what a gap lacks.
    taken = (
        definition.transition(e.action.partition(".")[2])
        for e in events
        if e.entity_type == "order" and e.from_state
    )
    required = {kind for t in taken if t is not None for kind in t.requires}
    governed = governing.labelled_for_order(order.id)
    steps = []
    for number, step in cat.steps.items():
        states = definition.states_for_step(number)
        if not states:
            continue
        kinds = {k.kind for k in definition.records.values() if number in k.steps}
        approved = {r.kind for r in records if r.is_approved}
        steps.append(
            StepEvidence(
                step=step,
                states=states,
                passed=bool((visited & set(states)) - {order.state}),
                clauses_2000=cat.step_clauses(step),
                clauses_2015=cat.step_clauses_2015(step),
                records=[r for r in records if r.kind in kinds],
                missing_kinds=tuple(sorted((kinds & required) - approved)),
                revisions=_revisions_for(step, states, kinds, records, events, governed),
            )
        )
    notes = db.session.scalars(
        select(AuditNote)
        .where(AuditNote.order_id == order.id)
        .options(joinedload(AuditNote.author))
        .order_by(AuditNote.id)
    ).all()
    return definition, steps, events, notes


def _revisions_for(step, states, kinds, records, events, governed) -> list:
    """The revisions of the step's documents captured when the order left one of its
    states or one of its records was approved, each once."""
    record_ids = {r.id for r in records if r.kind in kinds}
    found: dict[tuple[str, int], object] = {}
    for e in events:
        if (e.entity_type == "order" and e.from_state in states) or (
            e.entity_type == "record" and e.entity_id in record_ids
        ):
            for g in governed.get(e.id, ()):
                if g.register in step.documents:
                    found.setdefault((g.register, g.revision), g)
    return list(found.values())

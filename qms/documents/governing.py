"""Which revision of each governing document is in force, and capturing it with each step.

Called on the path of every transition: one indexed query for the revisions in force of
the documents that govern the step, and one multi-row insert; nothing when no document
governs it. The documents governing a state are worked out once per definition.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, distinct, func, insert, select

from qms.audit.trail import RecordedEvent
from qms.documents.models import DocumentRevision, DocumentWithdrawal, GoverningRevision
from qms.extensions import db
from qms.timeutil import utcnow
from qms.workflow.registry import catalogue
from qms.workflow.types import RecordKind, WorkflowDefinition


class InForce(NamedTuple):
    id: int
    register: str
    revision: int
    effective_from: date


_REVISIONS = DocumentRevision.__table__
_IN_FORCE = (
    select(
        _REVISIONS.c.id, _REVISIONS.c.register, _REVISIONS.c.revision, _REVISIONS.c.effective_from
    )
    .where(
        _REVISIONS.c.status == "approved",
        _REVISIONS.c.effective_from <= bindparam("today"),
        _REVISIONS.c.register.in_(bindparam("registers", expanding=True)),
        _REVISIONS.c.register.not_in(select(DocumentWithdrawal.__table__.c.register)),
    )
    .order_by(_REVISIONS.c.effective_from, _REVISIONS.c.revision)
)
_CAPTURE = insert(GoverningRevision.__table__)
_by_state: dict[tuple, tuple[str, ...]] = {}


def state_documents(definition: WorkflowDefinition, state: str | None) -> tuple[str, ...]:
    """The register numbers of the documents governing the work done in `state` (its
    steps' documents), and the documents the whole workflow names."""
    key = (definition.name, definition.version, definition.sha256, state)
    found = _by_state.get(key)
    if found is None:
        cat = catalogue()
        steps = definition.states[state].steps if state in definition.states else ()
        registers = [r for s in steps for r in cat.steps[s].documents]
        found = _by_state[key] = tuple(dict.fromkeys([*registers, *definition.documents]))
    return found


def kind_documents(kind: RecordKind) -> tuple[str, ...]:
    """The documents governing the steps a record kind is evidence for."""
    cat = catalogue()
    return tuple(dict.fromkeys(r for s in kind.steps for r in cat.steps[s].documents))


def in_force(registers, on: date | None = None) -> dict[str, InForce]:
    """The revision in force of each document on `on` (today): the approved revision with
    the latest effective date not after it, unless the document was withdrawn."""
    if not registers:
        return {}
    rows = db.session.connection().execute(
        _IN_FORCE, {"today": on or utcnow().date(), "registers": list(registers)}
    )
    return {row.register: InForce(*row) for row in rows}  # the last one per register wins


def capture(event: RecordedEvent, registers) -> list[InForce]:
    """Store with `event` the revision in force of each of `registers`; returns them."""
    found = in_force(registers, event.occurred_at.date())
    if found:
        db.session.connection().execute(
            _CAPTURE,
            [
                {"event_id": event.id, "order_id": event.order_id, "revision_id": r.id}
                for r in found.values()
            ],
        )
    return list(found.values())


class Captured(NamedTuple):
    event_id: int
    register: str
    revision: int
    effective_from: date
    revision_id: int


def captured_for_order(order_id: int) -> dict[int, list[Captured]]:
    """The revisions captured with each of an order's events, by event id (one query)."""
    rows = db.session.execute(
        select(
            GoverningRevision.event_id,
            DocumentRevision.register,
            DocumentRevision.revision,
            DocumentRevision.effective_from,
            DocumentRevision.id,
        )
        .join(DocumentRevision, DocumentRevision.id == GoverningRevision.revision_id)
        .where(and_(GoverningRevision.order_id == order_id))
        .order_by(GoverningRevision.event_id, DocumentRevision.register)
    )
    result: dict[int, list[Captured]] = {}
    for row in rows:
        result.setdefault(row[0], []).append(Captured(*row))
    return result


class Labelled(NamedTuple):
    label: str  # "2.2.1.2.3 СТП-3-01"
    register: str
    revision: int
    effective_from: date


def labelled_for_order(order_id: int) -> dict[int, list[Labelled]]:
    """As captured_for_order, with each document's label, for pages and reports."""
    documents = catalogue().documents
    return {
        event_id: [
            Labelled(
                documents[c.register].label if c.register in documents else c.register,
                c.register,
                c.revision,
                c.effective_from,
            )
            for c in rows
        ]
        for event_id, rows in captured_for_order(order_id).items()
    }


def revision_choices() -> dict[int, str]:
    """Every approved revision, "2.2.1.2.3 СТП-3-01 rev. 2", for filters (one query)."""
    documents = catalogue().documents
    rows = db.session.execute(
        select(DocumentRevision.id, DocumentRevision.register, DocumentRevision.revision)
        .where(DocumentRevision.status == "approved")
        .order_by(DocumentRevision.register, DocumentRevision.revision)
    )
    return {
        rid: _("%(document)s rev. %(n)s", document=documents[reg].label, n=n)
        for rid, reg, n in rows
        if reg in documents
    }


def orders_per_revision() -> dict[int, int]:
    """How many orders had a step taken or a record approved under each revision."""
    rows = db.session.execute(
        select(GoverningRevision.revision_id, func.count(distinct(GoverningRevision.order_id)))
        .where(GoverningRevision.order_id.is_not(None))
        .group_by(GoverningRevision.revision_id)
    )
    return {revision_id: count for revision_id, count in rows}

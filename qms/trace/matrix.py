"""The traceability matrix: ISO 9001:2015 clause x order -> complete, missing, not reached.

A clause is *reached* on an order when a transition fired on it required records of a
kind linked to the clause (through the kind's process-map steps), or when the order has
been through (entered and left) a state that carries out a step citing the clause. It is
*missing* when such a transition fired and no approved record of a required kind exists:
the guards make that impossible, so it is flagged loudly. Work items finished on the order
(a change incorporated, a complaint closed) are evidence for the clauses their
workflows satisfy. Built in four queries whatever the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from sqlalchemy import Select, and_, func, select

from qms.audit.models import AuditEvent
from qms.catalogue import Catalogue
from qms.catalogue.model import clause_sort_key
from qms.customers.models import Customer
from qms.documents.models import GoverningRevision
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record
from qms.workflow.definition import WorkflowDefinition
from qms.workflow.registry import catalogue, registry

COMPLETE, MISSING, NOT_REACHED = "complete", "missing", "not reached"


@dataclass(frozen=True)
class ClauseRow:
    number: str
    title: object  # Text
    from_2000: tuple[str, ...]
    documents: tuple[str, ...]  # "register code" labels
    steps: tuple[str, ...]
    kinds: tuple[str, ...]  # record kinds that are evidence for it
    states: tuple[str, ...]  # states that carry out its steps
    item_workflows: tuple[str, ...] = ()  # work items whose finishing is evidence for it


class Cell(NamedTuple):
    status: str
    evidence: int = 0  # approved records that satisfy it
    missing_kinds: tuple[str, ...] = ()


@dataclass
class OrderColumn:
    id: int
    number: str
    title: str
    customer: str
    state: str


@dataclass
class Matrix:
    rows: list[ClauseRow]
    orders: list[OrderColumn]
    # Per order, one (status, evidence, missing kinds) tuple per row, in row order.
    cells: dict[int, list[tuple]] = field(default_factory=dict)
    row_index: dict[str, int] = field(default_factory=dict)

    def cell(self, clause: str, order_id: int) -> Cell:
        # Stored as plain tuples: building 100,000+ named tuples costs more than the rest.
        return Cell._make(self.cells[order_id][self.row_index[clause]])

    @property
    def gaps(self) -> list[tuple[ClauseRow, OrderColumn, Cell]]:
        return [
            (row, col, self.cell(row.number, col.id))
            for row in self.rows
            for col in self.orders
            if self.cells[col.id][self.row_index[row.number]][0] == MISSING
        ]


def clause_rows(definition: WorkflowDefinition, cat: Catalogue) -> list[ClauseRow]:
    """One row per ISO 9001:2015 clause cited through the workflow's steps."""
    steps_in_use = [s for s in cat.steps if definition.states_for_step(s)]
    rows: dict[str, dict] = {}
    for number in steps_in_use:
        step = cat.steps[number]
        for old in cat.step_clauses(step):
            for new in old.maps_to:
                row = rows.setdefault(new, {"from_2000": set(), "documents": {}, "steps": set()})
                row["from_2000"].add(old.number)
                row["steps"].add(number)
                for doc in cat.step_documents(step):
                    row["documents"][doc.register] = doc.label
    result = []
    for number in sorted(rows, key=clause_sort_key):
        row = rows[number]
        steps = tuple(sorted(row["steps"], key=clause_sort_key))
        kinds = tuple(k.kind for k in definition.records.values() if set(k.steps) & set(steps))
        states = tuple(s for s in definition.states if set(definition.states[s].steps) & set(steps))
        result.append(
            ClauseRow(
                number=number,
                title=cat.clauses_2015[number].title,
                from_2000=tuple(sorted(row["from_2000"], key=clause_sort_key)),
                documents=tuple(row["documents"].values()),
                steps=steps,
                kinds=kinds,
                states=states,
            )
        )
    return result


def order_query(
    customer_id: int | None = None,
    state: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    revision_id: int | None = None,
) -> Select:
    query = select(Order.id, Order.number, Order.title, Customer.name, Order.state).join(
        Customer, Customer.id == Order.customer_id
    )
    if customer_id:
        query = query.where(Order.customer_id == customer_id)
    if state:
        query = query.where(Order.state == state)
    if date_from:
        query = query.where(func.date(Order.created_at) >= date_from)
    if date_to:
        query = query.where(func.date(Order.created_at) <= date_to)
    if revision_id:  # a step taken or a record approved under this document revision
        query = query.where(
            Order.id.in_(
                select(GoverningRevision.order_id).where(
                    GoverningRevision.revision_id == revision_id
                )
            )
        )
    return query.order_by(Order.number)


ITEM_WORKFLOWS = ("contract-change", "complaint", "corrective-action", "support-request")


def with_work_item_rows(rows: list[ClauseRow], cat: Catalogue) -> list[ClauseRow]:
    """Add the clauses the work-item workflows satisfy (10.2, 9.1.2, ...), and mark them."""
    by_number = {row.number: row for row in rows}
    for name in ITEM_WORKFLOWS:
        definition = registry().latest(name)
        labels = tuple(cat.documents[d].label for d in definition.documents)
        for number in definition.clauses_2015:
            row = by_number.get(number) or ClauseRow(
                number=number,
                title=cat.clauses_2015[number].title,
                from_2000=cat.clauses_2000_for(number),
                documents=(),
                steps=(),
                kinds=(),
                states=(),
            )
            by_number[number] = replace(
                row,
                documents=tuple(dict.fromkeys(row.documents + labels)),
                item_workflows=(*row.item_workflows, name),
            )
    return sorted(by_number.values(), key=lambda r: clause_sort_key(r.number))


def _tuples(connection, statement) -> list[tuple]:
    """The rows as the driver returns them (ids, names, states, counts: nothing to convert):
    tens of thousands of rows, where making SQLAlchemy rows costs more than the query."""
    result = connection.execute(statement)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def build_matrix(**filters) -> Matrix:
    definition = registry().latest("customer-order")
    rows = with_work_item_rows(clause_rows(definition, catalogue()), catalogue())
    base = order_query(**filters)
    # Plain rows on the session's connection: no ORM row processing for 10,000s of rows.
    connection = db.session.connection()
    orders = [OrderColumn(*r) for r in _tuples(connection, base)]
    ids = base.with_only_columns(Order.id).order_by(None).scalar_subquery()

    # What happened to each order: the triggers fired and the states it entered.
    fired: dict[int, set[str]] = {}
    visited: dict[int, set[str]] = {}
    for order_id, action, to_state in _tuples(
        connection,
        select(AuditEvent.order_id, AuditEvent.action, AuditEvent.to_state).where(
            AuditEvent.entity_type == "order",
            AuditEvent.order_id.in_(ids),
            AuditEvent.to_state.is_not(None),
        ),
    ):
        fired.setdefault(order_id, set()).add(action)
        visited.setdefault(order_id, set()).add(to_state)
    # Approved records per order and kind (counted, not loaded).
    approved: dict[int, dict[str, int]] = {}
    for order_id, kind, count in _tuples(
        connection,
        select(Record.order_id, Record.kind, func.count())
        .where(and_(Record.status == "approved", Record.order_id.in_(ids)))
        .group_by(Record.order_id, Record.kind),
    ):
        approved.setdefault(order_id, {})[kind] = count

    # Finished work items (a change incorporated, a complaint or action closed) per order.
    from qms.workitems.models import WorkItem

    final = {
        (name, state)
        for name in ITEM_WORKFLOWS
        for state, spec in registry().latest(name).states.items()
        if spec.final
    }
    finished: dict[int, dict[str, int]] = {}
    for order_id, workflow, state in _tuples(
        connection,
        select(WorkItem.order_id, WorkItem.workflow, WorkItem.state).where(
            WorkItem.order_id.in_(ids)
        ),
    ):
        if (workflow, state) in final:
            counts = finished.setdefault(order_id, {})
            counts[workflow] = counts.get(workflow, 0) + 1

    requires = {f"order.{t.trigger}": frozenset(t.requires) for t in definition.transitions}
    # Per order, once: the kinds its fired transitions required, and the states it left.
    required_by: dict[int, frozenset[str]] = {}
    by_actions: dict[frozenset[str], frozenset[str]] = {}  # few distinct sets of actions
    for order_id, actions in fired.items():
        key = frozenset(actions)
        if (kinds := by_actions.get(key)) is None:
            kinds = by_actions[key] = frozenset().union(*(requires.get(a, ()) for a in key))
        required_by[order_id] = kinds
    row_kinds = [(row.number, frozenset(row.kinds), frozenset(row.states)) for row in rows]
    item_rows = [
        (index, row.item_workflows) for index, row in enumerate(rows) if row.item_workflows
    ]
    rows_of_kind: dict[str, list[int]] = {}
    for index, (_, kinds, _) in enumerate(row_kinds):
        for kind in kinds:
            rows_of_kind.setdefault(kind, []).append(index)
    matrix = Matrix(rows, orders, row_index={row.number: i for i, row in enumerate(rows)})
    cells = matrix.cells
    no_kinds: set[str] = set()
    no_counts: dict[str, int] = {}
    # Orders with the same history have the same column: worked out once for each history.
    columns: dict[tuple, list[tuple]] = {}
    for col in orders:
        order_id = col.id
        needed = required_by.get(order_id, no_kinds)
        counts = approved.get(order_id, no_counts)
        left = visited.get(order_id, no_kinds) - {col.state}
        done_items = finished.get(order_id)
        history = (
            frozenset(needed),
            frozenset(counts.items()),
            frozenset(left),
            frozenset(done_items.items()) if done_items else None,
        )
        if (same := columns.get(history)) is not None:
            cells[order_id] = same
            continue
        have = counts.keys()
        evidence = [0] * len(row_kinds)
        mine = cells[order_id] = columns[history] = []
        for kind, count in counts.items():
            for index in rows_of_kind.get(kind, ()):
                evidence[index] += count
        by_items = [0] * len(row_kinds)
        if done_items:
            for index, workflows in item_rows:
                by_items[index] = sum(done_items.get(w, 0) for w in workflows)
                evidence[index] += by_items[index]
        for index, (_, kinds, states) in enumerate(row_kinds):
            if required := kinds & needed:
                if missing := required - have:
                    mine.append((MISSING, evidence[index], tuple(sorted(missing))))
                else:
                    mine.append((COMPLETE, evidence[index], ()))
            elif states & left or by_items[index]:
                # been through it (the events are its record), or a finished work item is
                mine.append((COMPLETE, evidence[index], ()))
            else:
                mine.append((NOT_REACHED, evidence[index], ()))
    return matrix

"""The traceability matrix: ISO 9001:2015 clause x order -> complete, missing, not reached.

A clause is *reached* on an order when a transition fired on it required records of a
kind linked to the clause (through the kind's process-map steps), or when the order has
been through (entered and left) a state that carries out a step citing the clause. It is
*missing* when such a transition fired and no approved record of a required kind exists:
the guards make that impossible, so it is flagged loudly. Work items finished on the order
(a change incorporated, a complaint closed) are evidence for the clauses their
workflows satisfy. Built in one query whatever the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from sqlalchemy import Select, func, select

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


# Joins each order's codes (actions, states, kinds, workflows) into one string in SQL: a
# character no code holds.
SEP = "\x1f"


def _joined(column, *where) -> object:
    """One order's values of `column`, joined by SEP: a correlated subquery that SQLite and
    PostgreSQL answer from a covering index (migration 0016), one string per order."""
    return select(func.aggregate_strings(column, SEP)).where(*where).scalar_subquery()


def history_columns() -> tuple:
    """Per order: its transitions ("action SEP state" pairs), its approved records' kinds,
    and its work items ("workflow SEP state" pairs), each as one string or None."""
    from qms.workitems.models import WorkItem

    return (
        _joined(
            AuditEvent.action + SEP + AuditEvent.to_state,
            AuditEvent.order_id == Order.id,
            AuditEvent.entity_type == "order",
            AuditEvent.to_state.is_not(None),
        ),
        _joined(Record.kind, Record.order_id == Order.id, Record.status == "approved"),
        _joined(WorkItem.workflow + SEP + WorkItem.state, WorkItem.order_id == Order.id),
    )


def matrix_query(**filters) -> Select:
    """The orders the filters select, each with its history (see history_columns)."""
    return order_query(**filters).add_columns(*history_columns())


class _Columns:
    """Works out a column of cells from an order's history, once per distinct history:
    orders that went the same way share one list."""

    def __init__(self, definition: WorkflowDefinition, rows: list[ClauseRow]):
        self.requires = {
            f"order.{t.trigger}": frozenset(t.requires) for t in definition.transitions
        }
        self.final = {
            (name, state)
            for name in ITEM_WORKFLOWS
            for state, spec in registry().latest(name).states.items()
            if spec.final
        }
        self.row_kinds = [(frozenset(row.kinds), frozenset(row.states)) for row in rows]
        self.item_rows = [
            (index, row.item_workflows) for index, row in enumerate(rows) if row.item_workflows
        ]
        self.rows_of_kind: dict[str, list[int]] = {}
        for index, (kinds, _) in enumerate(self.row_kinds):
            for kind in kinds:
                self.rows_of_kind.setdefault(kind, []).append(index)
        self.by_strings: dict[tuple, list[tuple]] = {}  # as the database joined them
        self.by_history: dict[tuple, list[tuple]] = {}  # the same, whatever the order

    def column(self, history: tuple) -> list[tuple]:
        """The column for (state, events, kinds, items) as the query returned them."""
        if (column := self.by_strings.get(history)) is None:
            column = self.by_strings[history] = self._parse(*history)
        return column

    def _parse(self, state, events, kinds, items) -> list[tuple]:
        pairs = events.split(SEP) if events else []
        needed = frozenset().union(*(self.requires.get(a, ()) for a in set(pairs[0::2])))
        left = frozenset(pairs[1::2]) - {state}
        counts: dict[str, int] = {}
        for kind in kinds.split(SEP) if kinds else ():
            counts[kind] = counts.get(kind, 0) + 1
        done: dict[str, int] = {}
        pairs = items.split(SEP) if items else []
        for workflow, item_state in zip(pairs[0::2], pairs[1::2], strict=True):
            if (workflow, item_state) in self.final:
                done[workflow] = done.get(workflow, 0) + 1
        history = (needed, frozenset(counts.items()), left, frozenset(done.items()))
        if (column := self.by_history.get(history)) is None:
            column = self.by_history[history] = self._cells(needed, counts, left, done)
        return column

    def _cells(self, needed, counts, left, done) -> list[tuple]:
        have = counts.keys()
        evidence = [0] * len(self.row_kinds)
        for kind, count in counts.items():
            for index in self.rows_of_kind.get(kind, ()):
                evidence[index] += count
        by_items = [0] * len(self.row_kinds)
        for index, workflows in self.item_rows:
            by_items[index] = sum(done.get(w, 0) for w in workflows)
            evidence[index] += by_items[index]
        cells = []
        for index, (kinds, states) in enumerate(self.row_kinds):
            if required := kinds & needed:
                if missing := required - have:
                    cells.append((MISSING, evidence[index], tuple(sorted(missing))))
                else:
                    cells.append((COMPLETE, evidence[index], ()))
            elif states & left or by_items[index]:
                # been through it (the events are its record), or a finished work item is
                cells.append((COMPLETE, evidence[index], ()))
            else:
                cells.append((NOT_REACHED, evidence[index], ()))
        return cells


def build_matrix(**filters) -> Matrix:
    """One query: the orders, each with its history joined into strings by the database
    (tens of thousands of short rows as the driver returns them, no SQLAlchemy row each)."""
    definition = registry().latest("customer-order")
    rows = with_work_item_rows(clause_rows(definition, catalogue()), catalogue())
    result = db.session.connection().execute(matrix_query(**filters))
    try:
        fetched = result.cursor.fetchall()
    finally:
        result.close()
    matrix = Matrix(rows, [], row_index={row.number: i for i, row in enumerate(rows)})
    orders, cells, columns = matrix.orders, matrix.cells, _Columns(definition, rows)
    known, column = columns.by_strings, columns.column
    for row in fetched:
        orders.append(OrderColumn(*row[:5]))
        # the common case inline: a history seen before (the method call costs as much)
        cells[row[0]] = known.get(history := row[4:]) or column(history)
    return matrix

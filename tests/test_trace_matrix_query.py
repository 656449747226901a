"""The traceability matrix's one query gives the cells the definition gives, order by order,
and reads each order's history from covering indexes (issue 18: the matrix at scale)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from qms.audit.models import AuditEvent
from qms.customers.models import Customer
from qms.extensions import db
from qms.orders.models import Order
from qms.records.models import Record
from qms.trace.matrix import (
    COMPLETE,
    ITEM_WORKFLOWS,
    MISSING,
    NOT_REACHED,
    Matrix,
    build_matrix,
    matrix_query,
)
from qms.workflow.registry import registry
from qms.workitems.models import WorkItem
from tests.conftest import USE_POSTGRES
from tests.test_trace import _remove_an_approved_review


@pytest.fixture
def demo(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0


def _by_the_definition(matrix: Matrix) -> dict[tuple[str, int], tuple]:
    """Every cell worked out the slow, obvious way: each order loaded with its events,
    approved records and work items, each clause checked against them."""
    definition = registry().latest("customer-order")
    requires = {f"order.{t.trigger}": set(t.requires) for t in definition.transitions}
    final = {
        (name, state)
        for name in ITEM_WORKFLOWS
        for state, spec in registry().latest(name).states.items()
        if spec.final
    }
    cells = {}
    for column in matrix.orders:
        order = db.session.get(Order, column.id)
        transitions = db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.order_id == order.id,
                AuditEvent.entity_type == "order",
                AuditEvent.to_state.is_not(None),
            )
        ).all()
        needed = set().union(*(requires.get(e.action, set()) for e in transitions))
        left = {e.to_state for e in transitions} - {order.state}
        approved = db.session.scalars(
            select(Record.kind).where(Record.order_id == order.id, Record.status == "approved")
        ).all()
        items = db.session.scalars(select(WorkItem).where(WorkItem.order_id == order.id)).all()
        for row in matrix.rows:
            finished = sum(
                1
                for item in items
                if item.workflow in row.item_workflows and (item.workflow, item.state) in final
            )
            evidence = sum(1 for kind in approved if kind in row.kinds) + finished
            required = set(row.kinds) & needed
            if missing := tuple(sorted(required - set(approved))):
                status = MISSING
            elif required or set(row.states) & left or finished:
                status = COMPLETE
            else:
                status = NOT_REACHED
            cells[(row.number, order.id)] = (status, evidence, missing)
    return cells


def _cells(matrix: Matrix) -> dict[tuple[str, int], tuple]:
    return {
        (row.number, o.id): tuple(matrix.cell(row.number, o.id))
        for row in matrix.rows
        for o in matrix.orders
    }


def test_the_matrix_gives_the_cells_the_definition_gives(demo, insider):
    _remove_an_approved_review(insider, "2026-0003")  # a gap, so MISSING is compared too
    db.session.expire_all()
    matrix = build_matrix()
    expected = _by_the_definition(matrix)
    assert _cells(matrix) == expected
    statuses = {cell[0] for cell in expected.values()}
    assert statuses == {COMPLETE, MISSING, NOT_REACHED}  # the demo exercises every branch
    assert any(row.item_workflows and not row.steps for row in matrix.rows)
    assert [o.number for o in matrix.orders] == sorted(o.number for o in matrix.orders)
    names = dict(db.session.execute(select(Order.id, Customer.name).join(Order.customer)).all())
    assert all(o.customer == names[o.id] for o in matrix.orders)

    # A filtered matrix: the same cells for the orders it keeps.
    customer = db.session.scalar(select(Order.customer_id).where(Order.number == "2026-0003"))
    some = build_matrix(customer_id=customer)
    assert 0 < len(some.orders) < len(matrix.orders)
    assert _cells(some) == {key: expected[key] for key in _cells(some)}


def test_the_matrix_reads_each_orders_history_from_covering_indexes(app):
    indexes = {
        table: {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes(table)}
        for table in ("audit_events", "records")
    }
    assert indexes["audit_events"]["ix_audit_events_order_trace"] == [
        "order_id",
        "entity_type",
        "to_state",
        "action",
    ]
    assert indexes["records"]["ix_records_order_trace"] == ["order_id", "status", "kind"]
    if USE_POSTGRES:
        return  # the planner's choice there depends on the table's statistics
    statement = matrix_query().compile(db.engine, compile_kwargs={"literal_binds": True})
    connection = db.session.connection()
    plan = " | ".join(
        row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")
    )
    assert "SEARCH audit_events USING COVERING INDEX ix_audit_events_order_trace" in plan
    assert "SEARCH records USING COVERING INDEX ix_records_order_trace" in plan
    assert "SCAN audit_events" not in plan and "SCAN records" not in plan

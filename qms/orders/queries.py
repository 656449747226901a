"""Read-side queries for the order pages, each in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import joinedload, selectinload

from qms.audit.models import AuditEvent
from qms.customers.models import Customer
from qms.database.search import contains_ignoring_case
from qms.extensions import db
from qms.orders.models import FINAL_STATES, Order, SalesStage
from qms.packs.models import ContractPack
from qms.records.models import Record, Signature
from qms.workcalendar.calendar import overdue_before

__all__ = ["FINAL_STATES"]  # defined with the model, whose open-order indexes need it


@dataclass
class OrderFilter:
    q: str = ""
    state: str = ""
    manager_id: int | None = None
    overdue: bool = False


def filtered_orders(f: OrderFilter) -> Select:
    query = select(Order).options(
        joinedload(Order.customer),
        joinedload(Order.manager),
        joinedload(Order.workflow_version),
    )
    if f.q and f.q.strip():
        # Joined only to search: unfiltered, the list's count reads one index of orders.
        query = query.join(Order.customer).where(
            or_(
                contains_ignoring_case(Order.number, f.q),
                contains_ignoring_case(Order.title, f.q),
                contains_ignoring_case(Customer.name, f.q),
            )
        )
    if f.state:
        query = query.where(Order.state == f.state)
    if f.manager_id:
        query = query.where(Order.manager_id == f.manager_id)
    if f.overdue:
        query = query.where(*overdue_clause())
    return query.order_by(Order.number.desc())


def is_open():
    """Not in a final state, with the states written out as literals: the partial indexes
    on open orders (qms.orders.models.OPEN_SQL) are used only for this very condition."""
    finals = bindparam("final_states", FINAL_STATES, expanding=True, literal_execute=True)
    return Order.state.not_in(finals)


def overdue_clause(today: date | None = None):
    return (Order.due_on < overdue_before(today), is_open())


def soonest_due(*where, limit: int, options=(), undated: bool = True) -> list[Order]:
    """Orders matching `where`, those with a due date soonest first, then (undated) those
    without one newest first: each read in order from an index, never by sorting."""
    query = select(Order).where(*where).options(*options)
    orders = db.session.scalars(
        query.where(Order.due_on.is_not(None)).order_by(Order.due_on, Order.id).limit(limit)
    ).all()
    if undated and len(orders) < limit:
        orders += db.session.scalars(
            query.where(Order.due_on.is_(None)).order_by(Order.id.desc()).limit(limit - len(orders))
        ).all()
    return orders


def open_orders_of(manager_id: int, limit: int, options=()) -> list[Order]:
    """A manager's open orders, soonest due first (ix_orders_open_manager_due)."""
    return soonest_due(Order.manager_id == manager_id, is_open(), limit=limit, options=options)


def order_page_data(number: str):
    """The order with everything its page shows: records, signatures, stages, events."""
    order = db.session.scalars(
        select(Order)
        .where(Order.number == number)
        .options(
            joinedload(Order.customer),
            joinedload(Order.manager),
            joinedload(Order.workflow_version),
        )
    ).first()
    if order is None:
        return None
    records = db.session.scalars(
        select(Record)
        .where(Record.order_id == order.id)
        .options(
            joinedload(Record.author),
            selectinload(Record.signatures).joinedload(Signature.signer),
            selectinload(Record.attachments),
        )
        .order_by(Record.kind, Record.lineage, Record.revision)
    ).all()
    stages = db.session.scalars(select(SalesStage).where(SalesStage.order_id == order.id)).all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.order_id == order.id).order_by(AuditEvent.seq.desc())
    ).all()
    packs = db.session.execute(
        select(
            ContractPack.revision,
            ContractPack.issued_at,
            ContractPack.pages,
            ContractPack.pdf_sha256,
        )
        .where(ContractPack.order_id == order.id)
        .order_by(ContractPack.revision.desc())
    ).all()  # not the PDF bytes: the page lists them only
    from qms.workitems.models import WorkItem  # work items build on orders, not the reverse

    items = db.session.scalars(
        select(WorkItem)
        .where(WorkItem.order_id == order.id)
        .options(joinedload(WorkItem.workflow_version))
        .order_by(WorkItem.id)
    ).all()
    return order, records, stages, events, packs, items


def counts_by_state(states) -> dict[str, tuple[int, bool]]:
    """Orders per state, each count bounded (see qms.database.paging): the dashboard's
    cost stays the same at a million orders."""
    from qms.database.paging import bounded_counts_by

    return bounded_counts_by(Order.state, states)

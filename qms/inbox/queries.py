"""The inbox's read side, each part in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from qms.auth.models import User
from qms.extensions import db
from qms.notify.models import Notification
from qms.orders.models import Order
from qms.orders.queries import open_orders_of
from qms.records.models import Record, RecordContribution, Signature
from qms.workflow.definition import RecordKind, TransitionDef
from qms.workflow.models import WorkflowVersion
from qms.workflow.registry import definition_of
from qms.workflow.requirements import RequirementStatus, requirement_statuses
from qms.workitems.models import WorkItem

LIMIT = 100


@dataclass
class WaitingRecord:
    record: Record
    order: Order
    kind: RecordKind


@dataclass
class NextStep:
    order: Order
    transition: TransitionDef
    statuses: list[RequirementStatus]

    @property
    def ready(self) -> bool:
        return all(s.satisfied for s in self.statuses)


def _signable(user: User, limit: int) -> list[int]:
    """The ids of the drafts this user may sign, oldest first: the candidates read as three
    plain columns from ix_records_status_created, whole rows only for those chosen."""
    rows = db.session.execute(
        select(Record.id, Record.kind, Order.workflow_version_id)
        .join(Order, Order.id == Record.order_id)
        .where(
            Record.status == "draft",
            ~exists().where(
                RecordContribution.record_id == Record.id, RecordContribution.user_id == user.id
            ),
            ~exists().where(Signature.record_id == Record.id, Signature.signer_id == user.id),
        )
        .order_by(Record.created_at)
        .limit(limit * 4)  # some are for other roles: filtered below
    ).all()
    ids, definitions = [], {}
    for record_id, kind_name, version_id in rows:
        if version_id not in definitions:
            definitions[version_id] = definition_of(db.session.get(WorkflowVersion, version_id))
        kind = definitions[version_id].records.get(kind_name)
        if kind is not None and user.role in kind.approvers:
            ids.append(record_id)
    return ids[:limit]


def records_to_sign(user: User, limit: int = LIMIT) -> list[WaitingRecord]:
    """Drafts this user may sign: an approver of their kind, not a contributor, unsigned."""
    if user.role == "auditor":
        return []
    ids = _signable(user, limit)
    if not ids:
        return []
    rows = db.session.execute(
        select(Record, Order)
        .join(Order, Order.id == Record.order_id)
        .where(Record.id.in_(ids))
        .options(joinedload(Order.workflow_version), joinedload(Record.author))
        .order_by(Record.created_at, Record.id)
    ).all()
    return [
        WaitingRecord(record, order, definition_of(order.workflow_version).records[record.kind])
        for record, order in rows
    ]


def my_work_items(user: User, limit: int = LIMIT) -> list[WorkItem]:
    """Open work items assigned to me, or unassigned on orders I manage, with a due date
    (a finished item has none): two ranges of ix_work_items_owner_due read in due-date
    order, merged, instead of every unassigned item ever gathered and sorted."""
    dated = (
        select(WorkItem)
        .where(WorkItem.due_on.is_not(None))
        .options(joinedload(WorkItem.workflow_version), joinedload(WorkItem.order))
        .order_by(WorkItem.due_on, WorkItem.id)
        .limit(limit)
    )
    mine = db.session.scalars(dated.where(WorkItem.owner_id == user.id)).all()
    unassigned = db.session.scalars(
        dated.join(Order, Order.id == WorkItem.order_id).where(
            WorkItem.owner_id.is_(None), Order.manager_id == user.id
        )
    ).all()
    items = sorted([*mine, *unassigned], key=lambda i: (i.due_on, i.id))[:limit]
    return [i for i in items if not definition_of(i.workflow_version).states[i.state].final]


def my_next_steps(user: User, limit: int = 50) -> list[NextStep]:
    """For a manager: each open order of theirs, with the next steps their role may take."""
    orders = open_orders_of(
        user.id, limit, (joinedload(Order.workflow_version), joinedload(Order.customer))
    )
    if not orders:
        return []
    records = db.session.scalars(
        select(Record).where(Record.order_id.in_([o.id for o in orders]))
    ).all()
    by_order: dict[int, list[Record]] = {}
    for record in records:
        by_order.setdefault(record.order_id, []).append(record)
    steps = []
    for order in orders:
        definition = definition_of(order.workflow_version)
        for transition in definition.transitions_from(order.state):
            if user.role not in transition.roles or definition.states[transition.dest].final:
                continue
            statuses = requirement_statuses(
                order, definition, transition, user.language, records=by_order.get(order.id, [])
            )
            steps.append(NextStep(order, transition, statuses))
    return steps


def notifications_for(user: User, limit: int = 30) -> list[Notification]:
    """The unread newest first, then the read newest first: two index ranges read in
    order (ix_notifications_user_unread, ix_notifications_user_id), however many a user
    has had over the years."""
    mine = select(Notification).where(Notification.user_id == user.id)
    unread = db.session.scalars(
        mine.where(Notification.read_at.is_(None)).order_by(Notification.id.desc()).limit(limit)
    ).all()
    if len(unread) == limit:
        return unread
    return (
        unread
        + db.session.scalars(
            mine.where(Notification.read_at.is_not(None))
            .order_by(Notification.id.desc())
            .limit(limit - len(unread))
        ).all()
    )


def waiting_count(user: User) -> int:
    """The header's number: unread notifications and records waiting for my signature."""
    unread = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )
    return unread + (0 if user.role == "auditor" else len(_signable(user, LIMIT)))

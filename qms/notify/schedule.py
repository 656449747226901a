"""Notices that come from the calendar, not from an act: due tomorrow, overdue, escalated.

`qms notify scan` (daily from cron, or inside `qms notify send --loop`) writes them; each
is written once per item and due date, however often the scan runs.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.auth.models import User
from qms.extensions import db
from qms.notify.services import notify
from qms.orders.models import Order
from qms.orders.queries import FINAL_STATES
from qms.support.services import CLOCK_TITLES, breaches, in_both_languages
from qms.timeutil import utcnow
from qms.workcalendar.calendar import add_working_days, overdue_before, working_days_between
from qms.workflow.registry import definition_of
from qms.workitems.models import WorkItem


def responsible_for(item: WorkItem) -> User | None:
    """Who answers for a work item: its owner, else its order's manager, else who opened it."""
    if item.owner is not None:
        return item.owner
    if item.order is not None:
        return item.order.manager
    return db.session.get(User, item.created_by_id)


def scan(today: date | None = None) -> int:
    """Write the due-tomorrow, overdue and escalation notices due today; returns how many."""
    today = today or utcnow().date()
    tomorrow = add_working_days(today, 1)
    escalate_after = current_app.config["QMS_ESCALATE_AFTER_DAYS"]
    written = 0
    items = db.session.scalars(
        select(WorkItem)
        .where(WorkItem.due_on.is_not(None), WorkItem.due_on <= tomorrow)
        .options(joinedload(WorkItem.owner), joinedload(WorkItem.order))
    ).all()
    for item in items:
        if definition_of(item.workflow_version).states[item.state].final:
            continue
        who = responsible_for(item)
        params = {
            "item": item.number,
            "title": item.title,
            "due": {"date": item.due_on.isoformat()},
            "order": item.order.number if item.order else "—",
            "owner": who.full_name if who else "—",
        }
        key = f"{item.number}:{item.due_on.isoformat()}"
        if item.due_on >= today:  # due today or tomorrow (a working day away)
            written += _sent(
                notify(
                    who,
                    "due_tomorrow",
                    subject_type="item",
                    subject_id=item.id,
                    params=params,
                    dedupe_key=f"due:{key}",
                )
            )
            continue
        if item.workflow == "support-request":
            continue  # overdue by the hour, not the day: the breach notices below
        written += _sent(
            notify(
                who,
                "overdue",
                subject_type="item",
                subject_id=item.id,
                params=params,
                dedupe_key=f"overdue:{key}",
            )
        )
        manager = item.order.manager if item.order else None
        late = working_days_between(item.due_on, today)
        if manager is not None and manager != who and late >= escalate_after:
            written += _sent(
                notify(
                    manager,
                    "overdue_escalated",
                    subject_type="item",
                    subject_id=item.id,
                    params=params,
                    dedupe_key=f"escalated:{key}",
                )
            )
    written += _support_breaches()
    orders = db.session.scalars(
        select(Order)
        .where(
            Order.due_on.is_not(None),
            Order.due_on < overdue_before(today),
            Order.state.not_in(FINAL_STATES),
        )
        .options(joinedload(Order.manager))
    ).all()
    for order in orders:
        params = {
            "item": order.number,
            "title": order.title,
            "order": order.number,
            "due": {"date": order.due_on.isoformat()},
        }
        written += _sent(
            notify(
                order.manager,
                "overdue",
                subject_type="order",
                subject_id=order.id,
                params=params,
                dedupe_key=f"overdue:{order.number}:{order.due_on.isoformat()}",
            )
        )
    return written + _review_notices(today)


def _review_notices(today: date) -> int:
    """Each document past its review date: its approvers hear, once per review date."""
    from qms.documents.queries import reviews_overdue
    from qms.documents.services import APPROVERS

    late = reviews_overdue(today)
    if not late:
        return 0
    approvers = db.session.scalars(
        select(User).where(User.is_active, User.role.in_(APPROVERS))
    ).all()
    written = 0
    for status in late:
        revision = status.in_force
        for user in approvers:
            written += _sent(
                notify(
                    user,
                    "review_overdue",
                    subject_type="document",
                    subject_id=revision.id,
                    params={
                        "document": status.document.label,
                        "register": status.document.register,
                        "revision": revision.revision,
                        "due": {"date": status.review_due.isoformat()},
                    },
                    dedupe_key=f"review:{revision.id}:{status.review_due.isoformat()}:{user.id}",
                )
            )
    return written


def _support_breaches() -> int:
    """A support request whose response or resolution clock ran out: once per clock and
    deadline, to whoever has it (else the order's manager, else who registered it)."""
    written = 0
    for request, clock, due in breaches():
        item = request.item
        params = {
            "item": item.number,
            "title": item.title,
            "clock": in_both_languages(CLOCK_TITLES[clock]),
            "due": {"datetime": due.isoformat()},
        }
        written += _sent(
            notify(
                responsible_for(item),
                "support_breach",
                subject_type="item",
                subject_id=item.id,
                params=params,
                dedupe_key=f"breach:{item.number}:{clock}:{due.isoformat()}",
            )
        )
    return written


def _sent(notification) -> int:
    return 0 if notification is None else 1

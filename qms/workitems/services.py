"""Opening and advancing work items, with the effects their workflows imply.

- a contract change agreed reopens the order's affected records (a new draft revision
  of each), and it can be incorporated only once they are approved again;
- a complaint whose investigation says a corrective action is needed opens one;
- a corrective action's plan sets its owner and due date.
The caller commits.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from qms.audit.trail import RecordedEvent, record_event
from qms.auth.models import User
from qms.customers.models import Customer
from qms.database.limits import check_date, check_lengths, column_length
from qms.extensions import db
from qms.notify.services import notify
from qms.orders.models import Order
from qms.records.models import Record
from qms.records.services import revise_record
from qms.support.clocks import after_transition, start_clocks
from qms.support.services import SupportError, check_priority, escalate, request_of
from qms.timeutil import utcnow
from qms.workcalendar.calendar import add_working_days, next_working_day, overdue_before
from qms.workflow import engine
from qms.workflow.engine import TransitionRefused
from qms.workflow.registry import definition_of, pin_version, registry
from qms.workitems.models import WorkItem

WORKFLOWS = ("contract-change", "complaint", "corrective-action", "support-request")
CHANNELS = ("email", "phone", "letter", "meeting", "portal")
SOURCES = ("complaint", "design_review", "audit_finding", "other")


class WorkItemError(ValueError):
    """Refused, in words rendered in the reader's language."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def has_approved_contract(order: Order) -> bool:
    return bool(
        db.session.scalar(
            select(func.count()).where(
                Record.order_id == order.id,
                Record.kind == "contract",
                Record.status == "approved",
            )
        )
    )


def _next_number(prefix: str) -> str:
    year = utcnow().year
    start = f"{prefix}-{year}-"
    last = db.session.scalar(
        select(func.max(WorkItem.number)).where(WorkItem.number.like(f"{start}%"))
    )
    n = int(last.removeprefix(start)) + 1 if last else 1
    return f"{start}{n:04d}"


def open_item(
    workflow: str,
    actor: User,
    *,
    title: str,
    description: str = "",
    order: Order | None = None,
    customer: Customer | None = None,
    parent: WorkItem | None = None,
    channel: str | None = None,
    source: str | None = None,
    received_on: date | None = None,
    priority: str | None = None,
    received_at: datetime | None = None,
) -> WorkItem:
    """Open a work item; a support request also starts its clocks at `received_at` (now)."""
    if workflow not in WORKFLOWS:
        raise WorkItemError(_l("unknown kind of work item '%(kind)s'", kind=workflow))
    if actor.role == "auditor":
        raise WorkItemError(_l("auditors read work items; they do not open them"))
    if not title or not title.strip():
        raise WorkItemError(_l("a title is required"))
    check_lengths(WorkItem, title=title.strip())
    check_date(received_on, _l("Received on"))
    if workflow == "contract-change" and order is None:
        raise WorkItemError(_l("a contract change belongs to an order"))
    needs_contract = workflow in ("contract-change", "complaint") and order is not None
    if needs_contract and not has_approved_contract(order):
        raise WorkItemError(
            _l(
                "order %(number)s has no approved contract yet: contract changes and "
                "complaints about an order belong to its signed contract (a complaint "
                "before that is registered against the customer)",
                number=order.number,
            )
        )
    if workflow == "complaint":
        if channel not in CHANNELS:
            raise WorkItemError(_l("choose how the complaint came in"))
        customer = customer or (order.customer if order else None)
        if customer is None:
            raise WorkItemError(_l("a complaint needs its customer (or an order)"))
    if workflow == "support-request":
        _check_support_request(order, customer, channel, priority)
        customer = customer or order.customer
        received_at = received_at or utcnow()
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        received_on = received_at.astimezone(zone).date()
    if workflow == "corrective-action" and source not in SOURCES:
        raise WorkItemError(_l("choose where the corrective action comes from"))
    definition = registry().latest(workflow)
    received_on = received_on or utcnow().date()
    item = WorkItem(
        workflow=workflow,
        number=_next_number(definition.number_prefix),
        title=title.strip(),
        description=(description or "").strip(),
        order=order,
        customer=customer or (order.customer if order else None),
        parent=parent,
        channel=channel,
        source=source,
        received_on=received_on,
        state=definition.initial,
        workflow_version=pin_version(definition),
        data={},
        created_by_id=actor.id,
    )
    if workflow == "complaint":
        days = current_app.config["QMS_COMPLAINT_ACK_DAYS"]
        item.due_on = add_working_days(received_on, days)
    db.session.add(item)
    if workflow == "support-request":
        db.session.add(start_clocks(item, priority, received_at))
    db.session.flush()
    record_event(
        actor=actor,
        action=f"{workflow}.opened",
        entity_type=workflow,
        entity_id=item.id,
        order_id=item.order_id,
        to_state=item.state,
        changes={
            "number": item.number,
            "title": item.title,
            "channel": channel,
            "source": source,
            "parent": parent.number if parent else None,
            "due_on": item.due_on,
            **({"priority": priority} if priority else {}),
        },
    )
    return item


def _check_support_request(order, customer, channel, priority) -> None:
    if channel not in CHANNELS:
        raise WorkItemError(_l("choose how the request came in"))
    if customer is None and order is None:
        raise WorkItemError(_l("a support request needs its customer (or an order)"))
    if order is not None and customer is not None and order.customer_id != customer.id:
        raise WorkItemError(_l("order %(number)s is not this customer's", number=order.number))
    try:
        check_priority(priority)
    except SupportError as exc:
        raise WorkItemError(exc.args[0]) from None


def advance_item(
    item: WorkItem,
    trigger: str,
    actor: User,
    *,
    values: dict | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> RecordedEvent:
    """Fire `trigger` on a work item (at `at`, now by default: a support request's clocks)."""
    definition = definition_of(item.workflow_version)
    support = request_of(item)
    if support is not None and trigger == "escalate" and support.line >= 3:
        raise TransitionRefused(
            engine.action_title(definition.transition("escalate")),
            [_l("the request is already with the third line")],
        )
    from_state = item.state
    if item.workflow == "contract-change" and trigger == "incorporate":
        _check_reopened_records_approved(item, definition)
    event = engine.fire(
        item,
        trigger,
        actor,
        entity_type=item.workflow,
        order_id=item.order_id,
        reason=reason,
        expected_version=expected_version,
        values=values,
    )
    data = item.data or {}
    if support is not None:
        if trigger == "escalate":
            escalate(support, actor)
        if trigger == "accept":
            item.owner = actor
        after_transition(support, trigger, from_state, at or utcnow())
    if item.workflow == "contract-change" and trigger == "agree":
        _reopen_records(item, actor, reopened_kinds(data))
    if item.workflow == "complaint":
        if trigger == "acknowledge":  # acknowledged: now its resolution is what is due
            days = current_app.config["QMS_COMPLAINT_RESOLVE_DAYS"]
            item.due_on = add_working_days(utcnow().date(), days)
        if trigger == "investigate" and data.get("corrective_action_needed"):
            open_item(
                "corrective-action",
                actor,
                title=_shortened(f"{item.number}: {item.title}", column_length(WorkItem, "title")),
                description=data.get("findings", ""),
                order=item.order,
                customer=item.customer,
                parent=item,
                source="complaint",
            )
    if item.workflow == "corrective-action" and trigger == "plan":
        item.owner = db.session.scalars(select(User).where(User.username == data["owner"])).one()
        # A due date on a day off moves to the next working day of the calendar.
        item.due_on = next_working_day(date.fromisoformat(data["due_on"]))
        notify(
            item.owner,
            "item_assigned",
            subject_type="item",
            subject_id=item.id,
            params={"item": item.number, "title": item.title, "due": {"date": data["due_on"]}},
            actor=actor,
        )
    if definition.states[item.state].final:
        item.due_on = None
        if support is not None:
            support.resolve_due_at = None
    db.session.flush()
    return event


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _latest_records(order_id: int, kinds: list[str]) -> list[Record]:
    records = db.session.scalars(
        select(Record)
        .where(Record.order_id == order_id, Record.kind.in_(kinds))
        .order_by(Record.lineage, Record.revision)
    ).all()
    latest: dict[str, Record] = {}
    for record in records:
        latest[record.lineage] = record
    return list(latest.values())


def _reopen_records(item: WorkItem, actor: User, kinds: list[str]) -> None:
    for record in _latest_records(item.order_id, kinds):
        if record.is_approved:
            revise_record(record, author=actor, reason=_reopening_reason(item))


def _reopening_reason(item: WorkItem) -> str:
    """Kept with the revision as evidence, so written once, in the order's language."""
    with force_locale(item.order.language):
        return str(
            _l(
                "contract change %(number)s agreed: %(title)s",
                number=item.number,
                title=item.title,
            )
        )


def reopened_kinds(data: dict) -> list[str]:
    """An agreed change always reopens the requirements review, and what else it affects."""
    return [
        "requirements_review",
        *(k for k in data.get("affected_records") or [] if k != "requirements_review"),
    ]


def _check_reopened_records_approved(item: WorkItem, definition) -> None:
    kinds = reopened_kinds(item.data or {})
    drafts = [r for r in _latest_records(item.order_id, kinds) if not r.is_approved]
    if drafts:
        names = LazyString(
            lambda: ", ".join(
                str(_l("“%(title)s” rev. %(revision)s", title=r.title, revision=r.revision))
                for r in drafts
            )
        )
        raise TransitionRefused(
            engine.action_title(definition.transition("incorporate")),
            [_l("%(records)s must be approved again first", records=names)],
        )


def overdue_items(today: date | None = None, owner: User | None = None, limit: int | None = None):
    """Items past their due date, the longest overdue first (a finished item is due no
    more: its due date is cleared), at most `limit` of them."""
    late_before = overdue_before(today)
    # Support requests are overdue by the hour: qms.support.services.breaches.
    query = (
        select(WorkItem)
        .where(WorkItem.due_on < late_before, WorkItem.workflow != "support-request")
        .order_by(WorkItem.due_on)
    )
    if owner is not None:
        query = query.where(WorkItem.owner_id == owner.id)
    return db.session.scalars(query.limit(limit)).all()

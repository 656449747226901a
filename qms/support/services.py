"""Support requests: opening one (through the work items), logging hours, breaches.

The caller commits.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.database.limits import check_date
from qms.extensions import db
from qms.support.models import PRIORITIES, SupportRequest, SupportTimeEntry
from qms.timeutil import utcnow
from qms.workitems.models import WorkItem

CLOCK_TITLES = {"response": _l("response time"), "resolution": _l("resolution time")}


def in_both_languages(text) -> dict[str, str]:
    """A lazy text as {"en": ..., "ru": ...}, for a notice rendered later in either."""
    titles = {}
    for language in ("en", "ru"):
        with force_locale(language):
            titles[language] = str(text)
    return titles


class SupportError(ValueError):
    """Refused, in words rendered in the reader's language."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def request_of(item: WorkItem) -> SupportRequest | None:
    if item.workflow != "support-request":
        return None
    return db.session.scalars(
        select(SupportRequest).where(SupportRequest.item_id == item.id)
    ).first()


def check_priority(priority: str | None) -> str:
    if priority not in PRIORITIES:
        raise SupportError(_l("choose the request's priority"))
    return priority


def check_escalation(request: SupportRequest) -> None:
    if request.line >= 3:
        raise SupportError(_l("the request is already with the third line: there is no next line"))


def escalate(request: SupportRequest, actor: User) -> None:
    """Hand the request to the next line: nobody of that line has it yet."""
    check_escalation(request)
    request.line += 1
    request.item.owner = None
    record_event(
        actor=actor,
        action="support-request.escalated",
        entity_type="support-request",
        entity_id=request.item_id,
        order_id=request.item.order_id,
        changes={"line": [request.line - 1, request.line]},
    )


def parse_hours(text: str | Decimal | float) -> Decimal:
    try:
        hours = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation:
        raise SupportError(_l("hours must be a number, such as 1.5")) from None
    if not hours.is_finite() or hours <= 0 or hours > 24:
        raise SupportError(_l("hours must be more than 0 and at most 24"))
    return hours.quantize(Decimal("0.01"))


def log_time(
    item: WorkItem,
    actor: User,
    *,
    hours: str | Decimal | float,
    worked_on: date | None = None,
    user: User | None = None,
    note: str = "",
) -> SupportTimeEntry:
    if item.workflow != "support-request":
        raise SupportError(_l("hours are logged on support requests"))
    if actor.role == "auditor":
        raise SupportError(_l("auditors read the hours; they do not log them"))
    worked_on = worked_on or utcnow().date()
    check_date(worked_on, _l("Worked on"))
    entry = SupportTimeEntry(
        item_id=item.id,
        user_id=(user or actor).id,
        worked_on=worked_on,
        hours=parse_hours(hours),
        note=(note or "").strip(),
        created_by_id=actor.id,
    )
    db.session.add(entry)
    db.session.flush()
    record_event(
        actor=actor,
        action="support-request.time_logged",
        entity_type="support-request",
        entity_id=item.id,
        order_id=item.order_id,
        changes={
            "user": (user or actor).username,
            "worked_on": worked_on,
            "hours": str(entry.hours),
            "note": entry.note,
        },
    )
    return entry


def time_entries(item: WorkItem) -> list[SupportTimeEntry]:
    return db.session.scalars(
        select(SupportTimeEntry)
        .where(SupportTimeEntry.item_id == item.id)
        .options(joinedload(SupportTimeEntry.user))
        .order_by(SupportTimeEntry.worked_on, SupportTimeEntry.id)
    ).all()


def open_requests(*, only_open: bool = False) -> list[SupportRequest]:
    query = select(SupportRequest).join(WorkItem, WorkItem.id == SupportRequest.item_id)
    if only_open:  # the support requests' items alone, not every work item ever opened
        query = query.where(WorkItem.workflow == "support-request", WorkItem.state != "closed")
    return db.session.scalars(
        query.options(
            joinedload(SupportRequest.item).joinedload(WorkItem.customer),
            joinedload(SupportRequest.item).joinedload(WorkItem.owner),
            joinedload(SupportRequest.item).joinedload(WorkItem.order),
        ).order_by(SupportRequest.received_at.desc())
    ).all()


def breaches(now: datetime | None = None) -> list[tuple[SupportRequest, str, datetime]]:
    """Requests whose running clock has run out by `now`: (request, clock, deadline)."""
    now = now or utcnow()
    found = []
    for request in open_requests(only_open=True):
        deadline = request.active_deadline()
        if deadline is not None and deadline[1] < now:
            found.append((request, *deadline))
    return sorted(found, key=lambda f: f[2])

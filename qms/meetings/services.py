"""Logging a meeting, call or letter, with the records it handed over, received or approved.

A communication is logged once (records are evidence); a wrong one is corrected by
logging another. The caller commits.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.customers.models import Customer
from qms.database.limits import check_date, check_lengths
from qms.extensions import db
from qms.meetings.models import ACTS, KINDS, Communication, CommunicationRecord
from qms.orders.models import Order
from qms.records.models import Record


class MeetingError(ValueError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def log_communication(
    actor: User,
    *,
    customer: Customer | None = None,
    order: Order | None = None,
    held_on: date | None,
    kind: str,
    subject: str,
    ours: str = "",
    theirs: str = "",
    agenda: str = "",
    decisions: str = "",
    links: list[tuple[Record, str]] = (),
) -> Communication:
    if actor.role == "auditor":
        raise MeetingError(_l("auditors read the meeting log; they do not write it"))
    if kind not in KINDS:
        raise MeetingError(_l("choose a meeting, a call or a letter"))
    if held_on is None:
        raise MeetingError(_l("say when it took place"))
    check_date(held_on, _l("Date"))
    subject = (subject or "").strip()
    if not subject:
        raise MeetingError(_l("a subject is required"))
    check_lengths(Communication, subject=subject)
    if order is not None and customer is not None and order.customer_id != customer.id:
        raise MeetingError(_l("order %(number)s is not this customer's", number=order.number))
    customer = customer or (order.customer if order else None)
    if customer is None:
        raise MeetingError(_l("a communication belongs to a customer or an order"))
    for record, act in links:
        if act not in ACTS:
            raise MeetingError(_l("unknown act '%(act)s'", act=act))
        if order is None or record.order_id != order.id:
            raise MeetingError(_l("a linked record must be one of this order's"))
        if act == "approved" and not record.is_approved:
            raise MeetingError(
                _l(
                    "“%(title)s” is not approved yet: approve it, then log the meeting",
                    title=record.title,
                )
            )
    communication = Communication(
        customer=customer,
        order=order,
        held_on=held_on,
        kind=kind,
        subject=subject,
        our_participants=(ours or "").strip(),
        their_participants=(theirs or "").strip(),
        agenda=(agenda or "").strip(),
        decisions=(decisions or "").strip(),
        created_by_id=actor.id,
    )
    db.session.add(communication)
    db.session.flush()
    for record, act in links:
        db.session.add(
            CommunicationRecord(communication_id=communication.id, record_id=record.id, act=act)
        )
    db.session.flush()
    record_event(
        actor=actor,
        action="meeting.logged",
        entity_type="meeting",
        entity_id=communication.id,
        order_id=order.id if order else None,
        changes={
            "customer": customer.name,
            "held_on": held_on,
            "kind": kind,
            "subject": subject,
            "records": [{"title": r.title, "revision": r.revision, "act": act} for r, act in links],
        },
    )
    return communication


def communications(*, order: Order | None = None, customer: Customer | None = None):
    query = select(Communication).options(
        selectinload(Communication.links).joinedload(CommunicationRecord.record)
    )
    if order is not None:
        query = query.where(Communication.order_id == order.id)
    if customer is not None:
        query = query.where(Communication.customer_id == customer.id)
    return db.session.scalars(query.order_by(Communication.held_on, Communication.id)).all()

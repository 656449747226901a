"""The administrator's extra days, each change an audit event. The caller commits."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.database.limits import check_date, check_lengths
from qms.extensions import db
from qms.workcalendar.models import CalendarDay


class CalendarError(ValueError):
    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def extra_days() -> list[CalendarDay]:
    return db.session.scalars(select(CalendarDay).order_by(CalendarDay.day)).all()


def set_day(actor: User, day: date, *, working: bool, note: str) -> CalendarDay:
    if actor.role != "admin":
        raise CalendarError(_l("only an administrator changes the working calendar"))
    check_date(day, _l("Day"))
    note = (note or "").strip()
    if not note:
        raise CalendarError(_l("say why (a decree, a company day off)"))
    check_lengths(CalendarDay, note=note)
    if db.session.scalars(select(CalendarDay).where(CalendarDay.day == day)).first():
        raise CalendarError(_l("%(day)s is already on the list", day=day.isoformat()))
    row = CalendarDay(day=day, working=working, note=note, created_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    record_event(
        actor=actor,
        action="calendar.day_set",
        entity_type="calendar",
        entity_id=row.id,
        changes={"day": day, "working": working, "note": note},
    )
    return row


def remove_day(actor: User, day: date, reason: str) -> None:
    if actor.role != "admin":
        raise CalendarError(_l("only an administrator changes the working calendar"))
    row = db.session.scalars(select(CalendarDay).where(CalendarDay.day == day)).first()
    if row is None:
        raise CalendarError(_l("%(day)s is not on the list", day=day.isoformat()))
    record_event(
        actor=actor,
        action="calendar.day_removed",
        entity_type="calendar",
        entity_id=row.id,
        changes={"day": day, "working": row.working, "note": row.note},
        reason=reason or None,
    )
    db.session.delete(row)
    db.session.flush()

"""Working days and working hours.

A day is a working day when the administrator says so (an extra working day), else not
when the administrator says it is off, else when the country's production calendar (the
`holidays` package: public holidays, the long January holidays, days off transferred by
decree and the Saturdays made working in their place) makes it one, else Monday to Friday.
Working hours are the business hours of a working day, in the organisation's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from flask import current_app, g, has_app_context, has_request_context
from sqlalchemy import select

from qms.extensions import db
from qms.workcalendar.countries import country_holidays
from qms.workcalendar.models import CalendarDay


@lru_cache(maxsize=8)
def _country(code: str) -> holidays.HolidayBase:
    return country_holidays(code) if code else holidays.HolidayBase()


@dataclass
class WorkingCalendar:
    country: str = "RU"
    opens: time = time(9)
    closes: time = time(18)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Moscow"))
    extra_working: frozenset[date] = frozenset()
    extra_off: frozenset[date] = frozenset()

    def holidays_in(self, year: int, language: str = "en") -> list[tuple[date, str]]:
        """The country's public holidays and transferred days off of `year`, named."""
        if not self.country:
            return []
        named = country_holidays(
            self.country, years=year, language="ru" if language == "ru" else "en_US"
        )
        return sorted(named.items())

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working:
            return True
        if day in self.extra_off:
            return False
        country = _country(self.country)
        if day in getattr(country, "weekend_workdays", ()):
            return True
        return day.weekday() < 5 and day not in country

    # Days -------------------------------------------------------------------------------
    def add_working_days(self, start: date, days: int) -> date:
        current = start
        while days > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                days -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days after `start` up to and including `end` (0 if end <= start)."""
        days, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                days += 1
        return days

    # Hours ------------------------------------------------------------------------------
    def _window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, self.zone),
            datetime.combine(day, self.closes, self.zone),
        )

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (aware, returned in UTC)."""
        remaining = timedelta(hours=hours)
        local = start.astimezone(self.zone)
        day = local.date()
        for _ in range(3660):  # ten years of days: a bound, never reached in practice
            if self.is_working_day(day):
                opens, closes = self._window(day)
                begin = max(local, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= available
            day += timedelta(days=1)
            local = datetime.combine(day, time(0), self.zone)
        raise ValueError("no working time within ten years")

    def working_hours_between(self, start: datetime, end: datetime) -> float:
        """Working hours from `start` to `end` (0 if end <= start)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(self.zone), end.astimezone(self.zone)
        total, day = timedelta(), start.date()
        while day <= end.date():
            if self.is_working_day(day):
                opens, closes = self._window(day)
                begin, finish = max(start, opens), min(end, closes)
                if finish > begin:
                    total += finish - begin
            day += timedelta(days=1)
        return round(total.total_seconds() / 3600, 4)


def _hours(text: str) -> tuple[time, time]:
    opens, _, closes = text.partition("-")
    return time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())


def load_calendar() -> WorkingCalendar:
    config = current_app.config
    opens, closes = _hours(config["QMS_BUSINESS_HOURS"])
    extra = db.session.execute(select(CalendarDay.day, CalendarDay.working)).all()
    return WorkingCalendar(
        country=config["QMS_HOLIDAYS_COUNTRY"],
        opens=opens,
        closes=closes,
        zone=ZoneInfo(config["BABEL_DEFAULT_TIMEZONE"]),
        extra_working=frozenset(d for d, working in extra if working),
        extra_off=frozenset(d for d, working in extra if not working),
    )


def working_calendar() -> WorkingCalendar:
    """This request's calendar (read once per request), or a fresh one outside requests."""
    if has_request_context():
        if "qms_calendar" not in g:
            g.qms_calendar = load_calendar()
        return g.qms_calendar
    if has_app_context():
        return load_calendar()
    return WorkingCalendar()


def add_working_days(start: date, days: int) -> date:
    return working_calendar().add_working_days(start, days)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    calendar = working_calendar()
    return day if calendar.is_working_day(day) else calendar.add_working_days(day, 1)


def overdue_before(today: date | None = None) -> date:
    """What is due before this day is overdue today.

    A due date on a day off is met on the next working day, so something due on a
    Saturday (or in the New Year holidays) is late only once that working day has passed:
    the cut-off is the day after the last working day before today.
    """
    from qms.timeutil import utcnow

    calendar = working_calendar()
    today = today or utcnow().date()
    day = today - timedelta(days=1)
    for _ in range(366):  # an administrator could mark a whole year off
        if calendar.is_working_day(day):
            break
        day -= timedelta(days=1)
    return day + timedelta(days=1)


def working_days_between(start: date, end: date) -> int:
    return working_calendar().working_days_between(start, end)


def add_working_hours(start: datetime, hours: float) -> datetime:
    return working_calendar().add_working_hours(start, hours)


def working_hours_between(start: datetime, end: datetime) -> float:
    return working_calendar().working_hours_between(start, end)

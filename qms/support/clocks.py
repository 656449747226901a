"""The clocks of a support request, in working hours of the working calendar.

- response: from receipt until the request is accepted for processing by a line (not
  started): QMS_SUPPORT_RESPONSE_HOURS per priority, 8 by default;
- time to start work: from receipt until work starts (measured, no target);
- resolution: QMS_SUPPORT_RESOLVE_HOURS per priority, running while the request is
  received, accepted or in work and paused while it waits for the customer, is resolved
  and waits for the customer's confirmation, or is closed.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app

from qms.support.models import RUNNING_STATES, SupportRequest
from qms.workcalendar.calendar import working_calendar
from qms.workitems.models import WorkItem


def hours_per_priority(key: str) -> dict[str, Decimal]:
    pairs = (p.partition("=") for p in current_app.config[key].split(",") if p.strip())
    return {name.strip(): Decimal(value.strip()) for name, _, value in pairs}


def start_clocks(item: WorkItem, priority: str, received_at: datetime) -> SupportRequest:
    calendar = working_calendar()
    response = hours_per_priority("QMS_SUPPORT_RESPONSE_HOURS").get(priority, Decimal(8))
    target = hours_per_priority("QMS_SUPPORT_RESOLVE_HOURS").get(priority, Decimal(40))
    request = SupportRequest(
        item=item,
        priority=priority,
        line=1,
        received_at=received_at,
        response_due_at=calendar.add_working_hours(received_at, float(response)),
        resolve_target_hours=target,
        clock_used_hours=Decimal(0),
        clock_running_since=received_at,
        resolve_due_at=calendar.add_working_hours(received_at, float(target)),
    )
    _set_due_on(item, request)
    return request


def _hours(start: datetime, end: datetime) -> Decimal:
    return Decimal(str(working_calendar().working_hours_between(start, end)))


def after_transition(request: SupportRequest, trigger: str, from_state: str, now: datetime):
    """Move the clocks for a transition just fired (the item is in its new state)."""
    item = request.item
    if trigger == "accept":
        request.accepted_at = now
        request.response_hours = _hours(request.received_at, now)
    if trigger == "start" and request.started_at is None:
        request.started_at = now
        request.start_hours = _hours(request.received_at, now)
    if trigger == "resolve":
        request.resolved_at = now
        if request.resolve_due_at is not None and now > request.resolve_due_at:
            request.resolution_breached = True
    if trigger == "reopen":
        request.resolved_at = None
    was_running, runs = from_state in RUNNING_STATES, item.state in RUNNING_STATES
    if was_running and not runs and request.clock_running_since is not None:
        request.clock_used_hours += _hours(request.clock_running_since, now)
        request.clock_running_since = None
        request.resolve_due_at = None
    elif runs and not was_running:
        left = max(request.resolve_target_hours - request.clock_used_hours, Decimal(0))
        request.clock_running_since = now
        request.resolve_due_at = working_calendar().add_working_hours(now, float(left))
    _set_due_on(item, request)


def used_hours(request: SupportRequest, now: datetime) -> Decimal:
    """Resolution-clock hours used by `now` (the running stretch included)."""
    used = request.clock_used_hours
    if request.clock_running_since is not None:
        used += _hours(request.clock_running_since, now)
    return used


def _set_due_on(item: WorkItem, request: SupportRequest) -> None:
    """The work item's due date (for the inbox and the daily scan): the running clock's day."""
    deadline = request.active_deadline()
    if deadline is None:
        item.due_on = None
        return
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    item.due_on = deadline[1].astimezone(zone).date()

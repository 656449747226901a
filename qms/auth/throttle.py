"""Sign-in throttling that cannot be raced and cannot be used to lock someone out.

Every attempt first *reserves* a slot under three keys: the user name from this client
address, the client address, and the user name from anywhere. A reservation is one
atomic INSERT ... ON CONFLICT DO UPDATE ... WHERE next_allowed_at <= now RETURNING, so
forty parallel attempts cannot all read "4 failures so far" and all go ahead: each
increments the count or finds the key closed. Only then is the password checked; a
success gives the slots back.

After a key's free attempts, each further failure closes it for a delay that doubles
up to a ceiling. The user name from anywhere has a high allowance and a low ceiling,
so an attacker elsewhere can slow the real user down by a minute at most, never lock
them out for a quarter of an hour; the attacker's own address gets the long delays.
Counts fall back to zero after a quiet window.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, delete, or_, update
from sqlalchemy.dialects import postgresql, sqlite

from qms.auth.models import LoginThrottle
from qms.extensions import db
from qms.timeutil import utcnow

_TABLE = LoginThrottle.__table__


@dataclass(frozen=True)
class Rule:
    """`free` failures without delay, then `first_delay` seconds doubling up to `ceiling`."""

    name: str
    free: int
    first_delay: float
    ceiling: float

    def delay_after(self, attempts: int) -> float:
        if attempts < self.free:
            return 0.0
        return min(self.ceiling, self.first_delay * 2 ** (attempts - self.free))


class TooManyAttempts(Exception):
    """Sign-in refused for now; `retry_after` seconds until the next attempt is taken."""

    def __init__(self, retry_after: int):
        self.retry_after = retry_after
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")


def rules() -> tuple[Rule, Rule, Rule]:
    config = current_app.config
    longest, for_a_name = config["QMS_LOGIN_MAX_DELAY"], config["QMS_LOGIN_NAME_MAX_DELAY"]
    return (
        Rule("name+address", config["QMS_LOGIN_ATTEMPTS"], 1.0, longest),
        Rule("address", config["QMS_LOGIN_ATTEMPTS_PER_ADDRESS"], 1.0, longest),
        Rule("name", config["QMS_LOGIN_ATTEMPTS_PER_NAME"], 1.0, for_a_name),
    )


def _keys(username: str, address: str | None) -> list[tuple[Rule, str]]:
    name = username.casefold()[:100]
    address = (address or "unknown")[:100]
    by_pair, by_address, by_name = rules()
    return [
        (by_pair, f"p|{name}|{address}"),
        (by_address, f"a|{address}"),
        (by_name, f"n|{name}"),
    ]


def _keys_to_reserve(username: str, address: str | None, known_device: bool):
    keys = _keys(username, address)
    # A browser this user signed in from before is not slowed by failures elsewhere
    # (OWASP's device cookie): guessing from other addresses cannot keep them out.
    return keys[:2] if known_device else keys


def _upsert(dialect: str):
    return {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](_TABLE)


def _reserve_one(connection, key: str, now: datetime, window: timedelta):
    """Count one attempt under `key`, unless it is closed: (the count, the latest attempt's
    time), or None when closed."""
    restart = _TABLE.c.last_attempt_at < now - window
    insert = _upsert(connection.dialect.name).values(
        key=key, attempts=1, last_attempt_at=now, next_allowed_at=now
    )
    # Closed means a failure set a delay (next allowed after the last attempt). Each request
    # read its clock before waiting for the write lock, so a parallel one may have written
    # a later time: comparing with `now` alone would refuse a key no failure closed.
    never_closed = _TABLE.c.next_allowed_at <= _TABLE.c.last_attempt_at
    statement = insert.on_conflict_do_update(
        index_elements=[_TABLE.c.key],
        set_={
            "attempts": case((restart, 1), else_=_TABLE.c.attempts + 1),
            "last_attempt_at": case(
                (_TABLE.c.last_attempt_at > now, _TABLE.c.last_attempt_at), else_=now
            ),
        },
        where=or_(_TABLE.c.next_allowed_at <= now, never_closed),
    ).returning(_TABLE.c.attempts, _TABLE.c.last_attempt_at)
    return connection.execute(statement).first()


def reserve_attempt(username: str, address: str | None, *, known_device: bool = False) -> None:
    """Take one attempt for this name and address, committed before the password is
    checked (on its own connection, whatever the request does after); raise
    TooManyAttempts when any of the keys is closed, and then count nothing."""
    now = utcnow()
    window = timedelta(minutes=current_app.config["QMS_LOGIN_WINDOW_MINUTES"])
    with db.engine.connect() as connection:
        transaction = connection.begin()
        closes: list[tuple[str, datetime]] = []
        for rule, key in _keys_to_reserve(username, address, known_device):
            counted = _reserve_one(connection, key, now, window)
            if counted is None:
                transaction.rollback()  # counts nothing for the other keys either
                raise TooManyAttempts(_seconds_until(connection, key, now))
            attempts, latest = counted
            if delay := rule.delay_after(attempts):  # from the latest attempt, whoever's
                closes.append((key, max(now, latest) + timedelta(seconds=delay)))
        for key, until in closes:
            connection.execute(
                update(_TABLE).where(_TABLE.c.key == key).values(next_allowed_at=until)
            )
        transaction.commit()


def _seconds_until(connection, key: str, now: datetime) -> int:
    until = connection.execute(
        _TABLE.select().with_only_columns(_TABLE.c.next_allowed_at).where(_TABLE.c.key == key)
    ).scalar()
    return max(1, math.ceil((until - now).total_seconds())) if until else 1


def give_back(username: str, address: str | None) -> None:
    """A successful sign-in: the name's failures are forgiven, the address keeps its other
    failures (so one good account does not clear a guessing address)."""
    pair, by_address, by_name = (key for _, key in _keys(username, address))
    with db.engine.begin() as connection:
        connection.execute(delete(_TABLE).where(_TABLE.c.key.in_((pair, by_name))))
        connection.execute(
            update(_TABLE)
            .where(_TABLE.c.key == by_address, _TABLE.c.attempts > 0)
            .values(attempts=_TABLE.c.attempts - 1)
        )

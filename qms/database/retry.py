"""Committing work that takes the next free number (an order number, a pack revision).

Numbers are allocated as max() + 1, which two transactions can read at the same moment;
the unique constraint lets only one of them keep it. The other is rolled back and its
work runs again: it then reads the number just taken and takes the next one, or finds
that what it was asked to do is done (the same pack issued, the same stage marked).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError

from qms.database.faults import is_race
from qms.extensions import db

T = TypeVar("T")
# Each round at least one of those who collided keeps the number, so this many people
# sending the same form at the very same moment all get through.
ATTEMPTS = 20


def commit_retrying(work: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    """Run `work()` and commit, again (after a rollback) each time a concurrent
    transaction took the same unique value first. After `attempts` the IntegrityError is
    raised (the web answers it with a 409); other errors are raised at once, uncommitted.
    """
    for attempt in range(1, attempts):
        try:
            result = work()
            db.session.commit()
            return result
        except IntegrityError as exc:
            db.session.rollback()
            if not is_race(exc):
                raise
        # A little random wait, so that the losers do not collide again in step.
        time.sleep(random.uniform(0, 0.01 * attempt))
    result = work()
    db.session.commit()
    return result
